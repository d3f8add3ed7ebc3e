package state

// Version 5: desired hashes by the key of a desired schema's content and
// its server's version and defaults, so that a revision whose layers did
// not change needs no scratch database to know what its tenants' live
// hash must be.
func init() {
	migrations = append(migrations, migration{
		version: 5,
		name:    "desired hashes",
		sqlite: []string{`CREATE TABLE desired_hashes (
				cache_key TEXT PRIMARY KEY,
				hash TEXT NOT NULL,
				created_at DATETIME NOT NULL
			)`},
		mysql: []string{`CREATE TABLE desired_hashes (
				cache_key CHAR(64) NOT NULL PRIMARY KEY,
				hash CHAR(64) NOT NULL,
				created_at DATETIME(6) NOT NULL,
				KEY desired_hashes_created (created_at)
			) CHARACTER SET ascii COLLATE ascii_bin`},
	})
}
