package state

import (
	"context"
	"database/sql"
	"fmt"
)

// Status is everything recorded about one tenant: its record, pin, open
// drift, snapshots and last run.
type Status struct {
	Tenant
	Pin       *Pin         `json:"pin"`
	Drift     DriftSummary `json:"drift"`
	Snapshots int          `json:"snapshots"`
	LastRun   *LastRun     `json:"last_run"`
	// OpenDrift lists the open drift; Status fills it, Statuses does not.
	OpenDrift []Drift `json:"open_drift,omitempty"`
	// Check is the tenant's health as serve's probes last judged it; nil
	// before its first probe.
	Check *HealthCheck `json:"health_check,omitempty"`
}

// LastRun is what the newest run that reached a tenant did to it.
type LastRun struct {
	TenantRun
	Trigger string `json:"trigger"`
}

// Statuses returns the status of every recorded tenant, by slug.
func (s *Store) Statuses(ctx context.Context) ([]Status, error) {
	tenants, err := s.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	pins, err := s.Pins(ctx)
	if err != nil {
		return nil, err
	}
	drift, err := s.DriftSummaries(ctx)
	if err != nil {
		return nil, err
	}
	snaps, err := s.CountSnapshots(ctx)
	if err != nil {
		return nil, err
	}
	last, err := s.lastRuns(ctx)
	if err != nil {
		return nil, err
	}
	checks, err := s.HealthChecks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, len(tenants))
	for i, t := range tenants {
		out[i] = Status{Tenant: t, Drift: drift[t.Slug], Snapshots: snaps[t.Slug], LastRun: last[t.Slug]}
		if c, ok := checks[t.Slug]; ok {
			out[i].Check = &c
		}
		if p, ok := pins[t.Slug]; ok {
			out[i].Pin = &p
		}
	}
	return out, nil
}

// lastRuns returns what the newest run did to each tenant, in one query.
func (s *Store) lastRuns(ctx context.Context) (map[string]*LastRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT rt.run_id, rt.tenant, rt.revision, rt.action, rt.outcome, rt.statements, rt.error,
			rt.started_at, rt.finished_at, r.trigger_kind
		FROM run_tenants rt
		JOIN (SELECT tenant, MAX(run_id) AS run_id FROM run_tenants GROUP BY tenant) latest
			ON latest.tenant = rt.tenant AND latest.run_id = rt.run_id
		JOIN runs r ON r.id = rt.run_id`)
	if err != nil {
		return nil, fmt.Errorf("read last runs: %w", err)
	}
	defer rows.Close()
	out := map[string]*LastRun{}
	for rows.Next() {
		lr := &LastRun{}
		var st, fin sql.NullTime
		if err := rows.Scan(&lr.RunID, &lr.Tenant, &lr.Revision, &lr.Action, &lr.Outcome, &lr.Statements, &lr.Error, &st, &fin, &lr.Trigger); err != nil {
			return nil, fmt.Errorf("read last runs: %w", err)
		}
		lr.StartedAt, lr.FinishedAt = st.Time.UTC(), fin.Time.UTC()
		out[lr.Tenant] = lr
	}
	return out, rows.Err()
}

// Status returns the status of one tenant, with its open drift; ok is false
// when the tenant was never recorded.
func (s *Store) Status(ctx context.Context, slug string) (st Status, ok bool, err error) {
	t, ok, err := s.Tenant(ctx, slug)
	if err != nil || !ok {
		return st, ok, err
	}
	st.Tenant = t
	if p, pinned, err := s.GetPin(ctx, slug); err != nil {
		return st, false, err
	} else if pinned {
		st.Pin = &p
	}
	if st.OpenDrift, err = s.OpenDrift(ctx, slug); err != nil {
		return st, false, err
	}
	for _, d := range st.OpenDrift {
		st.Drift.Open++
		if SeverityRank(d.Severity) > SeverityRank(st.Drift.Highest) {
			st.Drift.Highest = d.Severity
		}
		if d.LastSeen != nil && (st.Drift.LastSeen == nil || d.LastSeen.After(*st.Drift.LastSeen)) {
			st.Drift.LastSeen = d.LastSeen
		}
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM snapshots WHERE tenant = ?", slug).Scan(&n); err != nil {
		return st, false, fmt.Errorf("count snapshots of %s: %w", slug, err)
	}
	st.Snapshots = n
	if st.LastRun, err = s.lastRun(ctx, slug); err != nil {
		return st, false, err
	}
	if c, probed, err := s.GetHealthCheck(ctx, slug); err != nil {
		return st, false, err
	} else if probed {
		st.Check = &c
	}
	return st, true, nil
}

func (s *Store) lastRun(ctx context.Context, slug string) (*LastRun, error) {
	trs, err := s.TenantRuns(ctx, slug, 0, 1)
	if err != nil {
		return nil, fmt.Errorf("read runs of %s: %w", slug, err)
	}
	if len(trs) == 0 {
		return nil, nil
	}
	lr := &LastRun{TenantRun: trs[0]}
	if r, ok, err := s.GetRun(ctx, lr.RunID); err != nil {
		return nil, fmt.Errorf("read run %d: %w", lr.RunID, err)
	} else if ok {
		lr.Trigger = r.Trigger
	}
	return lr, nil
}
