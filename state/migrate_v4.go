package state

// Version 4: snapshots keep the tables' DDL (SHOW CREATE TABLE, parsed, as
// JSON) beside their HCL, so drift sees what Atlas's model has no place
// for: display widths, zerofill, table options, partitioning, invisible
// columns, ignored indexes. Empty for SQLite and for older snapshots.
func init() {
	migrations = append(migrations, migration{
		version: 4,
		name:    "snapshot ddl",
		sqlite:  []string{`ALTER TABLE snapshots ADD COLUMN ddl TEXT NOT NULL DEFAULT ''`},
		mysql:   []string{`ALTER TABLE snapshots ADD COLUMN ddl MEDIUMTEXT NULL`},
	})
}
