package state

import (
	"context"
	"database/sql"
	"time"
)

// Decommissioning is the health of a decommissioned tenant whose database
// is held until its drop date (or for good, when policy never drops).
const Decommissioning = "Decommissioning"

// Decommission is the retention hold of a decommissioned tenant: its
// final backup, when its database may be dropped, and when it was.
type Decommission struct {
	Tenant      string     `json:"tenant"`
	Database    string     `json:"database"`
	FinalBackup string     `json:"final_backup"`
	DropAt      time.Time  `json:"drop_at"`
	DroppedAt   *time.Time `json:"dropped_at,omitempty"`
}

// SaveDecommission records a tenant's retention hold.
func (s *Store) SaveDecommission(ctx context.Context, d Decommission) error {
	var dropped sql.NullTime
	if d.DroppedAt != nil {
		dropped = sql.NullTime{Time: d.DroppedAt.UTC(), Valid: true}
	}
	_, err := s.db.ExecContext(ctx, s.upsert("decommissions", "tenant, database_name, final_backup, drop_at, dropped_at, updated_at", "tenant"),
		d.Tenant, d.Database, d.FinalBackup, d.DropAt.UTC(), dropped, now())
	return err
}

// GetDecommission returns a tenant's retention hold; ok is false when it
// has none.
func (s *Store) GetDecommission(ctx context.Context, tenant string) (d Decommission, ok bool, err error) {
	var dropped sql.NullTime
	err = s.db.QueryRowContext(ctx, "SELECT tenant, database_name, final_backup, drop_at, dropped_at FROM decommissions WHERE tenant = ?", tenant).
		Scan(&d.Tenant, &d.Database, &d.FinalBackup, &d.DropAt, &dropped)
	if err == sql.ErrNoRows {
		return d, false, nil
	}
	d.DropAt = d.DropAt.UTC()
	d.DroppedAt = timePtr(dropped)
	return d, err == nil, err
}
