package reconciler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// BackupStore is what backups record into: the landlord database.
type BackupStore interface {
	StartBackup(ctx context.Context, b state.Backup) error
	FinishBackup(ctx context.Context, id, status string, rows, raw, stored int64, errText string) error
	SetStatementsBackup(ctx context.Context, ids []int64, id string) error
}

// SetBackups sets where the reconciler keeps backups: taken on demand, and
// before a destructive statement runs. Without it, destructive statements
// that policy allows are not run (there is nowhere to keep what they
// destroy).
func (r *Reconciler) SetBackups(st *backup.Storage) { r.backups = st }

// TriggerRestore is the trigger of a restore's run.
const TriggerRestore = "restore"

// ErrNoBackupStorage is returned when a backup is needed and no storage
// was set.
var ErrNoBackupStorage = errors.New("no backup storage")

// ErrNoDatabase is returned for a backup of a tenant whose database does
// not exist (yet).
var ErrNoDatabase = errors.New("no database yet")

// lockExisting takes t's lock on its server, waiting at most wait (30 s
// when 0), for work on a database that must exist: ErrNoDatabase, with
// why it matters, when it does not.
func (r *Reconciler) lockExisting(ctx context.Context, repo *desired.Repo, t *desired.Tenant, wait time.Duration, why string) (*schema.Server, *schema.Target, error) {
	srv, err := r.server(ctx, repo, t.Server)
	if err != nil {
		return nil, nil, err
	}
	exists, err := srv.Exists(ctx, t.Database)
	if err != nil {
		return nil, nil, err
	}
	if !exists {
		return nil, nil, fmt.Errorf("tenant %s: %w (%s): %s", t.Slug, ErrNoDatabase, t.Database, why)
	}
	if wait <= 0 {
		wait = 30 * time.Second
	}
	target, err := srv.Lock(ctx, t.Database, wait)
	if err != nil {
		return nil, nil, err
	}
	return srv, target, nil
}

// BackupOptions describe one backup taken on demand.
type BackupOptions struct {
	Kind     string // backup.KindManual when empty
	LockWait time.Duration
	Progress func(table string, rows int64)
	// Now is the clock of the backup's ID and times.
	Now func() time.Time
}

// Backup takes a backup of one tenant's database under the tenant's lock,
// so no apply changes it meanwhile, and records it.
func (r *Reconciler) Backup(ctx context.Context, repo *desired.Repo, slug string, o BackupOptions) (*backup.Manifest, error) {
	if _, err := r.storage(ctx, repo); err != nil {
		return nil, err
	}
	t, ok := repo.Tenant(slug)
	if !ok {
		return nil, fmt.Errorf("no tenant %q in the repository", slug)
	}
	srv, target, err := r.lockExisting(ctx, repo, t, o.LockWait, "nothing to back up")
	if err != nil {
		return nil, err
	}
	defer target.Close()
	revision := ""
	if rs, ok := r.store.(interface {
		Tenant(context.Context, string) (state.Tenant, bool, error)
	}); ok && r.store != nil {
		if rec, ok, err := rs.Tenant(ctx, slug); err == nil && ok {
			revision = rec.LastAppliedRevision
		}
	}
	kind := o.Kind
	if kind == "" {
		kind = backup.KindManual
	}
	m, err := r.takeBackup(ctx, srv, target, backup.Options{Tenant: slug, Database: t.Database, Kind: kind, Revision: revision, Progress: o.Progress, Now: o.Now}, 0)
	if err != nil {
		return nil, err
	}
	if err := r.pruneBackups(ctx, repo.Config.Backups, slug, o.Now); err != nil {
		r.log.Warn("prune backups", "tenant", slug, "err", err)
	}
	return m, nil
}

// pruneBackups removes the tenant's manual and scheduled backups beyond
// the retention of landlord.yaml: the newest Keep and every one younger
// than MaxDays stay. Backups taken before loss and final backups stay.
func (r *Reconciler) pruneBackups(ctx context.Context, ret desired.Backups, slug string, now func() time.Time) error {
	if ret.Keep <= 0 && ret.MaxDays <= 0 {
		return nil
	}
	list, err := r.backups.List(ctx, slug)
	if err != nil {
		return err
	}
	at := time.Now()
	if now != nil {
		at = now()
	}
	n := 0
	for _, m := range list { // newest first
		if m.Kind != backup.KindManual && m.Kind != backup.KindScheduled {
			continue
		}
		n++
		young := ret.MaxDays > 0 && at.Sub(m.Started) < time.Duration(ret.MaxDays)*24*time.Hour
		if n <= ret.Keep || young {
			continue
		}
		if err := r.backups.Delete(ctx, m.ID); err != nil {
			return err
		}
		if ds, ok := r.store.(interface {
			MarkBackupDeleted(context.Context, string) error
		}); ok && r.store != nil {
			ds.MarkBackupDeleted(ctx, m.ID)
		}
		r.log.Info("backup pruned", "tenant", slug, "backup", m.ID)
	}
	return nil
}

// takeBackup backs up the database of target, which the caller holds
// locked, records it as running, then complete or failed.
func (r *Reconciler) takeBackup(ctx context.Context, srv *schema.Server, target *schema.Target, opts backup.Options, runID int64) (*backup.Manifest, error) {
	if r.backups == nil {
		return nil, ErrNoBackupStorage
	}
	live, err := target.Inspect(ctx)
	if err != nil {
		return nil, err
	}
	if opts.SchemaHash, err = live.Hash(); err != nil {
		return nil, err
	}
	if hcl, err := live.HCL(); err == nil {
		opts.SchemaHCL = string(hcl)
	}
	bs, _ := r.store.(BackupStore)
	if r.store == nil {
		bs = nil
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	opts.ID, err = backup.NewID(opts.Tenant, now())
	if err != nil {
		return nil, err
	}
	if bs != nil {
		rec := state.Backup{ID: opts.ID, Tenant: opts.Tenant, Database: opts.Database, Kind: opts.Kind, Engine: engineOf(srv),
			Revision: opts.Revision, SchemaHash: opts.SchemaHash, Location: r.backups.String(), Tables: opts.Tables, RunID: runID, StartedAt: now()}
		if err := bs.StartBackup(ctx, rec); err != nil {
			return nil, fmt.Errorf("record backup: %w", err)
		}
	}
	var m *backup.Manifest
	if srv.Engine() == schema.SQLite {
		var path string
		if path, err = srv.SQLitePath(opts.Database); err == nil {
			m, err = backup.DumpSQLite(ctx, path, r.backups, opts)
		}
	} else {
		m, err = backup.DumpMySQL(ctx, srv.CopyDB(), r.backups, opts)
	}
	if bs != nil {
		fctx := context.WithoutCancel(ctx)
		if err != nil {
			bs.FinishBackup(fctx, opts.ID, state.BackupFailed, 0, 0, 0, redact.Text(err.Error()))
		} else {
			raw, stored := m.Sizes()
			if ferr := bs.FinishBackup(fctx, m.ID, state.BackupComplete, m.Rows(), raw, stored, ""); ferr != nil {
				r.log.Error("record backup", "tenant", opts.Tenant, "err", ferr)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	r.log.Info("backup taken", "tenant", opts.Tenant, "backup", m.ID, "kind", m.Kind)
	return m, nil
}

func engineOf(srv *schema.Server) string {
	if srv.Engine() == schema.SQLite {
		return "sqlite"
	}
	return "mysql"
}

// RestoreOptions describe one restore.
type RestoreOptions struct {
	Tenant string
	// From is the backup's ID.
	From string
	// ToDatabase restores into a new database of the tenant's server
	// instead of the tenant's own.
	ToDatabase string
	// Tables restores only these tables.
	Tables []string
	// Force allows restoring into the tenant's own database when it holds
	// tables: only a suspended tenant's.
	Force    bool
	LockWait time.Duration
	Progress func(table string, rows int64)
	// Actor is recorded with the restore's run.
	Actor string
}

// RestoreResult says what a restore did and what it verified.
type RestoreResult struct {
	// RunID is the restore's run in the landlord database.
	RunID    int64  `json:"run_id,omitempty"`
	Backup   string `json:"backup"`
	Tenant   string `json:"tenant"`
	Database string `json:"database"`
	Tables   int    `json:"tables"`
	Rows     int64  `json:"rows"`
	// SchemaVerified is set when the restored schema's hash equals the
	// backup's; a partial restore (tables or columns) does not check it.
	SchemaVerified bool `json:"schema_verified"`
}

// Restore restores a backup of a tenant, verifying the restored rows'
// counts and checksums against the manifest and, for a whole database,
// the schema hash. Into the tenant's own database it is refused unless the
// database is empty, or Force is set and the tenant is suspended.
func (r *Reconciler) Restore(ctx context.Context, repo *desired.Repo, o RestoreOptions) (res *RestoreResult, err error) {
	if _, err := r.storage(ctx, repo); err != nil {
		return nil, err
	}
	// A restore is a run of its own (trigger restore): one cut short stays
	// running, and is reported as the runs whose process is gone are.
	if r.store != nil {
		start := time.Now()
		id, serr := r.store.StartRun(ctx, TriggerRestore, o.Actor, o.From)
		if serr != nil {
			return nil, fmt.Errorf("record the restore: %w", serr)
		}
		defer func() {
			wctx := context.WithoutCancel(ctx)
			outcome, runOutcome, msg := state.OutcomeSucceeded, state.RunSucceeded, ""
			c := state.Counts{Total: 1, Updated: 1}
			if err != nil {
				outcome, runOutcome, msg = state.OutcomeFailed, state.RunFailed, redact.Text(err.Error())
				c = state.Counts{Total: 1, Failed: 1}
			}
			r.store.RecordTenantRun(wctx, state.TenantRun{RunID: id, Tenant: o.Tenant, Revision: o.From, Action: "restore", Outcome: outcome,
				Error: msg, StartedAt: start, FinishedAt: time.Now()})
			r.store.FinishRun(wctx, id, runOutcome, c, 0, msg)
			if res != nil {
				res.RunID = id
			}
		}()
	}
	t, ok := repo.Tenant(o.Tenant)
	if !ok {
		return nil, fmt.Errorf("no tenant %q in the repository", o.Tenant)
	}
	m, err := r.backups.Manifest(ctx, o.From)
	if err != nil {
		return nil, err
	}
	if m.Tenant != t.Slug {
		return nil, fmt.Errorf("backup %s is of tenant %s, not %s", m.ID, m.Tenant, t.Slug)
	}
	srv, err := r.server(ctx, repo, t.Server)
	if err != nil {
		return nil, err
	}
	if engineOf(srv) != m.Engine {
		return nil, fmt.Errorf("backup %s is of a %s database; tenant %s is on %s", m.ID, m.Engine, t.Slug, srv.Engine())
	}
	db := t.Database
	if o.ToDatabase != "" {
		if err := r.checkNewDatabase(repo, o.ToDatabase); err != nil {
			return nil, err
		}
		db = o.ToDatabase
	}
	if o.LockWait <= 0 {
		o.LockWait = 30 * time.Second
	}
	target, err := srv.Lock(ctx, db, o.LockWait)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	columns := false
	for _, tb := range m.Tables {
		columns = columns || len(tb.Columns) > 0
	}
	live, err := target.Inspect(ctx)
	if err != nil {
		return nil, err
	}
	if len(live.Tables()) > 0 && !columns {
		if db == t.Database && (!o.Force || t.Lifecycle != desired.Suspended) {
			return nil, fmt.Errorf("database %s of tenant %s holds tables: restoring into it needs --force and the tenant suspended (lifecycle: suspended); or restore with --to-database", db, t.Slug)
		}
		if db != t.Database && !o.Force {
			return nil, fmt.Errorf("database %s holds tables: restore into a new database, or pass --force to replace its tables", db)
		}
	}
	// Past the checks above, the backup's tables replace those of the
	// same names.
	ropts := backup.RestoreOptions{Database: db, Tables: o.Tables, Replace: true, Progress: o.Progress}
	if srv.Engine() == schema.SQLite {
		var path string
		if path, err = srv.SQLitePath(db); err == nil {
			err = backup.RestoreSQLite(ctx, r.backups, m, path, ropts)
		}
	} else {
		err = backup.RestoreMySQL(ctx, srv.CopyDB(), r.backups, m, ropts)
	}
	if err != nil {
		return nil, err
	}
	res = &RestoreResult{Backup: m.ID, Tenant: t.Slug, Database: db}
	for _, tb := range m.Tables {
		if len(o.Tables) == 0 || slices.Contains(o.Tables, tb.Name) {
			res.Tables++
			res.Rows += tb.Rows
		}
	}
	if len(o.Tables) == 0 && !columns && m.SchemaHash != "" {
		// A new reader: on SQLite the restored file replaced the one the
		// locked target has open.
		rd, err := srv.Read(ctx, db)
		if err != nil {
			return res, err
		}
		after, err := rd.Inspect(ctx)
		rd.Close()
		if err != nil {
			return res, err
		}
		hash, err := after.Hash()
		if err != nil {
			return res, err
		}
		if hash != m.SchemaHash {
			return res, fmt.Errorf("restore of %s into %s: the schema hash is %s, the backup's is %s", m.ID, db, hash, m.SchemaHash)
		}
		res.SchemaVerified = true
	}
	r.log.Info("backup restored", "tenant", t.Slug, "backup", m.ID, "database", db)
	return res, nil
}

// checkNewDatabase refuses a restore target that landlord does not give:
// the server's own databases, the landlord database, and another tenant's.
func (r *Reconciler) checkNewDatabase(repo *desired.Repo, name string) error {
	if why := desired.ReservedDatabase(name, nil, repo.Config.Database.Deny); why != "" {
		return fmt.Errorf("--to-database %s: %s", name, why)
	}
	if !validDatabaseName(name) {
		return fmt.Errorf("--to-database %q: 1 to 64 characters, lowercase letters, digits and underscores, starting with a letter", name)
	}
	for _, other := range repo.Tenants {
		if other.Database == name {
			return fmt.Errorf("--to-database %s is the database of tenant %s", name, other.Slug)
		}
	}
	return nil
}

func validDatabaseName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// storage returns the backup storage: the one set with SetBackups, or the
// one landlord.yaml names (backups.location, default .landlord/backups),
// opened once when a backup is first needed.
func (r *Reconciler) storage(ctx context.Context, repo *desired.Repo) (*backup.Storage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.backups != nil {
		return r.backups, nil
	}
	loc := repo.Config.Backups.Location
	if loc == "" {
		loc = backup.DefaultDir
	}
	st, err := backup.Open(ctx, loc)
	if err != nil {
		return nil, err
	}
	r.backups = st
	return st, nil
}

// backupBeforeLoss backs up what the plan's destructive statements can
// destroy (whole tables, or columns with their primary key) before any of
// them runs, and records the backup on those statements (ids, when
// recorded). An error means nothing may run.
func (ru *run) backupBeforeLoss(ctx context.Context, t *desired.Tenant, target *schema.Target, p *schema.Plan, ids []int64) (*backup.Manifest, error) {
	if p.Create || !target.Exists() {
		return nil, nil
	}
	var (
		tables  []string
		columns = map[string][]string{}
		whole   = map[string]bool{}
		losing  []int64
	)
	for i, s := range p.Statements {
		l, ok := s.Loss()
		if !ok {
			continue
		}
		if ids != nil {
			losing = append(losing, ids[i])
		}
		if !slices.Contains(tables, l.Table) {
			tables = append(tables, l.Table)
		}
		if len(l.Columns) == 0 {
			whole[l.Table] = true
			continue
		}
		for _, c := range l.Columns {
			if !slices.Contains(columns[l.Table], c) {
				columns[l.Table] = append(columns[l.Table], c)
			}
		}
	}
	if len(tables) == 0 {
		return nil, nil
	}
	for tb := range whole {
		delete(columns, tb)
	}
	if _, err := ru.storage(ctx, ru.repo); err != nil {
		return nil, err
	}
	m, err := ru.takeBackup(ctx, target.Server(), target, backup.Options{Tenant: t.Slug, Database: t.Database, Kind: backup.KindBeforeLoss,
		Revision: ru.revision, Tables: tables, Columns: columns}, ru.id)
	if err != nil {
		return nil, err
	}
	if bs, ok := ru.store.(BackupStore); ok && ru.store != nil && len(losing) > 0 {
		if err := bs.SetStatementsBackup(ctx, losing, m.ID); err != nil {
			return m, fmt.Errorf("record backup %s on the statements: %w", m.ID, err)
		}
	}
	return m, nil
}

// restoreHints tells, on a rollback's result, which backups taken before
// destructive statements hold data for the tables and columns the
// rollback brings back: the rollback restores the schema, the backup the
// values (landlord restore --from).
func (r *Reconciler) restoreHints(ctx context.Context, repo *desired.Repo, res *Result, slug string) {
	lister, ok := r.store.(interface {
		Backups(ctx context.Context, tenant string, limit int) ([]state.Backup, error)
	})
	if !ok || r.store == nil {
		return
	}
	recs, err := lister.Backups(ctx, slug, 50)
	if err != nil {
		return
	}
	st, err := r.storage(ctx, repo)
	if err != nil {
		return
	}
	for i := range res.Tenants {
		tr := &res.Tenants[i]
		if tr.Slug != slug || len(tr.Changes) == 0 {
			continue
		}
		for _, b := range recs {
			if b.Kind != backup.KindBeforeLoss || b.Status != state.BackupComplete {
				continue
			}
			m, err := st.Manifest(ctx, b.ID)
			if err != nil {
				continue
			}
			var holds []string
			for _, t := range m.Tables {
				if !mentions(tr.Changes, t.Name) {
					continue
				}
				if len(t.Columns) == 0 {
					holds = append(holds, t.Name)
					continue
				}
				for _, c := range t.Columns {
					if mentions(tr.Changes, c) {
						holds = append(holds, t.Name+"."+c)
					}
				}
			}
			if len(holds) > 0 {
				tr.Warnings = append(tr.Warnings, fmt.Sprintf("backup %s (taken before destructive statements) holds the data of %s: after the rollback, landlord restore %s --from %s",
					b.ID, strings.Join(holds, ", "), slug, b.ID))
			}
		}
	}
}

// mentions reports whether a change's SQL names name as a quoted
// identifier (MySQL or SQLite quoting).
func mentions(changes []Change, name string) bool {
	for _, c := range changes {
		if strings.Contains(c.SQL, "`"+name+"`") || strings.Contains(c.SQL, `"`+name+`"`) {
			return true
		}
	}
	return false
}

// BackupOutcome is one tenant's backup of BackupAll.
type BackupOutcome struct {
	Tenant   string
	Manifest *backup.Manifest
	// Err is the failure; nil for a backup taken, or skipped (Skipped).
	Err     error
	Skipped string
}

// BackupAll backs up every tenant of the repository that has a database,
// except decommissioned ones (their final backup is kept), with at most
// the server's concurrency (landlord.yaml, at least 1) at once per server.
// One tenant's failure never stops the others.
func (r *Reconciler) BackupAll(ctx context.Context, repo *desired.Repo, o BackupOptions) []BackupOutcome {
	out := make([]BackupOutcome, len(repo.Tenants))
	sems := map[string]chan struct{}{}
	for name, def := range repo.Config.Servers {
		n := 1
		if def != nil && def.Concurrency > 0 {
			n = def.Concurrency
		}
		sems[name] = make(chan struct{}, n)
	}
	var wg sync.WaitGroup
	for i, t := range repo.Tenants {
		out[i].Tenant = t.Slug
		if t.Lifecycle == desired.Decommissioned {
			out[i].Skipped = "decommissioned: its final backup is kept"
			continue
		}
		sem := sems[t.Server]
		if sem == nil {
			out[i].Err = fmt.Errorf("server %q is not defined", t.Server)
			continue
		}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i].Err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			m, err := r.Backup(ctx, repo, t.Slug, o)
			if errors.Is(err, ErrNoDatabase) {
				out[i].Skipped = err.Error()
				return
			}
			out[i].Manifest, out[i].Err = m, err
		})
	}
	wg.Wait()
	return out
}
