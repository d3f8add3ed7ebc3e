package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
)

// Reconciler makes tenant databases match the desired-state repository.
// It keeps its server connections between reconciles; Close them.
type Reconciler struct {
	store Store
	log   *slog.Logger

	mu        sync.Mutex
	servers   map[string]*serverConn
	overrides map[string]string
}

type serverConn struct {
	url  string
	once sync.Once
	srv  *schema.Server
	err  error
}

// New returns a Reconciler recording into store (nil: record nothing, for
// plans without a landlord database).
func New(store Store, log *slog.Logger) *Reconciler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{store: store, log: log, servers: map[string]*serverConn{}}
}

// Close closes the server connections.
func (r *Reconciler) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, sc := range r.servers {
		if sc.srv != nil {
			errs = append(errs, sc.srv.Close())
		}
	}
	r.servers = map[string]*serverConn{}
	return errors.Join(errs...)
}

// server returns the open server name of the repository, connecting once.
// A changed URL (a new revision of landlord.yaml) reconnects.
func (r *Reconciler) server(ctx context.Context, repo *desired.Repo, name string) (*schema.Server, error) {
	def := repo.Config.Servers[name]
	if def == nil {
		return nil, &ServerError{Server: name, Err: errors.New("not defined")}
	}
	if def.URLError != nil {
		return nil, serverURLError(name, def, def.URLError)
	}
	if err := schema.CheckURL(def.URL); err != nil {
		return nil, serverURLError(name, def, err)
	}
	r.mu.Lock()
	sc, ok := r.servers[name]
	if !ok || sc.url != def.URL {
		if ok && sc.srv != nil {
			sc.srv.Close()
		}
		sc = &serverConn{url: def.URL}
		r.servers[name] = sc
	}
	r.mu.Unlock()
	sc.once.Do(func() {
		sc.srv, sc.err = schema.Open(ctx, def.URL, schema.ServerOptions{MaxConnections: def.MaxConnections})
		if sc.err != nil {
			sc.err = &ServerError{Server: name, Err: sc.err}
			return
		}
		r.log.Debug("server connected", "server", name, "engine", sc.srv.Engine(), "version", sc.srv.Version())
	})
	return sc.srv, sc.err
}

// ServerError is a failure of a whole server: its URL is wrong, or it
// cannot be reached. Every tenant on the server fails with the same one,
// so output can say it once per server.
type ServerError struct {
	Server string
	// File, Line and Column are where landlord.yaml sets the URL, when the
	// error is about the URL written there.
	File         string
	Line, Column int
	Err          error
}

func (e *ServerError) Error() string {
	msg := fmt.Sprintf("server %q: %v", e.Server, e.Err)
	if e.File == "" {
		return msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, msg)
}

func (e *ServerError) Unwrap() error { return e.Err }

// serverURLError is an error about a server's URL, at its line in
// landlord.yaml unless --server set it.
func serverURLError(name string, def *desired.Server, err error) *ServerError {
	se := &ServerError{Server: name, Err: err}
	if !def.Overridden() && def.Line > 0 {
		se.File, se.Line, se.Column = "landlord.yaml", def.Line, def.Column
	}
	return se
}
