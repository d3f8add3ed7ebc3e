package state

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Backup is the record of one backup of a tenant database. The backup
// itself (its manifest and data) is in the backup storage.
type Backup struct {
	ID         string     `json:"id"`
	Tenant     string     `json:"tenant"`
	Database   string     `json:"database"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Engine     string     `json:"engine,omitempty"`
	Revision   string     `json:"revision,omitempty"`
	SchemaHash string     `json:"schema_hash,omitempty"`
	Location   string     `json:"location,omitempty"` // redacted
	Tables     []string   `json:"tables,omitempty"`   // only these, when set
	Rows       int64      `json:"rows"`
	RawBytes   int64      `json:"raw_bytes"`
	Stored     int64      `json:"stored_bytes"`
	RunID      int64      `json:"run_id,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// Backup statuses.
const (
	BackupRunning  = "running" // started; left so by a process that died
	BackupComplete = "complete"
	BackupFailed   = "failed"
	BackupDeleted  = "deleted" // pruned by retention
)

// MarkBackupDeleted records that backup id was removed from the storage.
func (s *Store) MarkBackupDeleted(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, "UPDATE backups SET status = ? WHERE id = ?", BackupDeleted, id)
	return err
}

// StartBackup records a backup as running, before it starts.
func (s *Store) StartBackup(ctx context.Context, b Backup) error {
	var run sql.NullInt64
	if b.RunID != 0 {
		run = sql.NullInt64{Int64: b.RunID, Valid: true}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO backups (id, tenant, database_name, kind, status, engine, revision, schema_hash, location,
		tables_list, row_count, raw_bytes, stored_bytes, run_id, started_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, '')`,
		b.ID, b.Tenant, b.Database, b.Kind, BackupRunning, b.Engine, b.Revision, b.SchemaHash, b.Location,
		strings.Join(b.Tables, ","), run, b.StartedAt.UTC())
	return err
}

// FinishBackup records the end of a backup: complete with its figures, or
// failed with errText.
func (s *Store) FinishBackup(ctx context.Context, id, status string, rows, raw, stored int64, errText string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE backups SET status = ?, row_count = ?, raw_bytes = ?, stored_bytes = ?, error = ?, finished_at = ? WHERE id = ?`,
		status, rows, raw, stored, errText, now(), id)
	return err
}

const backupColumns = `id, tenant, database_name, kind, status, engine, revision, schema_hash, location, tables_list,
	row_count, raw_bytes, stored_bytes, run_id, started_at, finished_at, error`

func scanBackup(row interface{ Scan(...any) error }) (Backup, error) {
	var (
		b        Backup
		tables   string
		run      sql.NullInt64
		finished sql.NullTime
	)
	err := row.Scan(&b.ID, &b.Tenant, &b.Database, &b.Kind, &b.Status, &b.Engine, &b.Revision, &b.SchemaHash, &b.Location,
		&tables, &b.Rows, &b.RawBytes, &b.Stored, &run, &b.StartedAt, &finished, &b.Error)
	if tables != "" {
		b.Tables = strings.Split(tables, ",")
	}
	b.RunID, b.FinishedAt = run.Int64, timePtr(finished)
	b.StartedAt = b.StartedAt.UTC()
	return b, err
}

// Backups returns the backups of tenant (every tenant when empty), newest
// first, at most limit (all when limit <= 0).
func (s *Store) Backups(ctx context.Context, tenant string, limit int) ([]Backup, error) {
	q := "SELECT " + backupColumns + " FROM backups"
	var args []any
	if tenant != "" {
		q += " WHERE tenant = ?"
		args = append(args, tenant)
	}
	q += " ORDER BY started_at DESC, id DESC"
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Backup
	for rows.Next() {
		b, err := scanBackup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// GetBackup returns the record of backup id.
func (s *Store) GetBackup(ctx context.Context, id string) (Backup, bool, error) {
	b, err := scanBackup(s.db.QueryRowContext(ctx, "SELECT "+backupColumns+" FROM backups WHERE id = ?", id))
	if err == sql.ErrNoRows {
		return b, false, nil
	}
	return b, err == nil, err
}

// SetStatementsBackup records that backup id holds what the statements
// ids destroy.
func (s *Store) SetStatementsBackup(ctx context.Context, ids []int64, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, sid := range ids {
			if _, err := tx.ExecContext(ctx, "UPDATE statements SET backup_id = ? WHERE id = ?", id, sid); err != nil {
				return err
			}
		}
		return nil
	})
}

// LastBackups returns when each tenant's newest complete backup finished.
func (s *Store) LastBackups(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT b.tenant, b.finished_at FROM backups b WHERE b.status = ? AND b.finished_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM backups c WHERE c.tenant = b.tenant AND c.status = ? AND c.finished_at > b.finished_at)`,
		BackupComplete, BackupComplete)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var tenant string
		var at sql.NullTime
		if err := rows.Scan(&tenant, &at); err != nil {
			return nil, err
		}
		if at.Valid && at.Time.After(out[tenant]) {
			out[tenant] = at.Time.UTC()
		}
	}
	return out, rows.Err()
}
