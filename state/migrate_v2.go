package state

// Version 2: drift records, pins, snapshot kinds and engines, the template
// version of a tenant and the pinned count of a run.
//
// drift holds one row per drifted object of a tenant and sighting period:
// open_key is set (kind, table, name and change) while the drift is open and
// NULL once resolved, so the unique index keeps one open row per object
// while resolved rows accumulate as history. NULLs never collide in a unique
// index on either engine.
func init() {
	migrations = append(migrations, migration{
		version: 2,
		name:    "drift, pins, snapshot kinds",
		sqlite: []string{
			`ALTER TABLE snapshots ADD COLUMN kind TEXT NOT NULL DEFAULT 'applied'`,
			`ALTER TABLE snapshots ADD COLUMN engine TEXT NOT NULL DEFAULT ''`,
			`CREATE INDEX snapshots_tenant_kind ON snapshots (tenant, kind, id)`,
			`ALTER TABLE tenants ADD COLUMN template_version TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0`,
			`CREATE TABLE drift (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				tenant TEXT NOT NULL,
				kind TEXT NOT NULL,
				table_name TEXT NOT NULL DEFAULT '',
				object_name TEXT NOT NULL DEFAULT '',
				change_kind TEXT NOT NULL,
				severity TEXT NOT NULL,
				detail TEXT NOT NULL DEFAULT '',
				first_seen DATETIME NOT NULL,
				last_seen DATETIME NOT NULL,
				resolved_at DATETIME NULL,
				resolved_run_id INTEGER NULL,
				open_key TEXT NULL
			)`,
			`CREATE UNIQUE INDEX drift_open ON drift (tenant, open_key)`,
			`CREATE INDEX drift_tenant ON drift (tenant, id)`,
			`CREATE TABLE pins (
				tenant TEXT PRIMARY KEY,
				revision TEXT NOT NULL DEFAULT '',
				source_run_id INTEGER NULL,
				snapshot_id INTEGER NULL,
				run_id INTEGER NULL,
				actor TEXT NOT NULL DEFAULT '',
				pinned_at DATETIME NOT NULL
			)`,
		},
		mysql: []string{
			`ALTER TABLE snapshots ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'applied', ADD COLUMN engine VARCHAR(16) NOT NULL DEFAULT '',
				ADD KEY snapshots_tenant_kind (tenant, kind, id)`,
			`ALTER TABLE tenants ADD COLUMN template_version VARCHAR(64) NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN pinned INT NOT NULL DEFAULT 0`,
			`CREATE TABLE drift (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				tenant VARCHAR(63) NOT NULL,
				kind VARCHAR(16) NOT NULL,
				table_name VARCHAR(64) NOT NULL DEFAULT '',
				object_name VARCHAR(64) NOT NULL DEFAULT '',
				change_kind VARCHAR(16) NOT NULL,
				severity VARCHAR(8) NOT NULL,
				detail TEXT NOT NULL,
				first_seen DATETIME(6) NOT NULL,
				last_seen DATETIME(6) NOT NULL,
				resolved_at DATETIME(6) NULL,
				resolved_run_id BIGINT NULL,
				open_key VARCHAR(200) NULL,
				UNIQUE KEY drift_open (tenant, open_key),
				KEY drift_tenant (tenant, id)
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`CREATE TABLE pins (
				tenant VARCHAR(63) NOT NULL PRIMARY KEY,
				revision VARCHAR(128) NOT NULL DEFAULT '',
				source_run_id BIGINT NULL,
				snapshot_id BIGINT NULL,
				run_id BIGINT NULL,
				actor VARCHAR(255) NOT NULL DEFAULT '',
				pinned_at DATETIME(6) NOT NULL
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
		},
	})
}
