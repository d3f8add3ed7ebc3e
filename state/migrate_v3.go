package state

// Version 3: what `landlord serve` keeps. Leases make one replica the
// leader and each scheduled run happen once; revisions remember which
// revisions were accepted (the last known good one) and which rejected;
// tenant_retries is the retry state of failed tenants; deliveries record
// every attempt to deliver a notification; runs.replica names the serve
// process that ran a run, so a run left behind by a dead one can be closed.
func init() {
	migrations = append(migrations, migration{
		version: 3,
		name:    "serve: leases, revisions, retries, notification deliveries, run replica",
		sqlite: []string{
			`CREATE TABLE leases (
				name TEXT PRIMARY KEY,
				owner TEXT NOT NULL,
				acquired_at DATETIME NOT NULL,
				renewed_at DATETIME NOT NULL,
				expires_at DATETIME NOT NULL,
				wake_seq INTEGER NOT NULL DEFAULT 0
			)`,
			`CREATE TABLE revisions (
				revision TEXT PRIMARY KEY,
				status TEXT NOT NULL,
				problems INTEGER NOT NULL DEFAULT 0,
				error TEXT NOT NULL DEFAULT '',
				seen_at DATETIME NOT NULL,
				seen_by TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE INDEX revisions_seen ON revisions (status, seen_at)`,
			`CREATE TABLE tenant_retries (
				tenant TEXT PRIMARY KEY,
				revision TEXT NOT NULL,
				attempts INTEGER NOT NULL,
				class TEXT NOT NULL,
				next_at DATETIME NULL,
				last_error TEXT NOT NULL DEFAULT '',
				updated_at DATETIME NOT NULL
			)`,
			`CREATE TABLE deliveries (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				event_id TEXT NOT NULL,
				event_type TEXT NOT NULL,
				webhook TEXT NOT NULL,
				attempt INTEGER NOT NULL,
				status TEXT NOT NULL,
				status_code INTEGER NOT NULL DEFAULT 0,
				error TEXT NOT NULL DEFAULT '',
				duration_ms REAL NOT NULL DEFAULT 0,
				attempted_at DATETIME NOT NULL
			)`,
			`CREATE INDEX deliveries_event ON deliveries (event_id, attempt)`,
			`ALTER TABLE runs ADD COLUMN replica TEXT NOT NULL DEFAULT ''`,
		},
		mysql: []string{
			`CREATE TABLE leases (
				name VARCHAR(190) NOT NULL PRIMARY KEY,
				owner VARCHAR(255) NOT NULL,
				acquired_at DATETIME(6) NOT NULL,
				renewed_at DATETIME(6) NOT NULL,
				expires_at DATETIME(6) NOT NULL,
				wake_seq BIGINT NOT NULL DEFAULT 0
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`CREATE TABLE revisions (
				revision VARCHAR(128) NOT NULL PRIMARY KEY,
				status VARCHAR(20) NOT NULL,
				problems INT NOT NULL DEFAULT 0,
				error MEDIUMTEXT NOT NULL,
				seen_at DATETIME(6) NOT NULL,
				seen_by VARCHAR(255) NOT NULL DEFAULT '',
				KEY revisions_seen (status, seen_at)
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`CREATE TABLE tenant_retries (
				tenant VARCHAR(63) NOT NULL PRIMARY KEY,
				revision VARCHAR(128) NOT NULL,
				attempts INT NOT NULL,
				class VARCHAR(20) NOT NULL,
				next_at DATETIME(6) NULL,
				last_error TEXT NOT NULL,
				updated_at DATETIME(6) NOT NULL
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`CREATE TABLE deliveries (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				event_id VARCHAR(64) NOT NULL,
				event_type VARCHAR(64) NOT NULL,
				webhook VARCHAR(255) NOT NULL,
				attempt INT NOT NULL,
				status VARCHAR(20) NOT NULL,
				status_code INT NOT NULL DEFAULT 0,
				error TEXT NOT NULL,
				duration_ms DOUBLE NOT NULL DEFAULT 0,
				attempted_at DATETIME(6) NOT NULL,
				KEY deliveries_event (event_id, attempt)
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`ALTER TABLE runs ADD COLUMN replica VARCHAR(255) NOT NULL DEFAULT ''`,
		},
	})
}
