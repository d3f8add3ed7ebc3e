package state

// Version 5: desired hashes by the key of a desired schema's content and
// its server's version and defaults, so that a revision whose layers did
// not change needs no scratch database to know what its tenants' live
// hash must be; and each tenant's live fingerprint at its last clean,
// verified reconcile, with the basis it was verified on (the desired hash
// and the settings that decide a no-op), so that a tenant whose
// fingerprint and basis did not move needs no inspection.
func init() {
	migrations = append(migrations, migration{
		version: 6,
		name:    "desired hashes, tenant fingerprints",
		sqlite: []string{`CREATE TABLE desired_hashes (
				cache_key TEXT PRIMARY KEY,
				hash TEXT NOT NULL,
				created_at DATETIME NOT NULL
			)`, `CREATE TABLE tenant_fingerprints (
				tenant TEXT PRIMARY KEY,
				fingerprint TEXT NOT NULL,
				basis TEXT NOT NULL,
				recorded_at DATETIME NOT NULL
			)`},
		mysql: []string{`CREATE TABLE desired_hashes (
				cache_key CHAR(64) NOT NULL PRIMARY KEY,
				hash CHAR(64) NOT NULL,
				created_at DATETIME(6) NOT NULL,
				KEY desired_hashes_created (created_at)
			) CHARACTER SET ascii COLLATE ascii_bin`, `CREATE TABLE tenant_fingerprints (
				tenant VARCHAR(63) NOT NULL PRIMARY KEY,
				fingerprint CHAR(64) NOT NULL,
				basis CHAR(64) NOT NULL,
				recorded_at DATETIME(6) NOT NULL
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`},
	})
}
