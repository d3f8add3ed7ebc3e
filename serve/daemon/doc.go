// Package daemon is the loop of landlord serve: it polls the desired-state
// repository, validates each new revision (a rejected one is applied
// nowhere; the last good one stays in force), reconciles the tenants whose
// desired schema changed, reconciles all of them on a cron schedule,
// retries failed tenants with backoff and jitter, and, with several
// replicas on one MySQL/MariaDB landlord database, leaves the scheduled
// work to the one replica that holds the leader lease.
//
// One goroutine, Run's, decides and dispatches; every run goes through it,
// so triggers that arrive during a run coalesce into one. On shutdown it
// stops dispatching and gives the run in flight a grace period.
//
// daemon sits above reconciler: it imports desired, schema (validation),
// state and reconciler; none of them imports it.
package daemon
