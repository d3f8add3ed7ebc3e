package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Pin holds a tenant where a rollback put it: reconciles leave a pinned
// tenant alone until it is unpinned.
type Pin struct {
	Tenant string `json:"tenant"`
	// Revision is the git revision the tenant was rolled back to, or the
	// revision of the snapshot it was rolled back to.
	Revision string `json:"revision"`
	// SourceRunID is the run whose snapshot was restored (rollback --to
	// RUN_ID); zero for a rollback to a revision.
	SourceRunID int64 `json:"source_run_id,omitempty"`
	// SnapshotID is the snapshot restored, when SourceRunID is set.
	SnapshotID int64 `json:"snapshot_id,omitempty"`
	// RunID is the rollback run that pinned the tenant.
	RunID    int64     `json:"run_id,omitempty"`
	Actor    string    `json:"actor,omitempty"`
	PinnedAt time.Time `json:"pinned_at"`
}

const pinColumns = "tenant, revision, source_run_id, snapshot_id, run_id, actor, pinned_at"

func scanPin(row interface{ Scan(...any) error }) (Pin, error) {
	var (
		p                   Pin
		source, snap, runID sql.NullInt64
		at                  sql.NullTime
	)
	err := row.Scan(&p.Tenant, &p.Revision, &source, &snap, &runID, &p.Actor, &at)
	p.SourceRunID, p.SnapshotID, p.RunID, p.PinnedAt = source.Int64, snap.Int64, runID.Int64, at.Time.UTC()
	return p, err
}

// SetPin pins a tenant, replacing any pin it had.
func (s *Store) SetPin(ctx context.Context, p Pin) error {
	p.PinnedAt = now()
	nullID := func(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }
	_, err := s.db.ExecContext(ctx, s.upsert("pins", pinColumns, "tenant"),
		p.Tenant, p.Revision, nullID(p.SourceRunID), nullID(p.SnapshotID), nullID(p.RunID), p.Actor, p.PinnedAt)
	if err != nil {
		return fmt.Errorf("pin %s: %w", p.Tenant, err)
	}
	return nil
}

// Unpin removes the pin of tenant and reports whether it had one.
func (s *Store) Unpin(ctx context.Context, tenant string) (bool, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM pins WHERE tenant = ?", tenant)
	if err != nil {
		return false, fmt.Errorf("unpin %s: %w", tenant, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// GetPin returns the pin of tenant; ok is false when it has none.
func (s *Store) GetPin(ctx context.Context, tenant string) (p Pin, ok bool, err error) {
	p, err = scanPin(s.db.QueryRowContext(ctx, "SELECT "+pinColumns+" FROM pins WHERE tenant = ?", tenant))
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("read pin of %s: %w", tenant, err)
	}
	return p, true, nil
}

// Pins returns every pin, by tenant.
func (s *Store) Pins(ctx context.Context) (map[string]Pin, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+pinColumns+" FROM pins")
	if err != nil {
		return nil, fmt.Errorf("read pins: %w", err)
	}
	defer rows.Close()
	out := map[string]Pin{}
	for rows.Next() {
		p, err := scanPin(rows)
		if err != nil {
			return nil, err
		}
		out[p.Tenant] = p
	}
	return out, rows.Err()
}
