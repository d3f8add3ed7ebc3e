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
	// Trigger is recorded with the run: "api" or "repair".
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
	if req.Trigger == "" {
		req.Trigger = "api"
	}
	if req.Plan {
		return l.rec.Reconcile(ctx, repo, reconciler.Options{Tenants: req.Tenants, Plan: true, AllowDestructive: req.AllowDestructive,
			Concurrency: l.cfg.Concurrency, LockWait: l.cfg.LockWait})
	}
	r := &request{Request: req, done: make(chan outcome, 1)}
	select {
	case l.requests <- r:
	case <-l.stopped:
		return nil, ErrStopping
	case <-ctx.Done():
		return nil, ctx.Err()
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
	res, err := l.reconcile(ctx, repo, req.Tenants, runOptions{trigger: req.Trigger, actor: req.Actor, allowDestructive: req.AllowDestructive})
	return outcome{res, err}
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
	// DriftScans is "enabled", or "unavailable" without the drift feature.
	DriftScans string `json:"drift_scans"`
	Stopping   bool   `json:"stopping,omitempty"`
}

// Status returns the loop's view.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Status{Replica: l.cfg.Replica, Leader: l.leader, Rejected: l.rejected, LastFetchError: l.fetchErr,
		PollInterval: l.cfg.PollInterval.String(), Schedule: l.cfg.Schedule, DriftSchedule: l.cfg.DriftSchedule,
		DriftScans: "unavailable", Stopping: l.stopping}
	if l.cfg.Drift != nil {
		s.DriftScans = "enabled"
	}
	if l.good != nil {
		at := l.goodAt
		s.Revision, s.AcceptedAt = l.good.Revision, &at
	}
	if !l.fetched.IsZero() {
		at := l.fetched
		s.LastFetch = &at
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
