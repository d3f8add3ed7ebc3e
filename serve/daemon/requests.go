package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/state"
)

// Request is a run asked for through the API.
type Request struct {
	// Tenants to reconcile; empty means all.
	Tenants []string
	// Plan computes the plans and changes nothing.
	Plan             bool
	AllowDestructive bool
	// Actor is recorded with the run: the name of the API token.
	Actor string
	// Repair restores one tenant's desired schema, drift included
	// whatever its policy (reconciler.Repair); Tenants holds its slug.
	Repair bool
	// RollbackTo rolls one tenant (Tenants holds its slug) back to the
	// snapshot a run recorded (a run id) or a git revision, and pins it
	// there (reconciler.Rollback).
	RollbackTo string
	// Trigger is recorded with a reconcile's run ("api"); a repair's is
	// "repair", a rollback's "rollback".
	Trigger string
}

type request struct {
	Request
	done chan outcome // buffered: the loop never waits for the caller
}

type outcome struct {
	res *reconciler.Result
	err error
}

// Reconcile runs req at the revision in force and returns its result. A
// plan runs at once, beside the loop (it changes nothing); an apply is
// queued to the loop, so it never overlaps another run of this replica,
// and runs even when the caller stops waiting for it.
func (l *Loop) Reconcile(ctx context.Context, req Request) (*reconciler.Result, error) {
	repo := l.Current()
	if repo == nil {
		return nil, ErrNotReady
	}
	for _, slug := range req.Tenants {
		if _, ok := repo.Tenant(slug); !ok {
			return nil, &UnknownTenantError{Slug: slug, Revision: repo.Revision}
		}
	}
	switch {
	case req.RollbackTo != "":
		if len(req.Tenants) != 1 || req.Repair {
			return nil, fmt.Errorf("a rollback is of one tenant, not %d", len(req.Tenants))
		}
		req.Trigger = reconciler.TriggerRollback
	case req.Repair:
		if len(req.Tenants) != 1 {
			return nil, fmt.Errorf("a repair is of one tenant, not %d", len(req.Tenants))
		}
		req.Trigger = reconciler.TriggerRepair
	case req.Trigger == "":
		req.Trigger = "api"
	}
	if req.Plan {
		return l.run(ctx, repo, req)
	}
	r := &request{Request: req, done: make(chan outcome, 1)}
	wait := time.NewTimer(l.cfg.DispatchWait)
	defer wait.Stop()
	select {
	case l.requests <- r:
	case <-l.stopped:
		return nil, ErrStopping
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-wait.C:
		return nil, ErrBusy
	}
	select {
	case o := <-r.done:
		return o.res, o.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// serve runs an API request in the loop.
func (l *Loop) serve(ctx context.Context, req *request) outcome {
	repo := l.Current()
	if repo == nil {
		return outcome{err: ErrNotReady}
	}
	res, err := l.reconcile(ctx, repo, req.Tenants, runOptions{trigger: req.Trigger, actor: req.Actor,
		allowDestructive: req.AllowDestructive, repair: req.Repair, rollbackTo: req.RollbackTo})
	return outcome{res, err}
}

// run plans a request: nothing is applied or recorded.
func (l *Loop) run(ctx context.Context, repo *desired.Repo, req Request) (*reconciler.Result, error) {
	if req.RollbackTo != "" {
		return l.rec.Rollback(ctx, repo, reconciler.RollbackOptions{To: req.RollbackTo, Load: l.loadAt,
			TenantOptions: reconciler.TenantOptions{Tenant: req.Tenants[0], Plan: true, AllowDestructive: req.AllowDestructive,
				LockWait: l.cfg.LockWait, Actor: req.Actor}})
	}
	if req.Repair {
		return l.rec.Repair(ctx, repo, reconciler.TenantOptions{Tenant: req.Tenants[0], Plan: true,
			AllowDestructive: req.AllowDestructive, LockWait: l.cfg.LockWait, Actor: req.Actor})
	}
	return l.rec.Reconcile(ctx, repo, reconciler.Options{Tenants: req.Tenants, Plan: true, AllowDestructive: req.AllowDestructive,
		Concurrency: l.cfg.Concurrency, LockWait: l.cfg.LockWait})
}

// UnknownTenantError is a request for a tenant the revision in force does
// not have.
type UnknownTenantError struct {
	Slug, Revision string
}

func (e *UnknownTenantError) Error() string {
	return fmt.Sprintf("no tenant %q in revision %.12s", e.Slug, e.Revision)
}

// Current returns the revision in force, nil before the first valid one.
func (l *Loop) Current() *desired.Repo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.good
}

// Ready reports why the loop cannot serve yet (or any more); nil when it
// can.
func (l *Loop) Ready() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.stopping:
		return ErrStopping
	case l.good == nil:
		return ErrNotReady
	case !l.busySince.IsZero() && time.Since(l.busySince) > l.cfg.StuckAfter:
		return fmt.Errorf("%w: its job in flight started %s ago (more than %s)", ErrStuck, time.Since(l.busySince).Round(time.Second), l.cfg.StuckAfter)
	}
	return nil
}

// Status is the loop's view, for the API.
type Status struct {
	Replica string `json:"replica"`
	// Leader: this replica runs the scheduled work.
	Leader bool `json:"leader"`
	// Revision in force, and when it was accepted.
	Revision   string     `json:"revision,omitempty"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	// Rejected is the newest revision, when it was rejected.
	Rejected *Rejection `json:"rejected,omitempty"`
	// LastFetch is when the repository was last fetched, and its error.
	LastFetch      *time.Time `json:"last_fetch,omitempty"`
	LastFetchError string     `json:"last_fetch_error,omitempty"`
	PollInterval   string     `json:"poll_interval"`
	Schedule       string     `json:"schedule"`
	DriftSchedule  string     `json:"drift_schedule"`
	Stopping       bool       `json:"stopping,omitempty"`
	// Busy is when the loop's job in flight started; LastJob when the
	// last one ended.
	Busy    *time.Time `json:"busy_since,omitempty"`
	LastJob *time.Time `json:"last_job,omitempty"`
	// Servers is whether each server answered its last probe.
	Servers []reconciler.ServerHealth `json:"servers"`
	// HealthRound is the figures of this replica's last health round (the
	// leader's only).
	HealthRound *HealthRound `json:"health_round,omitempty"`
}

// Status returns the loop's view.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Status{Replica: l.cfg.Replica, Leader: l.leader, Rejected: l.rejected, LastFetchError: l.fetchErr,
		PollInterval: l.cfg.PollInterval.String(), Schedule: l.cfg.Schedule, DriftSchedule: l.cfg.DriftSchedule,
		Stopping: l.stopping}
	if l.good != nil {
		at := l.goodAt
		s.Revision, s.AcceptedAt = l.good.Revision, &at
	}
	if !l.fetched.IsZero() {
		at := l.fetched
		s.LastFetch = &at
	}
	if !l.busySince.IsZero() {
		at := l.busySince
		s.Busy = &at
	}
	if !l.lastJob.IsZero() {
		at := l.lastJob
		s.LastJob = &at
	}
	s.Servers = append([]reconciler.ServerHealth{}, l.servers...)
	if !l.healthRound0.At.IsZero() {
		r := l.healthRound0
		s.HealthRound = &r
	}
	return s
}

// Retries returns the retry state of every tenant that has one, from the
// landlord database (so any replica answers alike).
func (l *Loop) Retries(ctx context.Context) (map[string]state.Retry, error) {
	rs, err := l.store.Retries(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]state.Retry, len(rs))
	for _, r := range rs {
		out[r.Tenant] = r
	}
	return out, nil
}

// Unpin releases a tenant a rollback pinned: the next reconcile brings it
// to the revision in force. ok is false when it was not pinned.
func (l *Loop) Unpin(ctx context.Context, slug, actor string) (state.Pin, bool, error) {
	if _, pinned, err := l.store.GetPin(ctx, slug); err != nil || !pinned {
		return state.Pin{}, false, err
	}
	p, err := l.rec.Unpin(ctx, slug)
	if err != nil {
		return p, false, err
	}
	l.log.Info("tenant unpinned", "tenant", slug, "actor", actor, "revision", p.Revision)
	return p, true, nil
}
