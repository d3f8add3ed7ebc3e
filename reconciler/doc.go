// Package reconciler makes tenant databases match the desired-state
// repository: for each tenant it observes (inspects the live database),
// computes (composes and plans), decides (no-op, blocked destructive
// change), acts (creates and applies under the tenant's lock), verifies
// (re-inspects; the live hash must equal the desired hash) and records
// (runs, statements, snapshots, status) in the landlord database.
//
// reconciler is the only package that knows desired, schema and state; it
// owns the small interfaces it consumes from them.
package reconciler
