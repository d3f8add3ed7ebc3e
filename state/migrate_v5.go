package state

// Version 5: backups of tenant databases, the backup that holds what a
// destructive statement destroyed, and decommissioned tenants' retention
// holds. A backup row is written as running
// before the backup starts and finished as complete or failed; one left
// running was interrupted (its storage has no manifest, so it is never
// restored).
func init() {
	migrations = append(migrations, migration{
		version: 5,
		name:    "backups, decommissions",
		sqlite: []string{
			`CREATE TABLE backups (
				id TEXT PRIMARY KEY,
				tenant TEXT NOT NULL,
				database_name TEXT NOT NULL DEFAULT '',
				kind TEXT NOT NULL,
				status TEXT NOT NULL,
				engine TEXT NOT NULL DEFAULT '',
				revision TEXT NOT NULL DEFAULT '',
				schema_hash TEXT NOT NULL DEFAULT '',
				location TEXT NOT NULL DEFAULT '',
				tables_list TEXT NOT NULL DEFAULT '',
				row_count INTEGER NOT NULL DEFAULT 0,
				raw_bytes INTEGER NOT NULL DEFAULT 0,
				stored_bytes INTEGER NOT NULL DEFAULT 0,
				run_id INTEGER NULL,
				started_at DATETIME NOT NULL,
				finished_at DATETIME NULL,
				error TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE INDEX backups_tenant ON backups (tenant, started_at)`,
			`ALTER TABLE statements ADD COLUMN backup_id TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE decommissions (
				tenant TEXT PRIMARY KEY,
				database_name TEXT NOT NULL DEFAULT '',
				final_backup TEXT NOT NULL DEFAULT '',
				drop_at DATETIME NOT NULL,
				dropped_at DATETIME NULL,
				updated_at DATETIME NOT NULL
			)`,
		},
		mysql: []string{
			`CREATE TABLE backups (
				id VARCHAR(128) NOT NULL PRIMARY KEY,
				tenant VARCHAR(63) NOT NULL,
				database_name VARCHAR(64) NOT NULL DEFAULT '',
				kind VARCHAR(20) NOT NULL,
				status VARCHAR(20) NOT NULL,
				engine VARCHAR(20) NOT NULL DEFAULT '',
				revision VARCHAR(128) NOT NULL DEFAULT '',
				schema_hash CHAR(64) NOT NULL DEFAULT '',
				location VARCHAR(1024) NOT NULL DEFAULT '',
				tables_list TEXT NOT NULL,
				row_count BIGINT NOT NULL DEFAULT 0,
				raw_bytes BIGINT NOT NULL DEFAULT 0,
				stored_bytes BIGINT NOT NULL DEFAULT 0,
				run_id BIGINT NULL,
				started_at DATETIME(6) NOT NULL,
				finished_at DATETIME(6) NULL,
				error TEXT NOT NULL,
				KEY backups_tenant (tenant, started_at)
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`ALTER TABLE statements ADD COLUMN backup_id VARCHAR(128) NOT NULL DEFAULT ''`,
			`CREATE TABLE decommissions (
				tenant VARCHAR(63) NOT NULL PRIMARY KEY,
				database_name VARCHAR(64) NOT NULL DEFAULT '',
				final_backup VARCHAR(128) NOT NULL DEFAULT '',
				drop_at DATETIME(6) NOT NULL,
				dropped_at DATETIME(6) NULL,
				updated_at DATETIME(6) NOT NULL
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
		},
	})
}
