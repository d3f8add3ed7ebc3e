// Package reconciler makes tenant databases match the desired-state
// repository: for each tenant it observes (inspects the live database),
// computes (composes, compares with the baseline snapshot for drift, and
// plans), decides (no-op, drift left alone or restored per policy, blocked
// destructive change, pinned tenant), acts (creates and applies under the
// tenant's lock), verifies (re-inspects; the live hash must equal the
// desired hash) and records (runs, statements, snapshots, drift, status)
// in the landlord database. Repair and rollback go the same way for one
// tenant; drift checks, exports and manual snapshots only observe.
//
// reconciler is the only package that knows desired, schema and state; it
// owns the small interfaces it consumes from them.
package reconciler
