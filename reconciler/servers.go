package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
)

// Reconciler makes tenant databases match the desired-state repository.
// It keeps its server connections between reconciles; Close them.
type Reconciler struct {
	store   Store
	log     *slog.Logger
	backups *backup.Storage  // where backups go; see SetBackups
	now     func() time.Time // the clock of retention holds; see SetClock

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
		return nil, fmt.Errorf("server %q is not defined", name)
	}
	if def.URLError != nil {
		return nil, def.URLError
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
			sc.err = fmt.Errorf("server %q: %w", name, sc.err)
		}
	})
	return sc.srv, sc.err
}
