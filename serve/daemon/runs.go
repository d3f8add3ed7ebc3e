package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/serve/notify"
	"github.com/landlord/landlord/state"
)

// runOptions are what differs between the runs the loop makes.
type runOptions struct {
	trigger, actor   string
	allowDestructive bool
	// repair: a reconciler.Repair of the one tenant.
	repair bool
	// rollbackTo: a reconciler.Rollback of the one tenant to this run id
	// or revision.
	rollbackTo string
}

// reconcile runs a reconcile of tenants (nil: all) at repo's revision and
// turns its result into metrics, notifications and retry state.
func (l *Loop) reconcile(ctx context.Context, repo *desired.Repo, tenants []string, o runOptions) (*reconciler.Result, error) {
	var (
		mu      sync.Mutex
		started = map[string]bool{}
	)
	opts := reconciler.Options{
		Tenants: tenants, Concurrency: l.cfg.Concurrency, LockWait: l.cfg.LockWait,
		Trigger: o.trigger, Actor: o.actor, AllowDestructive: o.allowDestructive,
		Previous: l.loadAt,
		Acting: func(tr reconciler.TenantResult) {
			if tr.Action != reconciler.ActionCreate {
				return
			}
			mu.Lock()
			started[tr.Slug] = true
			mu.Unlock()
			l.notify.Notify(notify.Event{Type: notify.ProvisioningStarted, Tenant: tr.Slug, Revision: repo.Revision,
				RunID: l.runs.current(), Data: map[string]any{"server": tr.Server, "database": tr.Database, "statements": len(tr.Changes)}})
		},
	}
	start := time.Now()
	var (
		res *reconciler.Result
		err error
	)
	if o.rollbackTo != "" {
		res, err = l.rec.Rollback(ctx, repo, reconciler.RollbackOptions{To: o.rollbackTo, Load: l.loadAt,
			TenantOptions: reconciler.TenantOptions{Tenant: tenants[0], AllowDestructive: o.allowDestructive, LockWait: l.cfg.LockWait, Actor: o.actor}})
	} else if o.repair {
		res, err = l.rec.Repair(ctx, repo, reconciler.TenantOptions{Tenant: tenants[0], AllowDestructive: o.allowDestructive,
			LockWait: l.cfg.LockWait, Actor: o.actor})
	} else {
		res, err = l.rec.Reconcile(ctx, repo, opts)
	}
	wctx := context.WithoutCancel(ctx)
	if err != nil {
		l.metrics.ReconcileDuration.WithLabelValues(o.trigger, string(state.RunError)).Observe(time.Since(start).Seconds())
		l.log.Error("run failed", "revision", repo.Revision, "trigger", o.trigger, "err", err)
		return nil, err
	}
	outcome := state.RunSucceeded
	if res.Failed() {
		outcome = state.RunFailed
	}
	l.metrics.ReconcileDuration.WithLabelValues(o.trigger, string(outcome)).Observe(res.Duration.Seconds())
	l.metrics.StatementsApplied.Add(float64(res.Applied))
	c := res.Counts
	l.log.Info("run finished", "run_id", res.RunID, "revision", res.Revision, "trigger", o.trigger, "actor", o.actor,
		"outcome", outcome, "duration_ms", res.Duration.Milliseconds(), "tenants", c.Total, "created", c.Created,
		"updated", c.Updated, "unchanged", c.Unchanged, "blocked", c.Blocked, "failed", c.Failed, "statements", res.Applied)
	for _, t := range res.Tenants {
		l.tenantEvents(wctx, res, t, started[t.Slug])
	}
	l.notify.Notify(notify.Event{Type: notify.RunFinished, Revision: res.Revision, RunID: res.RunID, Data: map[string]any{
		"trigger": o.trigger, "actor": o.actor, "outcome": outcome, "counts": res.Counts,
		"statements_applied": res.Applied, "duration_ms": res.Duration.Milliseconds(),
	}})
	if ctx.Err() == nil {
		// A run cut short by shutdown says little about the tenants; the
		// next process starts with a reconcile of all of them anyway.
		l.track(wctx, res)
	}
	return res, nil
}

// tenantEvents logs a tenant's outcome and sends its events.
func (l *Loop) tenantEvents(ctx context.Context, res *reconciler.Result, t reconciler.TenantResult, started bool) {
	event := func(typ string, data map[string]any) {
		l.notify.Notify(notify.Event{Type: typ, Tenant: t.Slug, Revision: res.Revision, RunID: res.RunID, Data: data})
	}
	if t.Action != reconciler.ActionError {
		var found []state.Drift
		for _, d := range t.Drift {
			found = append(found, d.Drift)
		}
		l.driftEvent(res.Revision, res.RunID, t.Slug, found)
	}
	if t.Backup != "" {
		event(notify.BackupCompleted, map[string]any{"backup": t.Backup, "database": t.Database, "action": t.Action})
	}
	switch t.Action {
	case reconciler.ActionError, reconciler.ActionBlocked:
		l.metrics.TenantFailures.WithLabelValues(string(t.Class)).Inc()
		if t.Action == reconciler.ActionError && (started || l.missing(ctx, t.Slug)) {
			event(notify.ProvisioningFailed, map[string]any{"error": t.Error, "class": t.Class, "database": t.Database, "server": t.Server})
		}
	case reconciler.ActionCreate:
		event(notify.ProvisioningCompleted, map[string]any{"database": t.Database, "server": t.Server, "statements": t.Applied,
			"duration_ms": t.Duration.Milliseconds()})
	}
	// The first Applied changes were applied, in order: one event per
	// layer they came from.
	applied := t.Changes[:min(t.Applied, len(t.Changes))]
	for i := 0; i < len(applied); {
		j := i
		files := map[string]bool{}
		for j < len(applied) && applied[j].Layer == applied[i].Layer {
			files[applied[j].File] = true
			j++
		}
		names := make([]string, 0, len(files))
		for f := range files {
			names = append(names, f)
		}
		sort.Strings(names)
		event(notify.LayerApplied, map[string]any{"layer": applied[i].Layer, "statements": j - i, "files": names})
		i = j
	}
}

// missing reports whether a tenant has never had a database (a failure
// then is a failed provisioning).
func (l *Loop) missing(ctx context.Context, slug string) bool {
	rec, ok, err := l.store.Tenant(ctx, slug)
	return err == nil && ok && rec.Health == state.Missing
}

// track updates the retry state of each tenant of a run: a transient
// failure is retried after the next backoff (with jitter) until the tries
// are used up; then, like a stalled failure (bad input, blocked change), it
// waits for the next revision or scheduled reconcile. Success forgets it.
func (l *Loop) track(ctx context.Context, res *reconciler.Result) {
	now := time.Now().UTC()
	for _, t := range res.Tenants {
		l.mu.Lock()
		r, had := l.retries[t.Slug]
		switch t.Action {
		case reconciler.ActionError, reconciler.ActionBlocked:
			if !had || r.Revision != res.Revision {
				r = &state.Retry{Tenant: t.Slug, Revision: res.Revision}
			}
			r.Attempts++
			r.Class, r.LastError, r.NextAt = string(t.Class), t.Error, nil
			if t.Unreachable {
				// Not the tenant's failure: it waits for its server,
				// which the probe sees come back (or for a long
				// backoff), and keeps its attempts.
				r.Attempts--
				next := now.Add(jitter(unreachableRetry, l.cfg.Jitter))
				r.NextAt = &next
				l.awaiting[t.Slug] = t.Server
			} else if t.Class == reconciler.Transient && r.Attempts <= len(l.cfg.Backoff) {
				next := now.Add(jitter(l.cfg.Backoff[r.Attempts-1], l.cfg.Jitter))
				r.NextAt = &next
			}
			l.retries[t.Slug] = r
			saved := *r
			l.mu.Unlock()
			if saved.NextAt == nil {
				l.log.Warn("tenant stalled until the next revision", "tenant", t.Slug, "revision", res.Revision, "run_id", res.RunID,
					"attempts", saved.Attempts, "class", saved.Class, "err", t.Error)
			} else {
				l.log.Info("tenant retry scheduled", "tenant", t.Slug, "revision", res.Revision, "run_id", res.RunID,
					"attempt", saved.Attempts+1, "at", saved.NextAt.Format(time.RFC3339))
			}
			if err := l.store.SaveRetry(ctx, saved); err != nil {
				l.log.Error("save retry", "tenant", t.Slug, "err", err)
			}
		default:
			delete(l.retries, t.Slug)
			delete(l.awaiting, t.Slug)
			l.mu.Unlock()
			if had {
				if err := l.store.DeleteRetry(ctx, t.Slug); err != nil {
					l.log.Error("forget retry", "tenant", t.Slug, "err", err)
				}
			}
		}
	}
}

// unreachableRetry is when a tenant whose server was unreachable is tried
// again, unless the probe sees the server answer before.
const unreachableRetry = 5 * time.Minute

// serverBack makes the tenants waiting for server due now.
func (l *Loop) serverBack(server string) {
	l.mu.Lock()
	now := time.Now()
	n := 0
	for slug, srv := range l.awaiting {
		if srv != server {
			continue
		}
		delete(l.awaiting, slug)
		if r, ok := l.retries[slug]; ok {
			r.NextAt = &now
			n++
		}
	}
	l.mu.Unlock()
	if n > 0 {
		l.log.Info("server answers again: its tenants are retried now", "server", server, "tenants", n)
		select {
		case l.retryNow <- struct{}{}:
		default:
		}
	}
}

// loadRetries takes over the retry state recorded by a previous leader (or
// process), so that a tenant that succeeds now has its state forgotten.
func (l *Loop) loadRetries(ctx context.Context) {
	rs, err := l.store.Retries(ctx)
	if err != nil {
		l.log.Warn("read retry state", "err", err)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rs {
		if _, ok := l.retries[r.Tenant]; !ok {
			l.retries[r.Tenant] = &r
		}
	}
}

// retryDue reconciles the tenants whose retry is due, in one run.
func (l *Loop) retryDue(ctx context.Context) {
	repo := l.Current()
	if repo == nil || !l.isLeader() {
		return
	}
	now := time.Now()
	var due []string
	l.mu.Lock()
	for slug, r := range l.retries {
		if _, ok := repo.Tenant(slug); ok && r.NextAt != nil && !r.NextAt.After(now) {
			due = append(due, slug)
		}
	}
	l.mu.Unlock()
	if len(due) == 0 {
		return
	}
	sort.Strings(due)
	l.metrics.Triggers.WithLabelValues("retry").Inc()
	l.reconcile(ctx, repo, due, runOptions{trigger: "retry"})
}

// nextRetry is the wait until the earliest retry due (an hour when none).
func (l *Loop) nextRetry() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	wait := time.Hour
	now := time.Now()
	for _, r := range l.retries {
		if r.NextAt != nil {
			wait = min(wait, max(r.NextAt.Sub(now), 0))
		}
	}
	return wait
}

// scanDrift checks every tenant of the revision in force for drift (live
// schema against its baseline snapshot) and records it; tenants with new
// drift are notified.
func (l *Loop) scanDrift(ctx context.Context) {
	repo := l.Current()
	if repo == nil || !l.isLeader() {
		return
	}
	l.metrics.Triggers.WithLabelValues("drift").Inc()
	res, err := l.rec.Drift(ctx, repo, reconciler.DriftOptions{Concurrency: l.cfg.Concurrency, LockWait: l.cfg.LockWait})
	if err != nil {
		l.log.Error("drift scan failed", "revision", repo.Revision, "err", err)
		return
	}
	c := res.Counts
	l.log.Info("drift scan finished", "revision", repo.Revision, "duration_ms", res.Duration.Milliseconds(), "tenants", c.Total,
		"drifted", c.Drifted, "findings", c.Findings, "failed", c.Failed)
	for _, td := range res.Tenants {
		switch td.Status {
		case reconciler.DriftFound:
			l.driftEvent(repo.Revision, 0, td.Slug, td.Drift)
		case reconciler.DriftClean:
			l.driftEvent(repo.Revision, 0, td.Slug, nil)
		}
	}
}

// driftEvent notifies tenant.drift.detected when a tenant's drift is not
// what was last notified for it; found empty means the tenant is clean.
func (l *Loop) driftEvent(revision string, runID int64, tenant string, found []state.Drift) {
	keys := make([]string, 0, len(found))
	var highest state.Severity
	for _, d := range found {
		keys = append(keys, d.Object+" "+d.Kind+" "+d.Change)
		if state.SeverityRank(d.Severity) > state.SeverityRank(highest) {
			highest = d.Severity
		}
	}
	sort.Strings(keys)
	key := strings.Join(keys, "\n")
	l.mu.Lock()
	seen := l.drifted[tenant] == key
	l.drifted[tenant] = key
	l.mu.Unlock()
	if seen || len(found) == 0 {
		return
	}
	l.log.Warn("drift detected", "tenant", tenant, "revision", revision, "findings", len(found), "severity", highest)
	l.notify.Notify(notify.Event{Type: notify.DriftDetected, Tenant: tenant, Revision: revision, RunID: runID,
		Data: map[string]any{"findings": len(found), "severity": highest, "drift": found}})
}

// tracker is the landlord database as the reconciler sees it, noting the
// runs in flight and which replica runs them.
type tracker struct {
	*state.Store
	replica string
	log     *slog.Logger

	mu      sync.Mutex
	running map[int64]bool
	last    int64
	// unfinished are the ends of runs that the landlord database did not
	// take (it was down or restarting): recorded again by flush.
	unfinished map[int64]runEnd
}

// runEnd is the end of a run, as FinishRun records it.
type runEnd struct {
	outcome state.Outcome
	counts  state.Counts
	applied int
	err     string
}

// StartRun records the run and this replica as its runner.
func (t *tracker) StartRun(ctx context.Context, trigger, actor, revision string) (int64, error) {
	id, err := t.Store.StartRun(ctx, trigger, actor, revision)
	if err != nil {
		return id, err
	}
	// In flight before the run names this replica: a run of this
	// replica's name that is not in flight is an orphan (orphans).
	t.mu.Lock()
	t.running[id], t.last = true, id
	t.mu.Unlock()
	if err := t.Store.SetRunReplica(ctx, id, t.replica); err != nil {
		t.log.Error("record run replica", "run_id", id, "err", err)
	}
	return id, nil
}

// FinishRun records the end of a run. An end the landlord database does
// not take is kept and recorded again by flush, so that the run is not
// left running.
func (t *tracker) FinishRun(ctx context.Context, id int64, outcome state.Outcome, c state.Counts, applied int, runErr string) error {
	err := t.Store.FinishRun(ctx, id, outcome, c, applied, runErr)
	t.mu.Lock()
	delete(t.running, id)
	if err != nil {
		if t.unfinished == nil {
			t.unfinished = map[int64]runEnd{}
		}
		t.unfinished[id] = runEnd{outcome, c, applied, runErr}
	}
	t.mu.Unlock()
	return err
}

// flush records the ends of runs that the landlord database did not take
// before.
func (t *tracker) flush(ctx context.Context) {
	t.mu.Lock()
	ends := make(map[int64]runEnd, len(t.unfinished))
	for id, e := range t.unfinished {
		ends[id] = e
	}
	t.mu.Unlock()
	for id, e := range ends {
		if err := t.Store.FinishRun(ctx, id, e.outcome, e.counts, e.applied, e.err); err != nil {
			t.log.Warn("record the end of a run again", "run_id", id, "err", err)
			return
		}
		t.mu.Lock()
		delete(t.unfinished, id)
		t.mu.Unlock()
		t.log.Info("end of a run recorded after the landlord database came back", "run_id", id, "outcome", e.outcome)
	}
}

// orphans are the runs of ids (runs recorded under this replica's name)
// that this process neither runs nor has the end of: runs of an earlier
// process of the same name (a restarted pod).
func (t *tracker) orphans(ids []int64) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int64
	for _, id := range ids {
		if _, pending := t.unfinished[id]; !t.running[id] && !pending {
			out = append(out, id)
		}
	}
	return out
}

func (t *tracker) inFlight() []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]int64, 0, len(t.running))
	for id := range t.running {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// current is the newest run started, for events sent during it.
func (t *tracker) current() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// ErrNotReady is returned when no valid revision has been loaded yet.
var ErrNotReady = errors.New("no valid revision loaded yet")

// ErrBusy is returned for an API run that the loop did not take within
// DispatchWait: another run is in flight.
var ErrBusy = errors.New("another run is in flight: try again later")

// ErrStuck is why /readyz fails while a job of the loop runs too long.
var ErrStuck = errors.New("the loop is stuck")

// ErrStopping is returned for runs asked for while serve shuts down.
var ErrStopping = errors.New("serve is shutting down")
