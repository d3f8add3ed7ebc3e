package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// Actions: what a reconcile does, or would do, to a tenant.
const (
	ActionCreate    = "create"
	ActionUpdate    = "update"
	ActionNoop      = "noop"
	ActionBlocked   = "blocked"
	ActionError     = "error"
	ActionSuspended = "suspended"
	// ActionPinned: a rollback pinned the tenant; reconciles leave it.
	ActionPinned = "pinned"
)

// Options of one reconcile.
type Options struct {
	// Tenants limits the reconcile to these slugs; empty means all.
	Tenants []string
	// Plan computes the plans and changes nothing: no database is created
	// or altered and nothing is recorded.
	Plan bool
	// AllowDestructive allows destructive statements for every tenant, on
	// top of the policies in the repository.
	AllowDestructive bool
	// Concurrency is the number of tenants in flight at once, over all
	// servers. Each server also has its own limit (landlord.yaml).
	Concurrency int
	// LockWait is how long to wait for another apply to the same tenant.
	LockWait time.Duration
	// Trigger and Actor are recorded with the run ("cli", "schedule", ...).
	Trigger, Actor string
	// Progress is called as each tenant finishes, from any goroutine.
	Progress func(TenantResult)
	// Acting is called when a tenant's plan is about to be applied, with
	// its action (create or update) and changes, from any goroutine. It
	// must not block: serve turns it into the provisioning.started event.
	Acting func(TenantResult)
	// Against is what a plan starts from: AgainstLive (the default)
	// inspects each tenant's database; AgainstState starts from the
	// tenant's newest snapshot in Snapshots and connects to no database
	// server at all. AgainstState needs Plan.
	Against string
	// Snapshots is read by plans AgainstState.
	Snapshots SnapshotSource
}

// What a plan starts from.
const (
	AgainstLive  = "live"
	AgainstState = "state"
)

// SnapshotSource is where plans against the landlord database read each
// tenant's last recorded schema and status.
type SnapshotSource interface {
	// LatestSnapshot returns the tenant's newest snapshot with its HCL; ok
	// is false when it has none.
	LatestSnapshot(ctx context.Context, tenant string) (snap state.Snapshot, ok bool, err error)
	// Tenant returns the tenant's record; ok is false when there is none.
	Tenant(ctx context.Context, slug string) (t state.Tenant, ok bool, err error)
}

// Result is the outcome of one reconcile.
type Result struct {
	RunID    int64
	Revision string
	Plan     bool
	// Against is what the plans start from: AgainstLive or AgainstState.
	Against string
	Tenants []TenantResult
	Counts  state.Counts
	// Applied is the number of statements applied.
	Applied int
	// Composed is the number of desired schemas composed: one per distinct
	// layer set (and engine), shared by every tenant that has it.
	Composed int
	Warnings []string
	Duration time.Duration
}

// Failed reports whether any tenant failed or was blocked.
func (r *Result) Failed() bool { return r.Counts.Failed > 0 || r.Counts.Blocked > 0 }

// Changed reports whether any tenant has (or had) changes.
func (r *Result) Changed() bool {
	for _, t := range r.Tenants {
		if len(t.Changes) > 0 {
			return true
		}
	}
	return false
}

// TenantResult is what a reconcile did, or would do, to one tenant.
type TenantResult struct {
	Slug     string   `json:"slug"`
	Server   string   `json:"server"`
	Database string   `json:"database"`
	Action   string   `json:"action"`
	Changes  []Change `json:"changes"`
	Error    string   `json:"error,omitempty"`
	// PinnedTo is the revision a pinned tenant is held at.
	PinnedTo string `json:"pinned_to,omitempty"`
	// Drift is how the live schema differed from the tenant's baseline
	// snapshot before the reconcile acted, each object with what the
	// reconcile did about it.
	Drift []DriftFinding `json:"drift,omitempty"`
	// Snapshot is the snapshot a plan against the landlord database
	// starts from; nil there when the tenant has none (planned as new).
	Snapshot *SnapshotRef `json:"snapshot,omitempty"`
	// Warnings say what may make the plan differ from what an apply
	// would do.
	Warnings []string `json:"warnings,omitempty"`

	// Applied statements, for an apply.
	Applied     int           `json:"-"`
	DesiredHash string        `json:"-"`
	LiveHash    string        `json:"-"`
	Duration    time.Duration `json:"-"`
	// Class of the error, for retries (serve).
	Class Class `json:"-"`

	// interrupted: the reconcile was cancelled before it changed anything;
	// the tenant's recorded status stays as it was. acting: the apply began.
	interrupted, acting bool
}

// Change is one planned statement with its provenance.
type Change struct {
	SQL         string   `json:"sql"`
	Layer       string   `json:"layer"`
	File        string   `json:"file"`
	Line        int      `json:"line,omitempty"`
	Destructive bool     `json:"destructive"`
	Reasons     []string `json:"reasons,omitempty"`
}

// SnapshotRef names the snapshot a plan is based on.
type SnapshotRef struct {
	ID        int64     `json:"id"`
	RunID     int64     `json:"run_id,omitempty"`
	Revision  string    `json:"revision"`
	CreatedAt time.Time `json:"created_at"`
}

// Store is what the reconciler records into: the landlord database.
type Store interface {
	StartRun(ctx context.Context, trigger, actor, revision string) (int64, error)
	FinishRun(ctx context.Context, id int64, outcome string, c state.Counts, applied int, runErr string) error
	Tenants(ctx context.Context) ([]state.Tenant, error)
	SaveTenant(ctx context.Context, t state.Tenant) error
	MarkRemoved(ctx context.Context, keep []string) error
	RecordTenantRun(ctx context.Context, tr state.TenantRun) error
	AddStatements(ctx context.Context, sts []state.Statement) error
	FinishStatement(ctx context.Context, id int64, status string, d time.Duration, errText string) error
	SetStatementsStatus(ctx context.Context, runID int64, tenant, from, to string) error
	AddSnapshot(ctx context.Context, snap state.Snapshot) (int64, error)
	LatestSnapshotHashes(ctx context.Context) (map[string]string, error)
	PruneSnapshots(ctx context.Context, tenant string, r state.Retention) (int, error)
	Baseline(ctx context.Context, tenant string) (state.Snapshot, bool, error)
	RecordDrift(ctx context.Context, tenant string, found []state.Drift, runID int64) ([]state.Drift, error)
	DriftSummaries(ctx context.Context) (map[string]state.DriftSummary, error)
	Pins(ctx context.Context) (map[string]state.Pin, error)
	SetPin(ctx context.Context, p state.Pin) error
	Unpin(ctx context.Context, tenant string) (bool, error)
	Tenant(ctx context.Context, slug string) (state.Tenant, bool, error)
	GetRun(ctx context.Context, id int64) (state.Run, bool, error)
	RunSnapshot(ctx context.Context, tenant string, runID int64) (state.Snapshot, bool, error)
	GetSnapshot(ctx context.Context, tenant string, id int64) (state.Snapshot, bool, error)
}

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

// mode is what a run does to its tenants.
type mode int

const (
	// modeReconcile brings tenants to the repository's desired schema,
	// leaving pinned tenants alone and drift as their policy says.
	modeReconcile mode = iota
	// modeRepair restores the desired schema of one tenant, drift and all.
	modeRepair
	// modeRollback applies another revision's desired schema (or a
	// snapshot) to one tenant and pins it there.
	modeRollback
)

// run is the state of one reconcile.
type run struct {
	*Reconciler
	repo *desired.Repo
	opts Options
	id   int64
	mode mode
	// revision is the revision applied and recorded: the repository's,
	// or a rollback's target.
	revision string
	// target, when set, replaces the tenants' desired schema (rollback).
	target func(schema.Engine) (*schema.Desired, error)
	// pin is what a successful rollback pins its tenant to.
	pin     *state.Pin
	records map[string]state.Tenant
	snaps   map[string]string
	pins    map[string]state.Pin
	drifted map[string]state.DriftSummary

	mu      sync.Mutex
	desired map[string]*desiredEntry
	offline map[schema.Engine]*offlineEntry
}

type desiredEntry struct {
	once sync.Once
	d    *schema.Desired
	err  error
}

// Reconcile plans and, unless opts.Plan, applies the repository to the
// tenants' databases. Manifest problems of a tenant fail that tenant only;
// a problem no tenant can be reconciled with (landlord.yaml, the basic
// layer) fails the whole reconcile before any database is touched.
func (r *Reconciler) Reconcile(ctx context.Context, repo *desired.Repo, opts Options) (*Result, error) {
	return r.execute(ctx, &run{Reconciler: r, repo: repo, opts: opts, revision: repo.Revision})
}

// execute runs ru over its tenants and records it.
func (r *Reconciler) execute(ctx context.Context, ru *run) (*Result, error) {
	start := time.Now()
	repo, opts := ru.repo, ru.opts
	tenants, err := prepare(repo, opts.Tenants, &opts.Concurrency, &opts.LockWait)
	if err != nil {
		return nil, err
	}
	if opts.Trigger == "" {
		opts.Trigger = "cli"
	}
	switch opts.Against {
	case "":
		opts.Against = AgainstLive
	case AgainstLive:
	case AgainstState:
		if !opts.Plan || opts.Snapshots == nil {
			return nil, errors.New("plans against the landlord database need Plan and Snapshots")
		}
	default:
		return nil, fmt.Errorf("unknown plan basis %q: want live or state", opts.Against)
	}
	ru.opts = opts
	ru.desired, ru.records = map[string]*desiredEntry{}, map[string]state.Tenant{}
	ru.offline = map[schema.Engine]*offlineEntry{}
	defer ru.closeOffline()
	res := &Result{Revision: ru.revision, Plan: opts.Plan, Against: opts.Against, Warnings: repo.Warnings}
	record := r.store != nil && !opts.Plan
	if record {
		if ru.id, err = r.store.StartRun(ctx, opts.Trigger, opts.Actor, ru.revision); err != nil {
			return nil, err
		}
		res.RunID = ru.id
	}
	// A plan reads the landlord database when there is one (baselines and
	// pins decide what a reconcile would do) but records nothing.
	if r.store != nil {
		if err := ru.load(ctx); err != nil {
			if record {
				r.store.FinishRun(context.WithoutCancel(ctx), ru.id, state.RunError, state.Counts{}, 0, err.Error())
			}
			return nil, err
		}
	}
	res.Tenants = ru.all(ctx, tenants)
	for _, t := range res.Tenants {
		res.Counts.Total++
		res.Applied += t.Applied
		switch t.Action {
		case ActionCreate:
			res.Counts.Created++
		case ActionUpdate:
			res.Counts.Updated++
		case ActionNoop:
			res.Counts.Unchanged++
		case ActionBlocked:
			res.Counts.Blocked++
		case ActionError:
			res.Counts.Failed++
		case ActionSuspended:
			res.Counts.Suspended++
		case ActionPinned:
			res.Counts.Pinned++
		}
	}
	res.Composed = len(ru.desired)
	res.Duration = time.Since(start)
	if record {
		outcome := state.RunSucceeded
		if res.Failed() {
			outcome = state.RunFailed
		}
		wctx := context.WithoutCancel(ctx)
		var runErr string
		if n := countInterrupted(res.Tenants); n > 0 {
			// A run whose every tenant finished (an apply in flight runs
			// to its end) is complete, even if it was asked to stop.
			outcome, runErr = state.RunFailed, fmt.Sprintf("interrupted: %d tenant(s) not reconciled", n)
		}
		if len(opts.Tenants) == 0 && ctx.Err() == nil && ru.mode == modeReconcile {
			var keep []string
			for _, t := range repo.Tenants {
				keep = append(keep, t.Slug)
			}
			if err := r.store.MarkRemoved(wctx, keep); err != nil {
				r.log.Warn("mark removed tenants", "err", err)
			}
		}
		if err := r.store.FinishRun(wctx, ru.id, outcome, res.Counts, res.Applied, runErr); err != nil {
			return res, err
		}
	}
	return res, nil
}

func countInterrupted(ts []TenantResult) int {
	n := 0
	for _, t := range ts {
		if t.interrupted {
			n++
		}
	}
	return n
}

// load reads what the run needs from the landlord database: the tenants'
// records, baseline hashes, pins and open drift.
func (ru *run) load(ctx context.Context) error {
	recs, err := ru.store.Tenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range recs {
		ru.records[t.Slug] = t
	}
	if ru.snaps, err = ru.store.LatestSnapshotHashes(ctx); err != nil {
		return err
	}
	if ru.pins, err = ru.store.Pins(ctx); err != nil {
		return err
	}
	ru.drifted, err = ru.store.DriftSummaries(ctx)
	return err
}

// prepare checks that the repository can be worked on and returns the
// tenants named in slugs (all when empty), and sets the defaults of the
// concurrency and the lock wait.
func prepare(repo *desired.Repo, slugs []string, concurrency *int, lockWait *time.Duration) ([]*desired.Tenant, error) {
	if len(repo.Errors) > 0 {
		return nil, repo.Errors
	}
	if *concurrency <= 0 {
		*concurrency = 4
	}
	if *lockWait <= 0 {
		*lockWait = 30 * time.Second
	}
	return selectTenants(repo, slugs)
}

// selectTenants returns the tenants named in slugs (all when empty), in
// slug order; an unknown slug is an error.
func selectTenants(repo *desired.Repo, slugs []string) ([]*desired.Tenant, error) {
	if len(slugs) == 0 {
		return repo.Tenants, nil
	}
	var (
		out     []*desired.Tenant
		unknown []string
		seen    = map[string]bool{}
	)
	for _, s := range slugs {
		if seen[s] {
			continue
		}
		seen[s] = true
		t, ok := repo.Tenant(s)
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", s))
			continue
		}
		out = append(out, t)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("no tenant %s in the repository", strings.Join(unknown, ", "))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
	return out, nil
}

// all reconciles the tenants, at most opts.Concurrency at once and at most
// each server's own limit per server.
func (ru *run) all(ctx context.Context, tenants []*desired.Tenant) []TenantResult {
	return each(ctx, ru.repo, ru.opts.Concurrency, tenants, func(ctx context.Context, t *desired.Tenant) TenantResult {
		tr := ru.one(ctx, t)
		if ru.opts.Progress != nil {
			ru.opts.Progress(tr)
		}
		return tr
	}, func(t *desired.Tenant) TenantResult {
		return TenantResult{Slug: t.Slug, Server: t.Server, Database: t.Database, Action: ActionError,
			Error: "not reconciled: interrupted", Class: Transient, interrupted: true}
	})
}

// each calls do for every tenant, at most concurrency at once and at most
// each server's own limit (landlord.yaml) per server, and returns the
// results in the order of tenants. Tenants are interleaved across servers
// so that one busy server does not hold every slot. A tenant not started
// when ctx ends gets interrupted(t).
func each[T any](ctx context.Context, repo *desired.Repo, concurrency int, tenants []*desired.Tenant,
	do func(context.Context, *desired.Tenant) T, interrupted func(*desired.Tenant) T) []T {
	results := make([]T, len(tenants))
	index := make(map[*desired.Tenant]int, len(tenants))
	byServer := map[string][]*desired.Tenant{}
	var servers []string
	for i, t := range tenants {
		index[t] = i
		if _, ok := byServer[t.Server]; !ok {
			servers = append(servers, t.Server)
		}
		byServer[t.Server] = append(byServer[t.Server], t)
	}
	concurrency = max(concurrency, 1)
	sems := map[string]chan struct{}{}
	for _, name := range servers {
		limit := concurrency
		if def := repo.Config.Servers[name]; def != nil {
			if def.Concurrency > 0 {
				limit = min(limit, def.Concurrency)
			}
			if def.MaxConnections > 0 {
				limit = min(limit, def.MaxConnections)
			}
		}
		sems[name] = make(chan struct{}, max(limit, 1))
	}
	var order []*desired.Tenant
	for i := 0; len(order) < len(tenants); i++ {
		for _, name := range servers {
			if i < len(byServer[name]) {
				order = append(order, byServer[name][i])
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for _, t := range order {
		if gctx.Err() != nil {
			results[index[t]] = interrupted(t)
			continue
		}
		sem := sems[t.Server]
		g.Go(func() error {
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				results[index[t]] = interrupted(t)
				return nil
			}
			defer func() { <-sem }()
			results[index[t]] = do(gctx, t)
			return nil
		})
	}
	g.Wait()
	return results
}

// one reconciles one tenant; it never panics and always records.
func (ru *run) one(ctx context.Context, t *desired.Tenant) (tr TenantResult) {
	start := time.Now()
	tr = TenantResult{Slug: t.Slug, Server: t.Server, Database: t.Database}
	defer func() {
		if p := recover(); p != nil {
			ru.log.Error("tenant reconcile panicked", "tenant", t.Slug, "panic", p, "stack", string(debug.Stack()))
			tr.Action, tr.Error, tr.Class = ActionError, fmt.Sprintf("internal error: %v", p), Stalled
		}
		tr.Duration = time.Since(start)
		tr.Error = redact.Text(tr.Error)
		ru.finish(context.WithoutCancel(ctx), t, &tr, start)
	}()
	pin, pinned := ru.pins[t.Slug]
	switch {
	case !t.Valid():
		tr.Action, tr.Class = ActionError, Stalled
		tr.Error = t.Errors.Error()
		return tr
	case t.Lifecycle != desired.Active:
		tr.Action = ActionSuspended
		return tr
	case pinned && ru.mode == modeReconcile:
		tr.Action, tr.PinnedTo = ActionPinned, pin.Revision
		return tr
	case pinned && ru.mode == modeRepair:
		tr.Action, tr.Class, tr.PinnedTo = ActionError, Stalled, pin.Revision
		tr.Error = fmt.Sprintf("the tenant is pinned to %s by a rollback: unpin it first (landlord unpin %s), or roll back again", shortRev(pin.Revision), t.Slug)
		return tr
	}
	if err := ru.reconcile(ctx, t, &tr); err != nil {
		tr.Action = ActionError
		tr.Error = err.Error()
		tr.Class = classify(err)
		if ctx.Err() != nil && tr.Applied == 0 && !tr.acting {
			// Cancelled while observing or planning (serve shutting down):
			// nothing happened to the tenant, so its status is not news.
			tr.interrupted, tr.Class = true, Transient
			tr.Error = "not reconciled: interrupted (" + tr.Error + ")"
		}
		ru.log.Info("tenant failed", "tenant", t.Slug, "revision", ru.revision, "run_id", ru.id, "err", tr.Error)
	}
	return tr
}

// reconcile is observe → compute → decide → act → verify for one tenant.
// It fills tr; an error is the tenant's failure.
func (ru *run) reconcile(ctx context.Context, t *desired.Tenant, tr *TenantResult) error {
	if ru.opts.Against == AgainstState {
		return ru.planFromState(ctx, t, tr)
	}
	srv, err := ru.server(ctx, ru.repo, t.Server)
	if err != nil {
		return err
	}
	d, err := ru.desiredFor(srv.Engine(), t)
	if err != nil {
		return err
	}
	ignore := ignored(ru.repo.Config.Comparison, d)
	if ru.opts.Plan {
		target, err := srv.Read(ctx, t.Database)
		if err != nil {
			return err
		}
		defer target.Close()
		live, err := target.Inspect(ctx)
		if err != nil {
			return err
		}
		dec, err := ru.compute(ctx, t, srv, target, live.Without(ignore), d)
		if err != nil {
			return err
		}
		ru.decide(t, dec, tr)
		return nil
	}
	// The desired hash needs a connection of its own (a scratch database):
	// take it before holding the tenant's connection, so workers never wait
	// on each other for the pool.
	desiredHash, err := srv.DesiredHash(ctx, d)
	if err != nil {
		return fmt.Errorf("desired schema: %w", err)
	}
	tr.DesiredHash = desiredHash
	target, err := srv.Lock(ctx, t.Database, ru.opts.LockWait)
	if err != nil {
		return err
	}
	defer target.Close()
	// Observe and compute under the lock: another apply may have just
	// finished.
	live, err := target.Inspect(ctx)
	if err != nil {
		return err
	}
	live = live.Without(ignore)
	dec, err := ru.compute(ctx, t, srv, target, live, d)
	if err != nil {
		return err
	}
	p := dec.plan
	ru.decide(t, dec, tr)
	if tr.Action == ActionBlocked {
		ru.recordPlanned(ctx, t, p, state.StatementBlocked)
		tr.LiveHash = dec.liveHash
		if tr.LiveHash == "" {
			tr.LiveHash, _ = live.Hash()
		}
		var found []state.Drift
		for _, f := range dec.drift {
			found = append(found, f.Drift)
		}
		ru.recordDrift(ctx, t, found)
		return nil
	}
	if tr.Action != ActionNoop {
		// Act. The apply runs to its end even when the reconcile is
		// interrupted: a half-applied plan is worse than a late exit.
		actx := context.WithoutCancel(ctx)
		ru.progressing(actx, t)
		tr.acting = true
		if ru.opts.Acting != nil {
			ru.opts.Acting(*tr)
		}
		ids := ru.recordPlanned(actx, t, p, state.StatementPending)
		err := target.Apply(actx, p, func(r schema.StatementResult) {
			tr.Applied += boolInt(r.Err == nil)
			if ids == nil {
				return
			}
			status, msg := state.StatementApplied, ""
			if r.Err != nil {
				status, msg = state.StatementFailed, redact.Text(r.Err.Error())
			}
			if err := ru.store.FinishStatement(actx, ids[r.Index], status, r.Duration, msg); err != nil {
				ru.log.Error("record statement", "tenant", t.Slug, "run_id", ru.id, "err", err)
			}
		})
		if ids != nil {
			ru.store.SetStatementsStatus(actx, ru.id, t.Slug, state.StatementPending, state.StatementSkipped)
		}
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		ctx = actx
	}
	// Verify: re-inspect; nothing may remain and the hashes must agree. A
	// no-op was planned under the lock from this very inspection: nothing
	// to re-read. Drift the policy leaves alone stays, so it is left out of
	// the check and the live hash cannot equal the desired one.
	if tr.Action != ActionNoop {
		if live, err = target.Inspect(ctx); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		live = live.Without(ignore)
		after, err := target.PlanLeaving(ctx, live, d, dec.leave)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if !after.Empty() {
			return fmt.Errorf("verify: %d statements still pending after apply, first: %s", len(after.Statements), firstLine(after.Statements[0].SQL))
		}
	}
	if tr.Action == ActionNoop && dec.liveHash != "" {
		// The schema compute hashed is the one verified.
		tr.LiveHash = dec.liveHash
	} else if tr.LiveHash, err = live.Hash(); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if tr.LiveHash != tr.DesiredHash && len(dec.leave) == 0 {
		if tr.Action == ActionNoop {
			// The diff is authoritative; a hash that disagrees means the
			// database was created with other server defaults.
			ru.log.Warn("live hash differs from desired hash with no changes pending", "tenant", t.Slug, "live_hash", tr.LiveHash, "desired_hash", tr.DesiredHash)
		} else {
			return fmt.Errorf("verify: live schema hash %.12s differs from desired hash %.12s", tr.LiveHash, tr.DesiredHash)
		}
	}
	if err := ru.snapshot(ctx, t, srv, d, live, tr.LiveHash, dec); err != nil {
		return err
	}
	// What remains of the drift is what was left alone: untouched by the
	// apply, as it was found.
	var remaining []state.Drift
	for _, f := range dec.drift {
		if f.Action == DriftLeft {
			remaining = append(remaining, f.Drift)
		}
	}
	ru.recordDrift(ctx, t, remaining)
	return nil
}

// snapshot records the tenant's new baseline after a verified reconcile,
// when it differs from the last: the live schema, or, when drift was left
// alone, the desired schema as the server has it (what live would be
// without the drift), so that the drift stays drift. The snapshots beyond
// the retention are pruned.
func (ru *run) snapshot(ctx context.Context, t *desired.Tenant, srv *schema.Server, d *schema.Desired, live *schema.Live, liveHash string, dec *decision) error {
	if ru.store == nil {
		return nil
	}
	baseline, hash := live, liveHash
	if len(dec.leave) > 0 {
		var err error
		if baseline, err = srv.DesiredLive(ctx, d); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		if hash, err = baseline.Hash(); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	if hash == ru.snaps[t.Slug] {
		return nil
	}
	hcl, err := baseline.HCL()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	_, err = ru.store.AddSnapshot(ctx, state.Snapshot{Tenant: t.Slug, RunID: ru.id, Revision: ru.revision, Kind: state.SnapshotApplied,
		Engine: string(srv.Engine()), Hash: hash, HCL: string(hcl)})
	if err != nil {
		return err
	}
	ru.prune(ctx, t.Slug)
	return nil
}

// prune deletes the tenant's snapshots beyond the retention of
// landlord.yaml. A failure is logged: the reconcile succeeded.
func (ru *run) prune(ctx context.Context, slug string) {
	keep, days := ru.repo.Config.Snapshots.Keep, ru.repo.Config.Snapshots.MaxDays
	if keep <= 0 {
		keep = DefaultSnapshotKeep
	}
	if days <= 0 {
		days = DefaultSnapshotMaxDays
	}
	n, err := ru.store.PruneSnapshots(ctx, slug, state.Retention{Keep: keep, MaxAge: time.Duration(days) * 24 * time.Hour})
	if err != nil {
		ru.log.Error("prune snapshots", "tenant", slug, "err", err)
		return
	}
	if n > 0 {
		ru.log.Info("pruned snapshots", "tenant", slug, "deleted", n)
	}
}

// Snapshot retention defaults (landlord.yaml snapshots.keep and maxDays).
const (
	DefaultSnapshotKeep    = 10
	DefaultSnapshotMaxDays = 30
)

// recordDrift records the drift a reconcile found (or left) in the tenant;
// open drift that is not in found is resolved by this run.
func (ru *run) recordDrift(ctx context.Context, t *desired.Tenant, found []state.Drift) {
	if ru.store == nil || ru.id == 0 || (len(found) == 0 && ru.drifted[t.Slug].Open == 0) {
		return
	}
	if _, err := ru.store.RecordDrift(ctx, t.Slug, found, ru.id); err != nil {
		ru.log.Error("record drift", "tenant", t.Slug, "run_id", ru.id, "err", err)
	}
}

// decide sets the action and changes of a planned tenant.
func (ru *run) decide(t *desired.Tenant, dec *decision, tr *TenantResult) {
	p := dec.plan
	tr.Changes = changes(p)
	tr.Drift = dec.drift
	switch {
	case p.Empty():
		tr.Action = ActionNoop
	case len(p.Destructive()) > 0 && !(t.AllowDestructive || ru.opts.AllowDestructive):
		tr.Action, tr.Class = ActionBlocked, Stalled
		var what []string
		for _, s := range p.Destructive() {
			what = append(what, s.Reasons...)
		}
		tr.Error = fmt.Sprintf("blocked: %d destructive statement(s) (%s); allow with --allow-destructive or policy.allowDestructive", len(p.Destructive()), strings.Join(what, "; "))
	case p.Create:
		tr.Action = ActionCreate
	default:
		tr.Action = ActionUpdate
	}
}

func changes(p *schema.Plan) []Change {
	out := make([]Change, len(p.Statements))
	for i, s := range p.Statements {
		out[i] = Change{SQL: s.SQL, Layer: s.Layer, File: s.File, Line: s.Line, Destructive: s.Destructive, Reasons: s.Reasons}
	}
	return out
}

// desiredFor returns the tenant's desired schema, composed once per engine
// and layer set and shared by every tenant with the same layers; a
// rollback's target replaces it.
func (ru *run) desiredFor(engine schema.Engine, t *desired.Tenant) (*schema.Desired, error) {
	key := string(engine) + "\x01" + t.LayerKey()
	if ru.target != nil {
		key = string(engine)
	}
	ru.mu.Lock()
	e, ok := ru.desired[key]
	if !ok {
		e = &desiredEntry{}
		ru.desired[key] = e
	}
	ru.mu.Unlock()
	e.once.Do(func() {
		if ru.target != nil {
			e.d, e.err = ru.target(engine)
			return
		}
		e.d, e.err = compose(ru.repo, engine, t)
	})
	return e.d, e.err
}

// recordPlanned records the plan's statements with status and returns their
// ids (nil when nothing is recorded).
func (ru *run) recordPlanned(ctx context.Context, t *desired.Tenant, p *schema.Plan, status string) []int64 {
	if ru.store == nil || ru.id == 0 || p.Empty() {
		return nil
	}
	sts := make([]state.Statement, len(p.Statements))
	for i, s := range p.Statements {
		sts[i] = state.Statement{RunID: ru.id, Tenant: t.Slug, Seq: i + 1, Layer: s.Layer, File: s.File, Line: s.Line,
			SQL: s.SQL, Destructive: s.Destructive, Status: status}
	}
	if err := ru.store.AddStatements(ctx, sts); err != nil {
		ru.log.Error("record statements", "tenant", t.Slug, "run_id", ru.id, "err", err)
		return nil
	}
	ids := make([]int64, len(sts))
	for i, s := range sts {
		ids[i] = s.ID
	}
	return ids
}

// progressing records that the tenant is being changed.
func (ru *run) progressing(ctx context.Context, t *desired.Tenant) {
	if ru.store == nil || ru.id == 0 {
		return
	}
	rec := ru.record(t)
	rec.Health = state.Progressing
	rec.Sync = state.OutOfSync
	rec.LastAttemptedRevision = ru.revision
	if err := ru.store.SaveTenant(ctx, rec); err != nil {
		ru.log.Error("record tenant", "tenant", t.Slug, "err", err)
	}
}

// record returns the tenant's record with the manifest's fields.
func (ru *run) record(t *desired.Tenant) state.Tenant {
	ru.mu.Lock()
	rec, ok := ru.records[t.Slug]
	ru.mu.Unlock()
	if !ok {
		rec = state.Tenant{Slug: t.Slug, Sync: state.Unknown, Health: state.Missing}
	}
	rec.Name, rec.Template, rec.Modules = t.Name, t.Template, t.Modules
	rec.TemplateVersion = ""
	if tpl := ru.repo.Templates[t.Template]; tpl != nil {
		rec.TemplateVersion = tpl.Version
	}
	rec.Server, rec.Database, rec.Domain, rec.Lifecycle = t.Server, t.Database, t.Domain, t.Lifecycle
	rec.RemovedAt = nil
	return rec
}

// finish records the tenant's outcome: its status and what the run did.
func (ru *run) finish(ctx context.Context, t *desired.Tenant, tr *TenantResult, start time.Time) {
	if ru.store == nil || ru.id == 0 {
		return
	}
	// A tenant whose slug is not valid is never recorded: it may be
	// anything, and it is not a tenant landlord manages.
	if !validSlug(t.Slug) {
		return
	}
	if tr.interrupted {
		ru.recordTenantRun(ctx, t, tr, start)
		return
	}
	rec := ru.record(t)
	now := time.Now().UTC()
	rec.LastRunID = ru.id
	if tr.Action != ActionSuspended && tr.Action != ActionPinned {
		rec.LastAttemptedRevision = ru.revision
	}
	if tr.DesiredHash != "" {
		rec.DesiredHash = tr.DesiredHash
	}
	if tr.LiveHash != "" {
		rec.LiveHash = tr.LiveHash
	}
	rec.LastError = tr.Error
	switch tr.Action {
	case ActionCreate, ActionUpdate, ActionNoop:
		rec.Sync, rec.Health = state.Synced, state.Healthy
		rec.LastAppliedRevision = ru.revision
		rec.LastSyncedAt = &now
		if tr.Action == ActionCreate && rec.DatabaseCreatedAt == nil {
			rec.DatabaseCreatedAt = &now
		}
		if ru.mode == modeRollback && ru.pin != nil {
			pin := *ru.pin
			pin.Tenant, pin.RunID, pin.Actor = t.Slug, ru.id, ru.opts.Actor
			if err := ru.store.SetPin(ctx, pin); err != nil {
				ru.log.Error("pin tenant", "tenant", t.Slug, "run_id", ru.id, "err", err)
				rec.LastError = "the rollback applied but the pin was not recorded: " + err.Error()
			} else {
				rec.Sync = state.Pinned
			}
		}
	case ActionPinned:
		rec.Sync = state.Pinned
	case ActionBlocked:
		rec.Sync, rec.Health = state.OutOfSync, state.Healthy
	case ActionSuspended:
		rec.Health = state.SuspendedHealth
	case ActionError:
		rec.Sync = state.Unknown
		if tr.Applied > 0 || rec.Health == state.Progressing {
			rec.Sync = state.OutOfSync
		}
		switch {
		case rec.Health == state.Missing || rec.Health == "":
			rec.Health = state.Missing
		default:
			rec.Health = state.Degraded
		}
	}
	if err := ru.store.SaveTenant(ctx, rec); err != nil {
		ru.log.Error("record tenant", "tenant", t.Slug, "run_id", ru.id, "err", err)
	}
	ru.mu.Lock()
	ru.records[t.Slug] = rec
	ru.mu.Unlock()
	ru.recordTenantRun(ctx, t, tr, start)
}

// recordTenantRun records what the run did to the tenant.
func (ru *run) recordTenantRun(ctx context.Context, t *desired.Tenant, tr *TenantResult, start time.Time) {
	outcome := "succeeded"
	switch tr.Action {
	case ActionError:
		outcome = "failed"
	case ActionBlocked:
		outcome = "blocked"
	case ActionSuspended, ActionPinned:
		outcome = "skipped"
	}
	err := ru.store.RecordTenantRun(ctx, state.TenantRun{RunID: ru.id, Tenant: t.Slug, Revision: ru.revision, Action: tr.Action,
		Outcome: outcome, Statements: tr.Applied, Error: tr.Error, StartedAt: start, FinishedAt: time.Now()})
	if err != nil {
		ru.log.Error("record tenant run", "tenant", t.Slug, "run_id", ru.id, "err", err)
	}
}

func validSlug(s string) bool {
	if len(s) < 2 || len(s) > 63 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 160 {
		l = l[:160] + "…"
	}
	return l
}
