package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Revision statuses.
const (
	RevisionAccepted = "accepted"
	RevisionRejected = "rejected"
)

// Revision is a revision of the desired-state repository as serve judged
// it: accepted (valid; it may be applied) or rejected (invalid; nothing of
// it is applied).
type Revision struct {
	Revision string    `json:"revision"`
	Status   string    `json:"status"`
	Problems int       `json:"problems,omitempty"`
	Error    string    `json:"error,omitempty"`
	SeenAt   time.Time `json:"seen_at"`
	SeenBy   string    `json:"seen_by,omitempty"`
}

// RecordRevision records how a revision was judged, as last seen.
func (s *Store) RecordRevision(ctx context.Context, r Revision) error {
	r.SeenAt = now()
	_, err := s.db.ExecContext(ctx, s.upsert("revisions", "revision, status, problems, error, seen_at, seen_by", "revision"),
		r.Revision, r.Status, r.Problems, r.Error, r.SeenAt, r.SeenBy)
	if err != nil {
		return fmt.Errorf("record revision %s: %w", r.Revision, err)
	}
	return nil
}

// Revisions returns the judged revisions, the most recently seen first, at
// most limit; with status set, only those.
func (s *Store) Revisions(ctx context.Context, status string, limit int) ([]Revision, error) {
	q := "SELECT revision, status, problems, error, seen_at, seen_by FROM revisions "
	args := []any{}
	if status != "" {
		q += "WHERE status = ? "
		args = append(args, status)
	}
	q += "ORDER BY seen_at DESC LIMIT ?"
	rows, err := s.db.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read revisions: %w", err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		var r Revision
		var at sql.NullTime
		if err := rows.Scan(&r.Revision, &r.Status, &r.Problems, &r.Error, &at, &r.SeenBy); err != nil {
			return nil, fmt.Errorf("read revisions: %w", err)
		}
		r.SeenAt = at.Time.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Retry is the retry state of a tenant whose last reconcile failed.
type Retry struct {
	Tenant   string `json:"tenant"`
	Revision string `json:"revision"`
	// Attempts made at Revision so far.
	Attempts int    `json:"attempts"`
	Class    string `json:"class"`
	// NextAt is when the next attempt is due; nil means stalled: no
	// attempt before the next revision or the next scheduled reconcile.
	NextAt    *time.Time `json:"next_at"`
	LastError string     `json:"last_error"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// SaveRetry writes a tenant's retry state.
func (s *Store) SaveRetry(ctx context.Context, r Retry) error {
	r.UpdatedAt = now()
	_, err := s.db.ExecContext(ctx, s.upsert("tenant_retries", "tenant, revision, attempts, class, next_at, last_error, updated_at", "tenant"),
		r.Tenant, r.Revision, r.Attempts, r.Class, nullTime(r.NextAt), r.LastError, r.UpdatedAt)
	if err != nil {
		return fmt.Errorf("save retry of %s: %w", r.Tenant, err)
	}
	return nil
}

// DeleteRetry forgets a tenant's retry state (it succeeded).
func (s *Store) DeleteRetry(ctx context.Context, tenant string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM tenant_retries WHERE tenant = ?", tenant); err != nil {
		return fmt.Errorf("delete retry of %s: %w", tenant, err)
	}
	return nil
}

// Retries returns the retry state of every tenant that has one, by tenant.
func (s *Store) Retries(ctx context.Context) ([]Retry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT tenant, revision, attempts, class, next_at, last_error, updated_at FROM tenant_retries ORDER BY tenant")
	if err != nil {
		return nil, fmt.Errorf("read retries: %w", err)
	}
	defer rows.Close()
	var out []Retry
	for rows.Next() {
		var r Retry
		var next, at sql.NullTime
		if err := rows.Scan(&r.Tenant, &r.Revision, &r.Attempts, &r.Class, &next, &r.LastError, &at); err != nil {
			return nil, fmt.Errorf("read retries: %w", err)
		}
		r.NextAt, r.UpdatedAt = timePtr(next), at.Time.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Delivery statuses.
const (
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"    // this attempt failed; another follows
	DeliveryAbandoned = "abandoned" // the last attempt failed, or serve stopped
)

// Delivery is one attempt to deliver a notification to a webhook.
type Delivery struct {
	ID          int64     `json:"id"`
	EventID     string    `json:"event_id"`
	EventType   string    `json:"event_type"`
	Webhook     string    `json:"webhook"`
	Attempt     int       `json:"attempt"`
	Status      string    `json:"status"`
	StatusCode  int       `json:"status_code,omitempty"`
	Error       string    `json:"error,omitempty"`
	DurationMS  float64   `json:"duration_ms"`
	AttemptedAt time.Time `json:"attempted_at"`
}

// RecordDelivery records a delivery attempt.
func (s *Store) RecordDelivery(ctx context.Context, d Delivery) error {
	if d.AttemptedAt.IsZero() {
		d.AttemptedAt = now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO deliveries (event_id, event_type, webhook, attempt, status, status_code, error, duration_ms, attempted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.EventID, d.EventType, d.Webhook, d.Attempt, d.Status, d.StatusCode, d.Error, d.DurationMS,
		d.AttemptedAt.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("record delivery of %s: %w", d.EventID, err)
	}
	return nil
}

// Deliveries returns delivery attempts, newest first, at most limit; with
// eventType set, only those of that type of event.
func (s *Store) Deliveries(ctx context.Context, eventType string, limit int) ([]Delivery, error) {
	q := "SELECT id, event_id, event_type, webhook, attempt, status, status_code, error, duration_ms, attempted_at FROM deliveries "
	args := []any{}
	if eventType != "" {
		q += "WHERE event_type = ? "
		args = append(args, eventType)
	}
	rows, err := s.db.QueryContext(ctx, q+"ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var at sql.NullTime
		if err := rows.Scan(&d.ID, &d.EventID, &d.EventType, &d.Webhook, &d.Attempt, &d.Status, &d.StatusCode, &d.Error, &d.DurationMS, &at); err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		d.AttemptedAt = at.Time.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// SetRunReplica records which serve replica runs run id.
func (s *Store) SetRunReplica(ctx context.Context, id int64, replica string) error {
	if _, err := s.db.ExecContext(ctx, "UPDATE runs SET replica = ? WHERE id = ?", replica, id); err != nil {
		return fmt.Errorf("run %d replica: %w", id, err)
	}
	return nil
}

// RunningRun is a run that serve started and has not finished.
type RunningRun struct {
	ID        int64
	Replica   string
	StartedAt time.Time
}

// RunningRuns returns the runs serve replicas started that are not finished.
// Runs of the reconcile command (no replica) are not among them.
func (s *Store) RunningRuns(ctx context.Context) ([]RunningRun, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, replica, started_at FROM runs WHERE outcome = ? AND replica <> '' ORDER BY id", RunRunning)
	if err != nil {
		return nil, fmt.Errorf("read running runs: %w", err)
	}
	defer rows.Close()
	var out []RunningRun
	for rows.Next() {
		var r RunningRun
		var at sql.NullTime
		if err := rows.Scan(&r.ID, &r.Replica, &at); err != nil {
			return nil, err
		}
		r.StartedAt = at.Time.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// AbandonRun closes a run whose process stopped in the middle of it (a
// grace period that ran out, a crash): statements still pending are marked
// unknown with reason (whether the one running took effect is unknown; the
// next reconcile re-plans from the live schema), each tenant it was
// changing is recorded as failed and OutOfSync, and the run as failed. A
// run already finished is left as it is.
func (s *Store) AbandonRun(ctx context.Context, id int64, reason string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var outcome Outcome
		var started sql.NullTime
		err := tx.QueryRowContext(ctx, "SELECT outcome, started_at FROM runs WHERE id = ?", id).Scan(&outcome, &started)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && outcome != RunRunning) {
			return nil
		}
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT s.tenant, r.revision FROM statements s JOIN runs r ON r.id = s.run_id
			WHERE s.run_id = ? AND s.status = ? AND NOT EXISTS (SELECT 1 FROM run_tenants rt WHERE rt.run_id = s.run_id AND rt.tenant = s.tenant)`,
			id, StatementPending)
		if err != nil {
			return err
		}
		type pair struct{ tenant, revision string }
		var cut []pair
		for rows.Next() {
			var p pair
			if err := rows.Scan(&p.tenant, &p.revision); err != nil {
				rows.Close()
				return err
			}
			cut = append(cut, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n := now()
		if _, err := tx.ExecContext(ctx, "UPDATE statements SET status = ?, error = ? WHERE run_id = ? AND status = ?",
			StatementUnknown, reason, id, StatementPending); err != nil {
			return err
		}
		for _, p := range cut {
			if _, err := tx.ExecContext(ctx, `INSERT INTO run_tenants (run_id, tenant, revision, action, outcome, statements, error, started_at, finished_at)
				VALUES (?, ?, ?, 'error', 'failed', (SELECT COUNT(*) FROM statements WHERE run_id = ? AND tenant = ? AND status = ?), ?, ?, ?)`,
				id, p.tenant, p.revision, id, p.tenant, StatementApplied, reason, started.Time.UTC(), n); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET sync_status = ?, health_status = ?, last_error = ?, last_run_id = ?, updated_at = ?
				WHERE slug = ? AND health_status = ?`, OutOfSync, Degraded, reason, id, n, p.tenant, Progressing); err != nil {
				return err
			}
		}
		// The counts, as FinishRun would have written them, from what the
		// run recorded of each tenant.
		count := func(where string) string {
			return "(SELECT COUNT(*) FROM run_tenants WHERE run_id = runs.id" + where + ")"
		}
		_, err = tx.ExecContext(ctx, `UPDATE runs SET outcome = ?, finished_at = ?, error = ?,
			tenants_total = `+count("")+`, created = `+count(" AND action = 'create' AND outcome = 'succeeded'")+`,
			updated = `+count(" AND action = 'update' AND outcome = 'succeeded'")+`, unchanged = `+count(" AND action = 'noop'")+`,
			blocked = `+count(" AND outcome = 'blocked'")+`, failed = `+count(" AND outcome = 'failed'")+`,
			suspended = `+count(" AND action = 'suspended'")+`, pinned = `+count(" AND action = 'pinned'")+`,
			statements_applied = (SELECT COUNT(*) FROM statements WHERE run_id = runs.id AND status = ?) WHERE id = ?`,
			RunFailed, n, reason, StatementApplied, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("abandon run %d: %w", id, err)
	}
	return nil
}

// OpenDriftBySeverity counts the open drift of every tenant by severity.
func (s *Store) OpenDriftBySeverity(ctx context.Context) (map[string]int, error) {
	return s.countBy(ctx, "read drift", "SELECT severity, COUNT(*) FROM drift WHERE open_key IS NOT NULL GROUP BY severity")
}
