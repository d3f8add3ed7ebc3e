package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
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

	// The heartbeat of this process while runs are recorded (beat).
	beatMu   sync.Mutex
	beating  int
	beatStop context.CancelFunc
	beatDone chan struct{}
}

// serverConn is one server's connection: open, or the last failure to
// dial it and when to dial again. A failure is never kept beyond its
// backoff: a server that was down at start is used once it is back.
type serverConn struct {
	url string
	// mu is held while dialling, so that tenants of one server wait for
	// one dial instead of dialling each.
	mu       sync.Mutex
	srv      *schema.Server
	err      error
	failures int
	retryAt  time.Time
	// collected is when stale scratch databases were last collected.
	collected time.Time
}

// collectEvery is how often a server's stale scratch databases are looked for.
const collectEvery = 10 * time.Minute

// Backoff of a server that cannot be reached: from dialBackoffMin doubling
// to dialBackoffMax, with up to half of it added at random.
const (
	dialBackoffMin = time.Second
	dialBackoffMax = 15 * time.Second
)

func dialBackoff(failures int) time.Duration {
	d := dialBackoffMin
	for i := 1; i < failures && d < dialBackoffMax; i++ {
		d *= 2
	}
	d = min(d, dialBackoffMax)
	return d + rand.N(d/2+1)
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
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.srv != nil {
		r.collect(ctx, name, sc)
		return sc.srv, nil
	}
	if sc.err != nil && time.Now().Before(sc.retryAt) {
		return nil, sc.err
	}
	srv, err := schema.Open(ctx, def.URL, serverOptions(def))
	if err != nil {
		sc.failures++
		sc.err = &ServerError{Server: name, Err: err}
		sc.retryAt = time.Now().Add(dialBackoff(sc.failures))
		r.log.Warn("server unreachable", "server", name, "failures", sc.failures, "err", sc.err)
		return nil, sc.err
	}
	r.log.Debug("server connected", "server", name, "engine", srv.Engine(), "version", srv.Version())
	if sc.failures > 0 {
		r.log.Info("server reachable again", "server", name, "failures", sc.failures)
	}
	sc.srv, sc.err, sc.failures = srv, nil, 0
	r.collect(ctx, name, sc)
	return srv, nil
}

// collect drops the server's stale scratch databases, at most every
// collectEvery; sc.mu is held.
func (r *Reconciler) collect(ctx context.Context, name string, sc *serverConn) {
	if time.Since(sc.collected) < collectEvery {
		return
	}
	sc.collected = time.Now()
	dropped, err := sc.srv.CollectScratch(ctx)
	if err != nil {
		r.log.Warn("collect scratch databases", "server", name, "err", err)
	}
	if len(dropped) > 0 {
		r.log.Info("stale scratch databases dropped", "server", name, "databases", dropped)
	}
}

// forget drops what the open servers keep for the desired schemas of ds.
func (r *Reconciler) forget(ds []*schema.Desired) {
	r.mu.Lock()
	scs := make([]*serverConn, 0, len(r.servers))
	for _, sc := range r.servers {
		scs = append(scs, sc)
	}
	r.mu.Unlock()
	// sc.mu may be held for a dial: never wait for it under r.mu.
	var open []*schema.Server
	for _, sc := range scs {
		sc.mu.Lock()
		if sc.srv != nil {
			open = append(open, sc.srv)
		}
		sc.mu.Unlock()
	}
	for _, srv := range open {
		for _, d := range ds {
			srv.Forget(d)
		}
	}
}

// serverOptions are the connection settings landlord.yaml gives a server.
func serverOptions(def *desired.Server) schema.ServerOptions {
	return schema.ServerOptions{
		MaxConnections:   def.MaxConnections,
		ConnectTimeout:   def.Timeouts.Connect,
		ReadTimeout:      def.Timeouts.Read,
		WriteTimeout:     def.Timeouts.Write,
		StatementTimeout: def.Timeouts.Statement,
		StallTimeout:     def.Timeouts.Stall,
		Root:             def.Root,
	}
}

// ServerHealth is whether a server of the repository answers.
type ServerHealth struct {
	Name string `json:"name"`
	Up   bool   `json:"up"`
	// Error is why it is down (no secret in it).
	Error string `json:"error,omitempty"`
	// CheckedAt is when it was checked.
	CheckedAt time.Time `json:"checked_at"`
	// Open and InUse are the connections of landlord's pool to the
	// server at that time (none on SQLite).
	Open  int `json:"connections_open"`
	InUse int `json:"connections_in_use"`
}

// Probe checks every server of repo: connected (dialled again after its
// backoff when it was down) and answering within its stall timeout.
func (r *Reconciler) Probe(ctx context.Context, repo *desired.Repo) []ServerHealth {
	names := make([]string, 0, len(repo.Config.Servers))
	for name := range repo.Config.Servers {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]ServerHealth, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			h := ServerHealth{Name: name, Up: true}
			srv, err := r.server(ctx, repo, name)
			if err == nil {
				err = srv.Ping(ctx)
				h.Open, h.InUse = srv.Connections()
			}
			if err != nil {
				h.Up, h.Error = false, redact.Text(err.Error())
			}
			h.CheckedAt = time.Now()
			out[i] = h
		})
	}
	wg.Wait()
	return out
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
