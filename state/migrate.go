package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"
)

// migration is one version of the landlord database's own schema. Each
// dialect has its statements; they run in a transaction where the dialect
// allows (SQLite), and one by one otherwise.
type migration struct {
	version int
	name    string
	sqlite  []string
	mysql   []string
}

// migrations of the landlord database. Never edit a released one: add a
// new version, in a file of its own (migrate_vN.go) that appends it in an
// init function. They run in version order.
var migrations = []migration{
	{
		version: 1,
		name:    "tenants, runs, statements, snapshots",
		sqlite: []string{
			`CREATE TABLE tenants (
				slug TEXT PRIMARY KEY,
				name TEXT NOT NULL DEFAULT '',
				template TEXT NOT NULL DEFAULT '',
				modules TEXT NOT NULL DEFAULT '',
				server TEXT NOT NULL DEFAULT '',
				database_name TEXT NOT NULL DEFAULT '',
				domain TEXT NOT NULL DEFAULT '',
				lifecycle TEXT NOT NULL DEFAULT 'active',
				sync_status TEXT NOT NULL DEFAULT 'Unknown',
				health_status TEXT NOT NULL DEFAULT 'Missing',
				last_attempted_revision TEXT NOT NULL DEFAULT '',
				last_applied_revision TEXT NOT NULL DEFAULT '',
				desired_hash TEXT NOT NULL DEFAULT '',
				live_hash TEXT NOT NULL DEFAULT '',
				database_created_at DATETIME NULL,
				last_synced_at DATETIME NULL,
				last_error TEXT NOT NULL DEFAULT '',
				last_run_id INTEGER NULL,
				removed_at DATETIME NULL,
				updated_at DATETIME NOT NULL
			)`,
			`CREATE TABLE runs (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				trigger_kind TEXT NOT NULL,
				actor TEXT NOT NULL DEFAULT '',
				revision TEXT NOT NULL DEFAULT '',
				started_at DATETIME NOT NULL,
				finished_at DATETIME NULL,
				outcome TEXT NOT NULL DEFAULT 'running',
				tenants_total INTEGER NOT NULL DEFAULT 0,
				created INTEGER NOT NULL DEFAULT 0,
				updated INTEGER NOT NULL DEFAULT 0,
				unchanged INTEGER NOT NULL DEFAULT 0,
				blocked INTEGER NOT NULL DEFAULT 0,
				failed INTEGER NOT NULL DEFAULT 0,
				suspended INTEGER NOT NULL DEFAULT 0,
				statements_applied INTEGER NOT NULL DEFAULT 0,
				error TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE TABLE run_tenants (
				run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
				tenant TEXT NOT NULL,
				revision TEXT NOT NULL DEFAULT '',
				action TEXT NOT NULL,
				outcome TEXT NOT NULL,
				statements INTEGER NOT NULL DEFAULT 0,
				error TEXT NOT NULL DEFAULT '',
				started_at DATETIME NOT NULL,
				finished_at DATETIME NOT NULL,
				PRIMARY KEY (run_id, tenant)
			)`,
			`CREATE INDEX run_tenants_tenant ON run_tenants (tenant, run_id)`,
			`CREATE TABLE statements (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
				tenant TEXT NOT NULL,
				seq INTEGER NOT NULL,
				layer TEXT NOT NULL DEFAULT '',
				file TEXT NOT NULL DEFAULT '',
				line INTEGER NOT NULL DEFAULT 0,
				sql_text TEXT NOT NULL,
				destructive INTEGER NOT NULL DEFAULT 0,
				status TEXT NOT NULL,
				duration_ms REAL NOT NULL DEFAULT 0,
				error TEXT NOT NULL DEFAULT '',
				executed_at DATETIME NULL
			)`,
			`CREATE INDEX statements_run ON statements (run_id, tenant, seq)`,
			`CREATE INDEX statements_tenant ON statements (tenant, id)`,
			`CREATE TABLE snapshots (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				tenant TEXT NOT NULL,
				run_id INTEGER NULL,
				revision TEXT NOT NULL DEFAULT '',
				hash TEXT NOT NULL,
				hcl TEXT NOT NULL,
				created_at DATETIME NOT NULL
			)`,
			`CREATE INDEX snapshots_tenant ON snapshots (tenant, id)`,
		},
		mysql: []string{
			`CREATE TABLE tenants (
				slug VARCHAR(63) NOT NULL PRIMARY KEY,
				name VARCHAR(255) NOT NULL DEFAULT '',
				template VARCHAR(63) NOT NULL DEFAULT '',
				modules TEXT NOT NULL,
				server VARCHAR(63) NOT NULL DEFAULT '',
				database_name VARCHAR(64) NOT NULL DEFAULT '',
				domain VARCHAR(255) NOT NULL DEFAULT '',
				lifecycle VARCHAR(20) NOT NULL DEFAULT 'active',
				sync_status VARCHAR(20) NOT NULL DEFAULT 'Unknown',
				health_status VARCHAR(20) NOT NULL DEFAULT 'Missing',
				last_attempted_revision VARCHAR(128) NOT NULL DEFAULT '',
				last_applied_revision VARCHAR(128) NOT NULL DEFAULT '',
				desired_hash CHAR(64) NOT NULL DEFAULT '',
				live_hash CHAR(64) NOT NULL DEFAULT '',
				database_created_at DATETIME(6) NULL,
				last_synced_at DATETIME(6) NULL,
				last_error TEXT NOT NULL,
				last_run_id BIGINT NULL,
				removed_at DATETIME(6) NULL,
				updated_at DATETIME(6) NOT NULL
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`CREATE TABLE runs (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				trigger_kind VARCHAR(32) NOT NULL,
				actor VARCHAR(255) NOT NULL DEFAULT '',
				revision VARCHAR(128) NOT NULL DEFAULT '',
				started_at DATETIME(6) NOT NULL,
				finished_at DATETIME(6) NULL,
				outcome VARCHAR(20) NOT NULL DEFAULT 'running',
				tenants_total INT NOT NULL DEFAULT 0,
				created INT NOT NULL DEFAULT 0,
				updated INT NOT NULL DEFAULT 0,
				unchanged INT NOT NULL DEFAULT 0,
				blocked INT NOT NULL DEFAULT 0,
				failed INT NOT NULL DEFAULT 0,
				suspended INT NOT NULL DEFAULT 0,
				statements_applied INT NOT NULL DEFAULT 0,
				error TEXT NOT NULL
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`CREATE TABLE run_tenants (
				run_id BIGINT NOT NULL,
				tenant VARCHAR(63) NOT NULL,
				revision VARCHAR(128) NOT NULL DEFAULT '',
				action VARCHAR(20) NOT NULL,
				outcome VARCHAR(20) NOT NULL,
				statements INT NOT NULL DEFAULT 0,
				error TEXT NOT NULL,
				started_at DATETIME(6) NOT NULL,
				finished_at DATETIME(6) NOT NULL,
				PRIMARY KEY (run_id, tenant),
				KEY run_tenants_tenant (tenant, run_id),
				CONSTRAINT run_tenants_run FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`CREATE TABLE statements (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				run_id BIGINT NOT NULL,
				tenant VARCHAR(63) NOT NULL,
				seq INT NOT NULL,
				layer VARCHAR(255) NOT NULL DEFAULT '',
				file VARCHAR(1024) NOT NULL DEFAULT '',
				line INT NOT NULL DEFAULT 0,
				sql_text MEDIUMTEXT NOT NULL,
				destructive TINYINT(1) NOT NULL DEFAULT 0,
				status VARCHAR(20) NOT NULL,
				duration_ms DOUBLE NOT NULL DEFAULT 0,
				error TEXT NOT NULL,
				executed_at DATETIME(6) NULL,
				KEY statements_run (run_id, tenant, seq),
				KEY statements_tenant (tenant, id),
				CONSTRAINT statements_run_fk FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`CREATE TABLE snapshots (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				tenant VARCHAR(63) NOT NULL,
				run_id BIGINT NULL,
				revision VARCHAR(128) NOT NULL DEFAULT '',
				hash CHAR(64) NOT NULL,
				hcl MEDIUMTEXT NOT NULL,
				created_at DATETIME(6) NOT NULL,
				KEY snapshots_tenant (tenant, id)
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
		},
	},
}

// SchemaVersion is the version of the landlord database this build writes:
// the highest of its migrations.
func SchemaVersion() int {
	v := 0
	for _, m := range migrations {
		v = max(v, m.version)
	}
	return v
}

// migrate brings the landlord database to the newest version. Concurrent
// starts are safe: SQLite takes the write lock in the transaction, MySQL a
// named lock around the whole migration.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.dialect == MySQL {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('landlord:migrate', 60)").Scan(&got); err != nil {
			return err
		}
		if got.Int64 != 1 {
			return fmt.Errorf("another landlord holds the migration lock")
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK('landlord:migrate')")
	}
	create := `CREATE TABLE IF NOT EXISTS landlord_schema_version (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at DATETIME NOT NULL)`
	if s.dialect == MySQL {
		create = `CREATE TABLE IF NOT EXISTS landlord_schema_version (version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at DATETIME(6) NOT NULL)`
	}
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return err
	}
	applied := map[int]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT version FROM landlord_schema_version")
	if err != nil {
		return err
	}
	newest := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
		newest = max(newest, v)
	}
	rows.Close()
	if newest > SchemaVersion() {
		return fmt.Errorf("the landlord database is at version %d, newer than this landlord (%d): upgrade landlord", newest, SchemaVersion())
	}
	// Every version not yet applied runs, in order: versions developed on
	// separate branches may land out of order.
	ordered := append([]migration(nil), migrations...)
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].version < ordered[j].version })
	for _, m := range ordered {
		if applied[m.version] {
			continue
		}
		stmts := m.sqlite
		if s.dialect == MySQL {
			stmts = m.mysql
		}
		if err := s.applyMigration(ctx, conn, m, stmts); err != nil {
			return fmt.Errorf("version %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration, stmts []string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Another process may have migrated while this one waited for the lock.
	var done int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM landlord_schema_version WHERE version = ?", m.version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			if s.dialect == MySQL && appliedBefore(err) {
				// DDL commits at once on MySQL and MariaDB: a migration
				// cut short left this statement applied (each statement
				// is atomic) without its version row. Resume after it.
				continue
			}
			return fmt.Errorf("%s: %w", strings.SplitN(strings.TrimSpace(q), "\n", 2)[0], err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO landlord_schema_version (version, name, applied_at) VALUES (?, ?, ?)", m.version, m.name, now()); err != nil {
		return err
	}
	return tx.Commit()
}

// appliedBefore reports whether a migration statement failed because what
// it creates exists: the table, column, index or constraint. A statement
// of a migration either applied whole or not at all, so it is done.
func appliedBefore(err error) bool {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1050, // table already exists
		1060, // duplicate column name
		1061, // duplicate key name
		1826, // duplicate foreign key constraint name
		1022: // duplicate key (a constraint name)
		return true
	}
	return false
}
