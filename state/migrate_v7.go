package state

// Version 7: each tenant's health as serve's probes last judged it, with
// its reasons, its database's size and table count, the base its growth is
// measured from, and the alert episode open for it (so that a restart
// neither fires it again nor forgets to resolve it).
func init() {
	migrations = append(migrations, migration{
		version: 7,
		name:    "tenant health",
		sqlite: []string{`CREATE TABLE tenant_health (
				tenant TEXT PRIMARY KEY,
				status TEXT NOT NULL,
				reasons TEXT NOT NULL DEFAULT '[]',
				reachable INTEGER NOT NULL DEFAULT 0,
				size_bytes INTEGER NULL,
				table_count INTEGER NULL,
				growth_bytes INTEGER NULL,
				size_base_bytes INTEGER NULL,
				size_base_at DATETIME NULL,
				probed_at DATETIME NOT NULL,
				since DATETIME NOT NULL,
				alert_status TEXT NOT NULL DEFAULT '',
				alert_id TEXT NOT NULL DEFAULT '',
				alert_since DATETIME NULL
			)`},
		mysql: []string{`CREATE TABLE tenant_health (
				tenant VARCHAR(63) NOT NULL PRIMARY KEY,
				status VARCHAR(16) NOT NULL,
				reasons MEDIUMTEXT NOT NULL,
				reachable TINYINT NOT NULL DEFAULT 0,
				size_bytes BIGINT NULL,
				table_count INT NULL,
				growth_bytes BIGINT NULL,
				size_base_bytes BIGINT NULL,
				size_base_at DATETIME(6) NULL,
				probed_at DATETIME(6) NOT NULL,
				since DATETIME(6) NOT NULL,
				alert_status VARCHAR(16) NOT NULL DEFAULT '',
				alert_id VARCHAR(64) NOT NULL DEFAULT '',
				alert_since DATETIME(6) NULL
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`},
	})
}
