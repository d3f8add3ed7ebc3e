// Package backup takes and restores logical backups of tenant databases.
//
// A MySQL or MariaDB backup is landlord's own streaming dump: one
// consistent-snapshot transaction (no global lock; the tenant keeps
// serving), every table read row by row and written as INSERT statements of
// bounded size, compressed with zstd, so memory stays bounded whatever the
// size of a table. An SQLite backup is the file copied with VACUUM INTO,
// then compressed. Every backup has a manifest (tenant, database, revision,
// schema hash, per-table row counts and checksums, sizes, start and end,
// engine, server version) that is written last: a backup whose manifest is
// missing was interrupted and is never usable.
//
// Backups live in a gocloud.dev/blob bucket: a local directory by default,
// or s3://, gs://, azblob:// with credentials from the environment.
//
// backup knows nothing of Atlas, git or the landlord database: callers pass
// the schema hash and record the backups. It must not import desired,
// schema, state or reconciler.
package backup
