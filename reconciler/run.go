package reconciler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
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
	// AbortAfter bounds an apply in flight once ctx ends: its statement
	// is cancelled (and killed on the server) this long after, recorded
	// as failed, and the tenant fails. Zero: an apply in flight runs to
	// its end (serve, which has its grace period).
	AbortAfter time.Duration
	// Previous, when set, reads the repository at an earlier revision: a
	// plan that drops an object then names the file that declared it in
	// the revision last applied to the tenant. Nil: drops name their
	// table's layer.
	Previous func(ctx context.Context, revision string) (*desired.Repo, error)
}

// ErrAborted is why an apply in flight stopped: the reconcile was
// interrupted and Options.AbortAfter ended.
var ErrAborted = errors.New("aborted: the reconcile was interrupted")

// What a plan starts from.
const (
	AgainstLive  = "live"
	AgainstState = "state"
)

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

	mu       sync.Mutex
	desired  map[string]*desiredEntry
	previous map[string]*previousEntry
	offline  map[schema.Engine]*offlineEntry
	// fast is what the fast path for unchanged tenants knows, or nil.
	fast *fastPath
	// parsed are the snapshots read back as schemas (snapshotLive).
	parsed parsedSnapshots
	// unrecorded is the first failure of the landlord database to record
	// a tenant's plan in this run: no tenant is applied after it (each
	// would wait for the landlord database, holding its lock, and fail
	// all the same).
	unrecorded atomic.Pointer[error]
	// noopTenants and noopRuns are the records of no-ops by fingerprint
	// not written yet (under mu).
	noopTenants []state.Tenant
	noopRuns    []state.TenantRun
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
	defer ru.forgetDesired()
	res := &Result{Revision: ru.revision, Plan: opts.Plan, Against: opts.Against, Warnings: repo.Warnings}
	record := r.store != nil && !opts.Plan
	if record {
		stop := r.beat(ctx)
		defer stop()
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
	if r.store != nil {
		ru.loadFingerprints(ctx, tenants)
	}
	res.Tenants = ru.all(ctx, tenants)
	ru.flushNoops(context.WithoutCancel(ctx))
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
		case ActionSuspended, ActionDecommissioning, ActionDropped:
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
	if e, err := ServerEngine(ru.repo.Config.Servers[t.Server]); err == nil {
		tr.Engine = string(e)
	}
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
	case t.Lifecycle == desired.Decommissioned && ru.mode == modeReconcile && ru.opts.Against != AgainstState:
		ru.decommission(ctx, t, &tr)
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
		notRestored(&tr)
		tr.Error = err.Error()
		tr.Class = classify(err)
		tr.Unreachable = tr.Unreachable || tr.Class == Transient && unreachable(err)
		var se *ServerError
		tr.ServerFailed = errors.As(err, &se)
		if ctx.Err() != nil && tr.Applied == 0 && !tr.acting {
			// Cancelled while observing or planning (serve shutting down):
			// nothing happened to the tenant, so its status is not news.
			tr.interrupted, tr.Class = true, Transient
			tr.Error = "not reconciled: interrupted (" + tr.Error + ")"
		}
		ru.log.Info("tenant failed", "tenant", t.Slug, "revision", ru.revision, "run_id", ru.id, "err", tr.Error)
		return tr
	}
	ru.log.Debug("tenant reconciled", "tenant", t.Slug, "revision", ru.revision, "action", tr.Action, "statements", len(tr.Changes), "applied", tr.Applied)
	return tr
}

// reconcile is observe → compute → decide → act → verify → record for one
// tenant. It fills tr; an error is the tenant's failure.
func (ru *run) reconcile(ctx context.Context, t *desired.Tenant, tr *TenantResult) error {
	if ru.opts.Against == AgainstState {
		return ru.planFromState(ctx, t, tr)
	}
	if ru.fastNoop(ctx, t, tr) {
		return nil
	}
	obs, err := ru.observe(ctx, t, tr)
	if err != nil {
		return err
	}
	defer obs.target.Close()
	tr.observedAlike = obs.alike
	dec, err := ru.compute(ctx, t, obs)
	if err != nil {
		return err
	}
	ru.shareLive(ctx, t, obs, dec)
	ru.decide(t, dec, tr)
	switch {
	case ru.opts.Plan:
		return nil
	case tr.Action == ActionBlocked:
		ru.recordBlocked(ctx, t, obs, dec, tr)
		return nil
	case tr.Action != ActionNoop:
		// The apply runs to its end even when the reconcile is interrupted
		// (a half-applied plan is worse than a late exit), unless
		// AbortAfter bounds it. So does what follows it.
		actx, stop := ru.applyContext(ctx)
		defer stop()
		if err := ru.act(actx, t, obs.target, dec.plan, tr); err != nil {
			return changedSinceRead(obs, err, false)
		}
		ctx = context.WithoutCancel(ctx)
		if ok, err := ru.verifiedTouched(ctx, t, obs, dec, tr); ok || err != nil {
			return err
		}
		ru.fingerprintApplied(ctx, t, obs)
		if ok, err := ru.verifiedAlike(ctx, t, dec, tr); ok || err != nil {
			return err
		}
	}
	if err := ru.verify(ctx, t, obs, dec, tr); err != nil {
		return changedSinceRead(obs, err, true)
	}
	if err := ru.verifyData(ctx, obs, dec, tr); err != nil {
		return err
	}
	if err := ru.recordApplied(ctx, t, obs, dec, tr); err != nil {
		return err
	}
	ru.rememberFingerprint(ctx, t, obs, dec, tr)
	return nil
}

// applyContext is the context of an apply: not cancelled with ctx, but
// AbortAfter after ctx ends when that is set. Call stop after the apply.
func (ru *run) applyContext(ctx context.Context) (actx context.Context, stop func()) {
	actx = context.WithoutCancel(ctx)
	if ru.opts.AbortAfter <= 0 {
		return actx, func() {}
	}
	actx, cancel := context.WithCancelCause(actx)
	var timer *time.Timer
	var mu sync.Mutex
	unwatch := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(ru.opts.AbortAfter, func() { cancel(ErrAborted) })
	})
	return actx, func() {
		unwatch()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel(nil)
	}
}

// ledger is what a landlord database offers beyond Store to keep the
// record of runs true: a heartbeat of this process while it records runs,
// and closing the runs of processes that are gone (*state.Store).
type ledger interface {
	Heartbeat(ctx context.Context) error
	EndHeartbeat(ctx context.Context) error
	CloseAbandonedRuns(ctx context.Context, self ...string) ([]int64, error)
}

// beat closes the runs that dead processes left running, then keeps this
// process's heartbeat while its run goes on; stop ends it.
func (r *Reconciler) beat(ctx context.Context) (stop func()) {
	lg, ok := r.store.(ledger)
	if !ok {
		return func() {}
	}
	wctx := context.WithoutCancel(ctx)
	beatOnce := func() {
		bctx, cancel := context.WithTimeout(wctx, state.OwnerTTL/3)
		defer cancel()
		if err := lg.Heartbeat(bctx); err != nil {
			r.log.Warn("heartbeat", "err", err)
		}
	}
	beatOnce()
	closed, err := lg.CloseAbandonedRuns(ctx)
	if err != nil {
		r.log.Warn("close abandoned runs", "err", err)
	}
	for _, id := range closed {
		r.log.Warn("run of a process that is gone closed as abandoned", "run_id", id)
	}
	r.beatMu.Lock()
	r.beating++
	first := r.beating == 1
	if first {
		var bctx context.Context
		bctx, r.beatStop = context.WithCancel(wctx)
		r.beatDone = make(chan struct{})
		done := r.beatDone
		go func() {
			defer close(done)
			tick := time.NewTicker(state.OwnerTTL / 3)
			defer tick.Stop()
			for {
				select {
				case <-bctx.Done():
					return
				case <-tick.C:
					beatOnce()
				}
			}
		}()
	}
	r.beatMu.Unlock()
	return func() {
		r.beatMu.Lock()
		defer r.beatMu.Unlock()
		if r.beating--; r.beating == 0 {
			r.beatStop()
			<-r.beatDone
			ectx, cancel := context.WithTimeout(wctx, 5*time.Second)
			defer cancel()
			lg.EndHeartbeat(ectx)
		}
	}
}
