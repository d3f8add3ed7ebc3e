package reconciler

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// SetClock sets the clock of decommissioned tenants' retention holds
// (time.Now when nil): tests move it past a hold.
func (r *Reconciler) SetClock(now func() time.Time) { r.now = now }

func (r *Reconciler) clock() time.Time {
	if r.now != nil {
		return r.now().UTC()
	}
	return time.Now().UTC()
}

// DecommissionStore is what decommissioning records into.
type DecommissionStore interface {
	GetDecommission(ctx context.Context, tenant string) (state.Decommission, bool, error)
	SaveDecommission(ctx context.Context, d state.Decommission) error
}

// decommission handles a decommissioned tenant: a final backup, verified
// against the live database, starts its retention hold (landlord.yaml's
// retention from the later of decommissionedAt and the reconcile that
// takes it: a date in git never shortens the hold); until the hold ends,
// or for good when decommission.dropDatabases is off, the tenant is
// Decommissioning with its drop date. After it, the database is dropped
// and recorded. Only a database the landlord database records landlord
// manages for the tenant, on that server, is backed up and dropped: any
// other is left alone. A plan changes nothing, and says whether and when
// the database would be dropped.
func (ru *run) decommission(ctx context.Context, t *desired.Tenant, tr *TenantResult) {
	err := ru.decommissionErr(ctx, t, tr)
	if err != nil {
		tr.Action, tr.Error, tr.Class = ActionError, err.Error(), classify(err)
	}
}

func (ru *run) decommissionErr(ctx context.Context, t *desired.Tenant, tr *TenantResult) error {
	ds, ok := ru.store.(DecommissionStore)
	if ru.store == nil || !ok || (ru.id == 0 && !ru.opts.Plan) {
		if ru.opts.Plan {
			tr.Action = ActionDecommissioning
			tr.Warnings = append(tr.Warnings, fmt.Sprintf("decommissioned: whether database %s would be dropped needs the landlord database", t.Database))
			return nil
		}
		return errors.New("decommissioning needs the landlord database")
	}
	cfg := ru.repo.Config.Decommission
	d, held, err := ds.GetDecommission(ctx, t.Slug)
	if err != nil {
		return err
	}
	ru.mu.Lock()
	rec, recorded := ru.records[t.Slug]
	ru.mu.Unlock()
	// A hold taken before the tenant was last seen in another lifecycle
	// (it was brought back, then decommissioned again) is not this
	// decommission's: a new final backup starts a new hold.
	if held && recorded && rec.Lifecycle != desired.Decommissioned {
		held = false
	}
	if held && d.DroppedAt != nil && d.Database == t.Database {
		tr.Action = ActionDropped
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("database %s was dropped on %s; its final backup is %s", t.Database, d.DroppedAt.Format(time.DateOnly), d.FinalBackup))
		return nil
	}
	srv, err := ru.server(ctx, ru.repo, t.Server)
	if err != nil {
		return err
	}
	exists, err := srv.Exists(ctx, t.Database)
	if err != nil {
		return err
	}
	if !exists {
		tr.Action = ActionSuspended
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("decommissioned, and database %s does not exist", t.Database))
		return nil
	}
	// Only what landlord manages is destroyed (as Terraform and Argo CD
	// do): a manifest may name any database, and may be new, so only the
	// landlord database's record that landlord applied this tenant's
	// schema to this very database on this very server lets it be backed
	// up and dropped.
	if !manages(rec, recorded, t) {
		tr.Action = ActionSuspended
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("decommissioned, not dropped: landlord never provisioned database %s on server %s for tenant %s; it is left alone (no final backup, no hold)", t.Database, t.Server, t.Slug))
		return nil
	}
	if !held || d.Database != t.Database || d.FinalBackup == "" {
		if ru.opts.Plan {
			tr.Action = ActionDecommissioning
			tr.Warnings = append(tr.Warnings, "decommissioned: a final backup will be taken; "+holdWords(t, cfg, ru.holdEnd(t, cfg)))
			return nil
		}
		m, err := ru.finalBackup(ctx, srv, t)
		if err != nil {
			return fmt.Errorf("final backup: %w", err)
		}
		d = state.Decommission{Tenant: t.Slug, Database: t.Database, FinalBackup: m.ID, DropAt: ru.holdEnd(t, cfg)}
		if err := ds.SaveDecommission(ctx, d); err != nil {
			return fmt.Errorf("record the retention hold: %w", err)
		}
		tr.Backup = m.ID
	}
	switch {
	case !cfg.DropDatabases:
		tr.Action = ActionDecommissioning
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("decommissioned: database %s is kept (decommission.dropDatabases is off); final backup %s", t.Database, d.FinalBackup))
		return nil
	case ru.clock().Before(d.DropAt):
		tr.Action = ActionDecommissioning
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("decommissioned: database %s is dropped on %s; final backup %s", t.Database, d.DropAt.Format(time.DateOnly), d.FinalBackup))
		return nil
	case ru.opts.Plan:
		tr.Action = ActionDecommissioning
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("decommissioned: database %s will be dropped (its hold ended on %s)", t.Database, d.DropAt.Format(time.DateOnly)))
		return nil
	}
	if err := ru.dropDatabase(ctx, srv, t); err != nil {
		return fmt.Errorf("drop database %s: %w", t.Database, err)
	}
	dropped := ru.clock()
	d.DroppedAt = &dropped
	if err := ds.SaveDecommission(context.WithoutCancel(ctx), d); err != nil {
		return fmt.Errorf("record the drop: %w", err)
	}
	tr.Action = ActionDropped
	ru.log.Info("database dropped", "tenant", t.Slug, "database", t.Database, "backup", d.FinalBackup)
	return nil
}

// holdEnd returns when the retention hold of a decommissioned tenant
// whose final backup is taken now ends: the retention after the later of
// decommissionedAt and now. decommissionedAt comes from git, and a date
// in the past must not drop a database the moment landlord first sees
// its tenant decommissioned.
func (ru *run) holdEnd(t *desired.Tenant, cfg desired.Decommission) time.Time {
	start := ru.clock()
	if t.DecommissionedAt != nil && t.DecommissionedAt.After(start) {
		start = t.DecommissionedAt.UTC()
	}
	return start.Add(cfg.Retention())
}

// holdWords says what becomes of a decommissioned tenant's database whose
// hold ends at dropAt.
func holdWords(t *desired.Tenant, cfg desired.Decommission, dropAt time.Time) string {
	if !cfg.DropDatabases {
		return fmt.Sprintf("database %s is kept (decommission.dropDatabases is off)", t.Database)
	}
	return fmt.Sprintf("database %s is dropped on %s", t.Database, dropAt.Format(time.DateOnly))
}

// finalBackup takes the decommissioned tenant's final backup under its
// lock and verifies it against the database it was taken from.
func (ru *run) finalBackup(ctx context.Context, srv *schema.Server, t *desired.Tenant) (*backup.Manifest, error) {
	st, err := ru.storage(ctx, ru.repo)
	if err != nil {
		return nil, err
	}
	target, err := srv.Lock(ctx, t.Database, ru.lockWait())
	if err != nil {
		return nil, err
	}
	defer target.Close()
	m, err := ru.takeBackup(ctx, srv, target, backup.Options{Tenant: t.Slug, Database: t.Database, Kind: backup.KindFinal, Revision: ru.revision, Now: ru.now}, ru.id)
	if err != nil {
		return nil, err
	}
	if m, err = st.Manifest(ctx, m.ID); err != nil {
		return nil, err
	}
	if srv.Engine() == schema.SQLite {
		var path string
		if path, err = srv.SQLitePath(t.Database); err == nil {
			err = backup.VerifySQLite(ctx, path, m)
		}
	} else {
		err = backup.VerifyMySQL(ctx, srv.DB(), m, t.Database, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return m, nil
}

// dropDatabase drops the tenant's database under its lock. The name was
// checked when the manifest was loaded, and decommissionErr checked that
// landlord manages this database on this server for the tenant (a tenant
// never owns a database landlord does not give it).
func (ru *run) dropDatabase(ctx context.Context, srv *schema.Server, t *desired.Tenant) error {
	target, err := srv.Lock(ctx, t.Database, ru.lockWait())
	if err != nil {
		return err
	}
	defer target.Close()
	if srv.Engine() == schema.SQLite {
		path, err := srv.SQLitePath(t.Database)
		if err != nil {
			return err
		}
		for _, suffix := range []string{"-wal", "-shm", "-journal"} {
			os.Remove(path + suffix)
		}
		return os.Remove(path)
	}
	_, err = srv.DB().ExecContext(ctx, "DROP DATABASE "+schema.QuoteIdent(t.Database))
	return err
}

func (ru *run) lockWait() time.Duration {
	if ru.opts.LockWait > 0 {
		return ru.opts.LockWait
	}
	return 30 * time.Second
}

// cleanupFailedCreate drops the database a failed first provisioning
// created (landlord.yaml database.cleanupOnFailure), only when none of its
// tables holds a row: nothing but landlord's half-built schema is lost.
func (ru *run) cleanupFailedCreate(ctx context.Context, t *desired.Tenant, target *schema.Target, tr *TenantResult) {
	srv := target.Server()
	if exists, err := srv.Exists(ctx, t.Database); err != nil || !exists {
		return
	}
	empty, err := ru.databaseEmpty(ctx, srv, target)
	if err != nil || !empty {
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("database %s, created by the failed provisioning, is kept: it holds rows or could not be read", t.Database))
		return
	}
	if srv.Engine() == schema.SQLite {
		var path string
		if path, err = srv.SQLitePath(t.Database); err == nil {
			for _, suffix := range []string{"-wal", "-shm", "-journal"} {
				os.Remove(path + suffix)
			}
			err = os.Remove(path)
		}
	} else {
		_, err = srv.DB().ExecContext(ctx, "DROP DATABASE "+schema.QuoteIdent(t.Database))
	}
	if err != nil {
		tr.Warnings = append(tr.Warnings, fmt.Sprintf("database %s, created by the failed provisioning, could not be dropped: %v", t.Database, err))
		return
	}
	tr.Warnings = append(tr.Warnings, fmt.Sprintf("database %s, created by the failed provisioning, was dropped (database.cleanupOnFailure)", t.Database))
	ru.log.Info("half-built database dropped", "tenant", t.Slug, "database", t.Database)
}

// databaseEmpty reports whether no table of the target's database holds a
// row.
func (ru *run) databaseEmpty(ctx context.Context, srv *schema.Server, target *schema.Target) (bool, error) {
	live, err := target.Inspect(ctx)
	if err != nil {
		return false, err
	}
	for _, table := range live.Tables() {
		var one int
		var q string
		if srv.Engine() == schema.SQLite {
			path, err := srv.SQLitePath(target.Database())
			if err != nil {
				return false, err
			}
			db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
			if err != nil {
				return false, err
			}
			err = db.QueryRowContext(ctx, `SELECT 1 FROM "`+strings.ReplaceAll(table, `"`, `""`)+`" LIMIT 1`).Scan(&one)
			db.Close()
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return false, err
			}
			return false, nil
		}
		q = "SELECT 1 FROM " + schema.QuoteIdent(target.Database()) + "." + schema.QuoteIdent(table) + " LIMIT 1"
		err := srv.DB().QueryRowContext(ctx, q).Scan(&one)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return false, err
		}
		return false, nil
	}
	return true, nil
}
