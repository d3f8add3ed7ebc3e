package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sync says whether a tenant's live schema is the desired one (Argo CD's
// model).
type Sync string

// Health says whether a tenant's database is well (Argo CD's model).
type Health string

// Sync and health values.
const (
	Synced    Sync = "Synced"
	OutOfSync Sync = "OutOfSync"
	Unknown   Sync = "Unknown"
	// Pinned is the sync of a tenant a rollback pinned: reconciles leave it
	// where it is until it is unpinned.
	Pinned Sync = "Pinned"

	Healthy     Health = "Healthy"
	Progressing Health = "Progressing"
	Degraded    Health = "Degraded"
	Missing     Health = "Missing"
	// SuspendedHealth is the health of a tenant that reconciles leave alone.
	SuspendedHealth Health = "Suspended"
)

// Tenant is the recorded status of one tenant.
type Tenant struct {
	Slug                  string     `json:"slug"`
	Name                  string     `json:"name"`
	Template              string     `json:"template"`
	TemplateVersion       string     `json:"template_version,omitempty"`
	Modules               []string   `json:"modules"`
	Server                string     `json:"server"`
	Database              string     `json:"database"`
	Domain                string     `json:"domain,omitempty"`
	Lifecycle             string     `json:"lifecycle"`
	Sync                  Sync       `json:"sync"`
	Health                Health     `json:"health"`
	LastAttemptedRevision string     `json:"last_attempted_revision"`
	LastAppliedRevision   string     `json:"last_applied_revision"`
	DesiredHash           string     `json:"desired_hash"`
	LiveHash              string     `json:"live_hash"`
	DatabaseCreatedAt     *time.Time `json:"database_created_at"`
	LastSyncedAt          *time.Time `json:"last_synced_at"`
	LastError             string     `json:"last_error"`
	LastRunID             int64      `json:"last_run_id,omitempty"`
	RemovedAt             *time.Time `json:"removed_at,omitempty"`
	UpdatedAt             time.Time  `json:"updated_at"`
	// ManagedServer and ManagedDatabase are the server and database
	// landlord last applied the tenant's schema to (created, updated or
	// found in sync); empty when it never did. Unlike Server and Database,
	// which say what the manifest names, they are evidence that landlord
	// manages that database: only it is ever dropped. Saving a record
	// with them empty keeps the recorded ones.
	ManagedServer   string `json:"managed_server,omitempty"`
	ManagedDatabase string `json:"managed_database,omitempty"`
}

const tenantColumns = `slug, name, template, modules, server, database_name, domain, lifecycle, sync_status, health_status,
	last_attempted_revision, last_applied_revision, desired_hash, live_hash, database_created_at, last_synced_at,
	last_error, last_run_id, removed_at, updated_at, template_version, managed_server, managed_database`

func scanTenant(row interface{ Scan(...any) error }) (Tenant, error) {
	var (
		t                                 Tenant
		modules                           string
		created, synced, removed, updated sql.NullTime
		runID                             sql.NullInt64
	)
	err := row.Scan(&t.Slug, &t.Name, &t.Template, &modules, &t.Server, &t.Database, &t.Domain, &t.Lifecycle,
		&t.Sync, &t.Health, &t.LastAttemptedRevision, &t.LastAppliedRevision, &t.DesiredHash, &t.LiveHash,
		&created, &synced, &t.LastError, &runID, &removed, &updated, &t.TemplateVersion, &t.ManagedServer, &t.ManagedDatabase)
	if err != nil {
		return t, err
	}
	t.Modules = []string{}
	if modules != "" {
		t.Modules = strings.Split(modules, ",")
	}
	t.DatabaseCreatedAt, t.LastSyncedAt, t.RemovedAt = timePtr(created), timePtr(synced), timePtr(removed)
	t.UpdatedAt = updated.Time.UTC()
	t.LastRunID = runID.Int64
	return t, nil
}

// Tenants returns every recorded tenant, by slug.
func (s *Store) Tenants(ctx context.Context) ([]Tenant, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+tenantColumns+" FROM tenants ORDER BY slug")
	if err != nil {
		return nil, fmt.Errorf("read tenants: %w", err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, fmt.Errorf("read tenants: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Tenant returns the recorded tenant slug; ok is false when there is none.
func (s *Store) Tenant(ctx context.Context, slug string) (t Tenant, ok bool, err error) {
	t, err = scanTenant(s.db.QueryRowContext(ctx, "SELECT "+tenantColumns+" FROM tenants WHERE slug = ?", slug))
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("read tenant %s: %w", slug, err)
	}
	return t, true, nil
}

// SaveTenant writes the tenant's record, creating it if needed.
func (s *Store) SaveTenant(ctx context.Context, t Tenant) error {
	q, args := s.saveTenant(t)
	_, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("save tenant %s: %w", t.Slug, err)
	}
	return nil
}

// saveTenant returns the statement that saves t and its arguments.
func (s *Store) saveTenant(t Tenant) (string, []any) {
	t.UpdatedAt = now()
	args := []any{t.Slug, t.Name, t.Template, strings.Join(t.Modules, ","), t.Server, t.Database, t.Domain, t.Lifecycle,
		t.Sync, t.Health, t.LastAttemptedRevision, t.LastAppliedRevision, t.DesiredHash, t.LiveHash,
		nullTime(t.DatabaseCreatedAt), nullTime(t.LastSyncedAt), t.LastError, sql.NullInt64{Int64: t.LastRunID, Valid: t.LastRunID != 0},
		nullTime(t.RemovedAt), t.UpdatedAt, t.TemplateVersion, t.ManagedServer, t.ManagedDatabase}
	// Field-wise where two writers may race: a run that read the record
	// before another created the database never clears its time, nor the
	// database landlord manages.
	q := s.upsert("tenants", tenantColumns, "slug")
	keep := func(col, value string) {
		if s.dialect == MySQL {
			q = strings.Replace(q, col+" = VALUES("+col+")", col+" = "+fmt.Sprintf(value, "VALUES("+col+")", "tenants."+col), 1)
		} else {
			q = strings.Replace(q, col+" = excluded."+col, col+" = "+fmt.Sprintf(value, "excluded."+col, "tenants."+col), 1)
		}
	}
	keep("database_created_at", "COALESCE(%s, %s)")
	keep("managed_server", "COALESCE(NULLIF(%s, ''), %s)")
	keep("managed_database", "COALESCE(NULLIF(%s, ''), %s)")
	return q, args
}

// SaveTenantRuns saves tenants and records runs, in one transaction: what
// a run did to many tenants at once (the unchanged tenants of a run, whose
// records would otherwise take a transaction each).
func (s *Store) SaveTenantRuns(ctx context.Context, tenants []Tenant, runs []TenantRun) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range tenants {
		q, args := s.saveTenant(t)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("save tenant %s: %w", t.Slug, err)
		}
	}
	for _, tr := range runs {
		if _, err := tx.ExecContext(ctx, recordTenantRun, tr.RunID, tr.Tenant, tr.Revision, tr.Action, tr.Outcome, tr.Statements, tr.Error,
			tr.StartedAt.UTC(), tr.FinishedAt.UTC()); err != nil {
			return fmt.Errorf("record run %d tenant %s: %w", tr.RunID, tr.Tenant, err)
		}
	}
	return tx.Commit()
}

// MarkRemoved records that the tenants not in keep are no longer in the
// repository. Their databases are never touched.
func (s *Store) MarkRemoved(ctx context.Context, keep []string) error {
	tenants, err := s.Tenants(ctx)
	if err != nil {
		return err
	}
	in := make(map[string]bool, len(keep))
	for _, k := range keep {
		in[k] = true
	}
	for _, t := range tenants {
		switch {
		case !in[t.Slug] && t.RemovedAt == nil:
			n := now()
			t.RemovedAt = &n
		case in[t.Slug] && t.RemovedAt != nil:
			t.RemovedAt = nil
		default:
			continue
		}
		if err := s.SaveTenant(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// upsert returns an INSERT of columns into table that updates the row when
// the key exists.
func (s *Store) upsert(table, columns, key string) string {
	cols := strings.Split(columns, ",")
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	var sets []string
	for _, c := range cols {
		if c == key {
			continue
		}
		if s.dialect == MySQL {
			sets = append(sets, fmt.Sprintf("%s = VALUES(%s)", c, c))
		} else {
			sets = append(sets, fmt.Sprintf("%s = excluded.%s", c, c))
		}
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ", table, strings.Join(cols, ", "), marks)
	if s.dialect == MySQL {
		return q + "ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
	}
	return q + fmt.Sprintf("ON CONFLICT (%s) DO UPDATE SET ", key) + strings.Join(sets, ", ")
}

// Run is one reconcile (or other operation) over some tenants.
type Run struct {
	ID                int64      `json:"id"`
	Trigger           string     `json:"trigger"`
	Actor             string     `json:"actor,omitempty"`
	Revision          string     `json:"revision"`
	StartedAt         time.Time  `json:"started_at"`
	FinishedAt        *time.Time `json:"finished_at"`
	Outcome           Outcome    `json:"outcome"`
	Counts            Counts     `json:"counts"`
	StatementsApplied int        `json:"statements_applied"`
	Error             string     `json:"error,omitempty"`
}

// Counts are the tenants of a run by what happened to them.
type Counts struct {
	Total     int `json:"total"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Blocked   int `json:"blocked"`
	Failed    int `json:"failed"`
	Suspended int `json:"suspended"`
	// Pinned tenants are left where a rollback pinned them.
	Pinned int `json:"pinned"`
}

// Outcome is how a run, or a tenant's part in one, ended.
type Outcome string

// Run outcomes.
const (
	RunRunning   Outcome = "running"
	RunSucceeded Outcome = "succeeded"
	RunFailed    Outcome = "failed"
	RunError     Outcome = "error"
)

// Outcomes of a tenant in a run.
const (
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"
	// OutcomeBlocked: a destructive plan not allowed; nothing was applied.
	OutcomeBlocked Outcome = "blocked"
	// OutcomeSkipped: suspended or pinned, left alone.
	OutcomeSkipped Outcome = "skipped"
)

// StartRun records the start of a run and returns its id. It is written
// before anything is attempted.
func (s *Store) StartRun(ctx context.Context, trigger, actor, revision string) (int64, error) {
	res, err := s.db.ExecContext(ctx, "INSERT INTO runs (trigger_kind, actor, revision, started_at, outcome, error, replica) VALUES (?, ?, ?, ?, ?, '', ?)",
		trigger, actor, revision, now(), RunRunning, ProcessOwner())
	if err != nil {
		return 0, fmt.Errorf("start run: %w", err)
	}
	return res.LastInsertId()
}

// FinishRun records the end of a run.
func (s *Store) FinishRun(ctx context.Context, id int64, outcome Outcome, c Counts, applied int, runErr string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET finished_at = ?, outcome = ?, tenants_total = ?, created = ?, updated = ?,
		unchanged = ?, blocked = ?, failed = ?, suspended = ?, pinned = ?, statements_applied = ?, error = ? WHERE id = ?`,
		now(), outcome, c.Total, c.Created, c.Updated, c.Unchanged, c.Blocked, c.Failed, c.Suspended, c.Pinned, applied, runErr, id)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	return nil
}

const runColumns = `id, trigger_kind, actor, revision, started_at, finished_at, outcome, tenants_total, created, updated,
	unchanged, blocked, failed, suspended, statements_applied, error, pinned`

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var (
		r        Run
		started  sql.NullTime
		finished sql.NullTime
	)
	err := row.Scan(&r.ID, &r.Trigger, &r.Actor, &r.Revision, &started, &finished, &r.Outcome, &r.Counts.Total,
		&r.Counts.Created, &r.Counts.Updated, &r.Counts.Unchanged, &r.Counts.Blocked, &r.Counts.Failed,
		&r.Counts.Suspended, &r.StatementsApplied, &r.Error, &r.Counts.Pinned)
	r.StartedAt = started.Time.UTC()
	r.FinishedAt = timePtr(finished)
	return r, err
}

// Runs returns the newest runs first, at most limit.
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+runColumns+" FROM runs ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRun returns one run.
func (s *Store) GetRun(ctx context.Context, id int64) (Run, bool, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, "SELECT "+runColumns+" FROM runs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, err
}

// TenantRun is what one run did to one tenant.
type TenantRun struct {
	RunID      int64     `json:"run_id"`
	Tenant     string    `json:"tenant"`
	Revision   string    `json:"revision"`
	Action     string    `json:"action"`
	Outcome    Outcome   `json:"outcome"`
	Statements int       `json:"statements"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

const recordTenantRun = `INSERT INTO run_tenants (run_id, tenant, revision, action, outcome, statements, error, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// RecordTenantRun records what a run did to a tenant.
func (s *Store) RecordTenantRun(ctx context.Context, tr TenantRun) error {
	_, err := s.db.ExecContext(ctx, recordTenantRun, tr.RunID, tr.Tenant, tr.Revision, tr.Action, tr.Outcome, tr.Statements, tr.Error,
		tr.StartedAt.UTC(), tr.FinishedAt.UTC())
	if err != nil {
		return fmt.Errorf("record run %d tenant %s: %w", tr.RunID, tr.Tenant, err)
	}
	return nil
}

// TenantRuns returns what runs did to tenant, newest first; with tenant
// empty, what run runID did to each tenant.
func (s *Store) TenantRuns(ctx context.Context, tenant string, runID int64, limit int) ([]TenantRun, error) {
	q := "SELECT run_id, tenant, revision, action, outcome, statements, error, started_at, finished_at FROM run_tenants "
	var args []any
	if tenant != "" {
		q += "WHERE tenant = ? ORDER BY run_id DESC LIMIT ?"
		args = []any{tenant, limit}
	} else {
		q += "WHERE run_id = ? ORDER BY tenant LIMIT ?"
		args = []any{runID, limit}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TenantRun
	for rows.Next() {
		var tr TenantRun
		var st, fin sql.NullTime
		if err := rows.Scan(&tr.RunID, &tr.Tenant, &tr.Revision, &tr.Action, &tr.Outcome, &tr.Statements, &tr.Error, &st, &fin); err != nil {
			return nil, err
		}
		tr.StartedAt, tr.FinishedAt = st.Time.UTC(), fin.Time.UTC()
		out = append(out, tr)
	}
	return out, rows.Err()
}

// Statement is one planned statement of a run for a tenant, with what
// happened to it.
type Statement struct {
	ID          int64      `json:"id"`
	RunID       int64      `json:"run_id"`
	Tenant      string     `json:"tenant"`
	Seq         int        `json:"seq"`
	Layer       string     `json:"layer"`
	File        string     `json:"file"`
	Line        int        `json:"line"`
	SQL         string     `json:"sql"`
	Destructive bool       `json:"destructive"`
	Status      string     `json:"status"`
	DurationMS  float64    `json:"duration_ms"`
	Error       string     `json:"error,omitempty"`
	ExecutedAt  *time.Time `json:"executed_at,omitempty"`
	// BackupID is the backup that holds what the statement destroyed.
	BackupID string `json:"backup,omitempty"`
}

// Statement statuses.
const (
	StatementPending = "pending" // recorded before it runs
	StatementApplied = "applied"
	StatementFailed  = "failed"
	StatementSkipped = "skipped" // not run: an earlier statement failed
	StatementBlocked = "blocked" // not run: the plan is destructive and not allowed
	StatementRefused = "refused" // not run: it did not parse back to the names its plan intended
	// StatementUnknown (abandon.go): running when its process died.
)

// AddStatements records a tenant's planned statements, before any runs,
// and sets their ids.
func (s *Store) AddStatements(ctx context.Context, sts []Statement) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO statements (run_id, tenant, seq, layer, file, line, sql_text, destructive, status, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '')`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range sts {
			st := &sts[i]
			res, err := stmt.ExecContext(ctx, st.RunID, st.Tenant, st.Seq, st.Layer, st.File, st.Line, st.SQL, st.Destructive, st.Status)
			if err != nil {
				return fmt.Errorf("record statement: %w", err)
			}
			if st.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		return nil
	})
}

// FinishStatement records what happened to a statement.
func (s *Store) FinishStatement(ctx context.Context, id int64, status string, d time.Duration, errText string) error {
	_, err := s.db.ExecContext(ctx, "UPDATE statements SET status = ?, duration_ms = ?, error = ?, executed_at = ? WHERE id = ?",
		status, float64(d.Microseconds())/1000, errText, now(), id)
	return err
}

// SetStatementsStatus sets the status of a tenant's statements in a run that
// are still in status from.
func (s *Store) SetStatementsStatus(ctx context.Context, runID int64, tenant, from, to string) error {
	_, err := s.db.ExecContext(ctx, "UPDATE statements SET status = ? WHERE run_id = ? AND tenant = ? AND status = ?", to, runID, tenant, from)
	return err
}

// Statements returns the statements of a run (all tenants when tenant is
// empty), in order.
func (s *Store) Statements(ctx context.Context, runID int64, tenant string) ([]Statement, error) {
	q := `SELECT id, run_id, tenant, seq, layer, file, line, sql_text, destructive, status, duration_ms, error, executed_at, backup_id
		FROM statements WHERE run_id = ?`
	args := []any{runID}
	if tenant != "" {
		q += " AND tenant = ?"
		args = append(args, tenant)
	}
	q += " ORDER BY tenant, seq"
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Statement
	for rows.Next() {
		var st Statement
		var at sql.NullTime
		if err := rows.Scan(&st.ID, &st.RunID, &st.Tenant, &st.Seq, &st.Layer, &st.File, &st.Line, &st.SQL, &st.Destructive,
			&st.Status, &st.DurationMS, &st.Error, &at, &st.BackupID); err != nil {
			return nil, err
		}
		st.ExecutedAt = timePtr(at)
		out = append(out, st)
	}
	return out, rows.Err()
}
