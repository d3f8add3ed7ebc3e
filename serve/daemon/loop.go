package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/serve/metrics"
	"github.com/landlord/landlord/serve/notify"
	"github.com/landlord/landlord/state"
)

// Config of the loop. Zero fields take the defaults.
type Config struct {
	// Source is the desired-state repository to follow.
	Source desired.Source
	// Push, when set, are the credentials new tenants proposed from the
	// dashboard are pushed with, each on a branch of its own for review
	// (PushTenant); nil: proposals are shown, never pushed.
	Push *desired.Auth
	// Servers overrides server URLs by name (--server NAME=URL).
	Servers map[string]string
	// Reserved are database names no tenant may have besides those
	// landlord always refuses: the landlord database's.
	Reserved []string
	// PollInterval between fetches of the repository; default 1m. Each
	// wait is jittered by ±10%.
	PollInterval time.Duration
	// Schedule is a cron expression (robfig/cron standard syntax, with
	// descriptors such as @hourly and @every 5m) for a reconcile of every
	// tenant; default every 10 minutes.
	Schedule string
	// DriftSchedule is the cron expression of drift scans; default hourly.
	DriftSchedule string
	// Backoff is the wait before each retry of a failed tenant; a tenant
	// gets len(Backoff)+1 tries at a revision, then is stalled until the
	// next revision or scheduled reconcile. Default 1m, 5m.
	Backoff []time.Duration
	// Jitter spreads each retry wait by up to ± this fraction; default 0.2.
	Jitter float64
	// Concurrency and LockWait are passed to each reconcile.
	Concurrency int
	LockWait    time.Duration
	// Grace is how long a run in flight may go on after shutdown begins;
	// default 30s.
	Grace time.Duration
	// LeaseTTL is the lifetime of the leader lease, renewed every third of
	// it; default 15s. A replica that dies is replaced within about TTL.
	LeaseTTL time.Duration
	// Replica names this process in leases, runs and events; default
	// host-pid.
	Replica string
	// StuckAfter: /readyz fails while one job of the loop (a run, a
	// fetch) has been running longer; default 2h, longer than a run of
	// long statements under the default statement timeout.
	StuckAfter time.Duration
	// ProbeInterval between checks that the servers answer (status,
	// landlord_server_up); default 15s.
	ProbeInterval time.Duration
	// DispatchWait is how long an API request waits for the loop to take
	// it while another run is in flight, before it is answered 503
	// (ErrBusy); default 10s.
	DispatchWait time.Duration
}

const leaderLease = "serve:leader"

func (c *Config) defaults() error {
	if c.PollInterval <= 0 {
		c.PollInterval = time.Minute
	}
	if c.Schedule == "" {
		c.Schedule = "*/10 * * * *"
	}
	if c.DriftSchedule == "" {
		c.DriftSchedule = "@hourly"
	}
	if c.Backoff == nil {
		c.Backoff = []time.Duration{time.Minute, 5 * time.Minute}
	}
	if c.Jitter == 0 {
		c.Jitter = 0.2
	}
	if c.Jitter < 0 || c.Jitter >= 1 {
		return fmt.Errorf("retry jitter %v: want a fraction in [0, 1)", c.Jitter)
	}
	if c.Grace <= 0 {
		c.Grace = 30 * time.Second
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 15 * time.Second
	}
	if c.Replica == "" {
		c.Replica = DefaultReplica()
	}
	if c.StuckAfter <= 0 {
		c.StuckAfter = 2 * time.Hour
	}
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = 15 * time.Second
	}
	if c.DispatchWait <= 0 {
		c.DispatchWait = 10 * time.Second
	}
	return nil
}

// DefaultReplica names this process: host-pid.
func DefaultReplica() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// Loop is landlord serve's loop. Create it with New, run it with Run.
type Loop struct {
	cfg     Config
	store   *state.Store
	runs    *tracker
	rec     *reconciler.Reconciler
	notify  *notify.Notifier
	metrics *metrics.Set
	log     *slog.Logger

	full, drift cron.Schedule

	wake     chan string   // coalescing: a fetch is due (webhook, another replica)
	leading  chan struct{} // this replica just became the leader
	requests chan *request // runs asked for through the API
	stopped  chan struct{} // closed when Run returns

	mu       sync.Mutex // guards the fields below, read by the API
	good     *desired.Repo
	goodAt   time.Time
	prints   map[string]string // tenant fingerprints of good
	seen     string            // the last revision fetched
	rejected *Rejection
	fetched  time.Time
	fetchErr string
	leader   bool
	stopping bool
	retries  map[string]*state.Retry
	wakeSeq  int64
	// drifted is the drift last notified per tenant, so that the same
	// drift seen again is not notified again.
	drifted map[string]string
	// busySince is when the job in flight started (zero: none);
	// lastJob is when the last one ended.
	busySince, lastJob time.Time
	// servers is the last probe of the servers.
	servers []reconciler.ServerHealth
	// awaiting are the tenants that failed because their server was
	// unreachable, by slug: retried as soon as the probe sees it answer.
	awaiting map[string]string
	retryNow chan struct{}
	// healthRound0 is the figures of the last health round.
	healthRound0 HealthRound
	// measured is when a health round last read the sizes (only the
	// health goroutine uses it).
	measured time.Time
}

// New returns a loop recording into store. n and m may be nil.
func New(cfg Config, store *state.Store, n *notify.Notifier, m *metrics.Set, log *slog.Logger) (*Loop, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = metrics.New(metrics.Sources{})
	}
	full, err := cron.ParseStandard(cfg.Schedule)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", cfg.Schedule, err)
	}
	drift, err := cron.ParseStandard(cfg.DriftSchedule)
	if err != nil {
		return nil, fmt.Errorf("drift schedule %q: %w", cfg.DriftSchedule, err)
	}
	for i, d := range cfg.Backoff {
		if d <= 0 {
			return nil, fmt.Errorf("retry backoff %d (%v): must be positive", i+1, d)
		}
	}
	log = log.With("replica", cfg.Replica)
	runs := &tracker{Store: store, replica: cfg.Replica, log: log, running: map[int64]bool{}}
	return &Loop{
		cfg: cfg, store: store, runs: runs, rec: reconciler.New(runs, log), notify: n, metrics: m, log: log,
		full: full, drift: drift,
		wake: make(chan string, 1), leading: make(chan struct{}, 1), requests: make(chan *request), stopped: make(chan struct{}),
		retries: map[string]*state.Retry{}, drifted: map[string]string{},
		awaiting: map[string]string{}, retryNow: make(chan struct{}, 1),
	}, nil
}

// ErrGraceExpired is returned by Run when the run in flight outlived the
// grace period; it was recorded as failed.
var ErrGraceExpired = errors.New("the grace period ended before the run in flight")

// Run runs the loop until ctx ends, then stops dispatching, lets the run in
// flight finish within the grace period, records, and returns. With an
// SQLite landlord database the caller holds the file's claim
// (state.Store.ClaimFile), so that a second serve refuses to start.
func (l *Loop) Run(ctx context.Context) (err error) {
	defer close(l.stopped)
	defer func() {
		if !errors.Is(err, ErrGraceExpired) {
			l.rec.Close() // else the run left behind still uses it
		}
	}()
	bg, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	defer func() {
		stopBg()
		wg.Wait()
		l.resign(context.WithoutCancel(ctx))
	}()
	l.renew(ctx)
	select {
	case <-l.leading: // leading from the start: the start run below covers it
	default:
	}
	wg.Go(func() { l.keepLease(bg) })
	wg.Go(func() { l.probeServers(bg) })
	wg.Go(func() { l.checkHealth(bg) })

	l.log.Info("serve started", "repo", redact.URL(l.cfg.Source.Repo), "poll_interval", l.cfg.PollInterval.String(),
		"schedule", l.cfg.Schedule, "drift_schedule", l.cfg.DriftSchedule, "leader", l.isLeader())
	l.metrics.Triggers.WithLabelValues("start").Inc()
	// At start, the leader reconciles every tenant: what happened while no
	// serve ran is unknown.
	err = l.execute(ctx, func(ctx context.Context) {
		l.loadRetries(ctx)
		l.reconcileAll(ctx, "start")
	})
	if err != nil {
		return err
	}
	poll := time.NewTimer(jitter(l.cfg.PollInterval, 0.1))
	full := time.NewTimer(until(l.full))
	drift := time.NewTimer(until(l.drift))
	retry := time.NewTimer(l.nextRetry())
	backups := time.NewTimer(l.untilBackups())
	defer func() {
		poll.Stop()
		full.Stop()
		drift.Stop()
		retry.Stop()
		backups.Stop()
	}()
	for {
		var job func(context.Context)
		repoll := false
		select {
		case <-ctx.Done():
			l.setStopping()
			l.log.Info("serve stopped")
			return nil
		case <-poll.C:
			l.metrics.Triggers.WithLabelValues("poll").Inc()
			job, repoll = func(ctx context.Context) { l.refresh(ctx, "poll") }, true
		case source := <-l.wake:
			job, repoll = func(ctx context.Context) { l.refresh(ctx, source) }, true
		case <-l.leading:
			l.metrics.Triggers.WithLabelValues("leader").Inc()
			job = func(ctx context.Context) {
				l.loadRetries(ctx)
				l.reconcileAll(ctx, "leader")
			}
		case <-full.C:
			full.Reset(until(l.full))
			l.metrics.Triggers.WithLabelValues("schedule").Inc()
			job = func(ctx context.Context) { l.reconcileAll(ctx, "schedule") }
		case <-drift.C:
			drift.Reset(until(l.drift))
			job = l.scanDrift
		case <-retry.C:
			job = l.retryDue
		case <-l.retryNow:
			job = l.retryDue
		case <-backups.C:
			backups.Reset(l.untilBackups())
			job = l.scheduledBackups
		case req := <-l.requests:
			l.metrics.Triggers.WithLabelValues(req.Trigger).Inc()
			job = func(ctx context.Context) { req.done <- l.serve(ctx, req) }
		}
		if err := l.execute(ctx, job); err != nil {
			l.setStopping()
			return err
		}
		// A timer that fired during the job stays pending and fires next
		// round; the poll restarts its interval after each fetch.
		if repoll {
			poll.Reset(jitter(l.cfg.PollInterval, 0.1))
		}
		retry.Reset(l.nextRetry())
	}
}

// execute runs job in a goroutine and waits for it. When ctx ends first,
// job's context ends too (the reconciler starts no new tenant and stops
// between steps; an apply in flight runs on) and job gets the grace period
// to finish; after it, the runs in flight are recorded as failed and
// ErrGraceExpired is returned.
func (l *Loop) execute(ctx context.Context, job func(context.Context)) error {
	done := make(chan struct{})
	l.mu.Lock()
	l.busySince = time.Now()
	l.mu.Unlock()
	go func() {
		defer close(done)
		defer func() {
			l.mu.Lock()
			l.busySince, l.lastJob = time.Time{}, time.Now()
			l.mu.Unlock()
		}()
		job(ctx)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	l.setStopping()
	l.log.Info("shutting down: waiting for the run in flight", "grace", l.cfg.Grace.String())
	grace := time.NewTimer(l.cfg.Grace)
	defer grace.Stop()
	select {
	case <-done:
		return nil
	case <-grace.C:
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, id := range l.runs.inFlight() {
		reason := fmt.Sprintf("interrupted: serve stopped and the grace period (%s) ended during an apply; "+
			"whether the statement in flight took effect is unknown, the next reconcile re-plans from the live schema", l.cfg.Grace)
		if err := l.store.AbandonRun(wctx, id, reason); err != nil {
			l.log.Error("record abandoned run", "run_id", id, "err", err)
		} else {
			l.log.Error("run abandoned at shutdown", "run_id", id, "grace", l.cfg.Grace.String())
		}
	}
	// The job's goroutine is left behind on purpose: the process exits.
	return ErrGraceExpired
}

// Wake asks for a fetch at once (a webhook). Wakes coalesce: a burst of
// them while a run is in flight is one fetch after it. A replica that is
// not the leader also passes the wake to the leader.
func (l *Loop) Wake(ctx context.Context, source string) {
	l.metrics.Triggers.WithLabelValues(source).Inc()
	select {
	case l.wake <- source:
	default:
	}
	if !l.isLeader() {
		if err := l.store.WakeLease(ctx, leaderLease); err != nil {
			l.log.Warn("pass the wake to the leader", "err", err)
		}
	}
}

func (l *Loop) isLeader() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leader
}

func (l *Loop) setStopping() {
	l.mu.Lock()
	l.stopping = true
	l.mu.Unlock()
}

// until is the wait before the schedule's next time.
func until(s cron.Schedule) time.Duration {
	now := time.Now()
	return s.Next(now).Sub(now)
}

// probeServers checks the servers of the revision in force every
// ProbeInterval until ctx ends, for Status and landlord_server_up.
func (l *Loop) probeServers(ctx context.Context) {
	tick := time.NewTicker(l.cfg.ProbeInterval)
	defer tick.Stop()
	for {
		if repo := l.Current(); repo != nil {
			health := l.rec.Probe(ctx, repo)
			if ctx.Err() != nil {
				return
			}
			l.mu.Lock()
			l.servers = health
			l.mu.Unlock()
			for _, h := range health {
				up := 0.0
				if h.Up {
					up = 1
					l.serverBack(h.Name)
				}
				l.metrics.ServerUp.WithLabelValues(h.Name).Set(up)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
