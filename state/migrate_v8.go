package state

// Version 8: an index that answers PruneSnapshots alone. It reads each
// snapshot's kind and time, which SQLite stores after the snapshot's HCL:
// without it, every snapshot of the tenant was read through its overflow
// pages (tens of KB each), a millisecond a tenant on each change.
func init() {
	migrations = append(migrations, migration{
		version: 8,
		name:    "snapshot pruning index",
		sqlite:  []string{`CREATE INDEX snapshots_prune ON snapshots (tenant, id, kind, created_at)`},
		mysql:   []string{`CREATE INDEX snapshots_prune ON snapshots (tenant, id, kind, created_at)`},
	})
}
