package state

// Version 9: a snapshot's text (its HCL and the tables' DDL) is kept once
// in snapshot_texts, by the SHA-256 of its content, and snapshots name it
// in text_digest. Tenants of one schema record the same text on every
// change (tens of KB each): a fleet of 10,000 tenants kept 10,000 copies
// of it per change, up to the retention. refs counts the snapshots that
// name a text; pruning deletes it with the last. Snapshots recorded before
// keep their text in their own row (text_digest NULL).
func init() {
	migrations = append(migrations, migration{
		version: 9,
		name:    "snapshot texts kept once",
		sqlite: []string{
			`CREATE TABLE snapshot_texts (
				digest TEXT PRIMARY KEY,
				refs INTEGER NOT NULL,
				hcl TEXT NOT NULL,
				ddl TEXT NOT NULL DEFAULT ''
			)`,
			`ALTER TABLE snapshots ADD COLUMN text_digest TEXT NULL`,
			`CREATE INDEX snapshots_text ON snapshots (text_digest)`,
		},
		mysql: []string{
			`CREATE TABLE snapshot_texts (
				digest CHAR(64) NOT NULL PRIMARY KEY,
				refs BIGINT NOT NULL,
				hcl MEDIUMTEXT NOT NULL,
				ddl MEDIUMTEXT NULL
			) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
			`ALTER TABLE snapshots ADD COLUMN text_digest CHAR(64) NULL, ADD KEY snapshots_text (text_digest)`,
		},
	})
}
