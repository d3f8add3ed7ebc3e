// Package metrics holds the Prometheus metrics of landlord serve, in a
// registry of their own, and serves them at /metrics.
//
// Tenant counts by sync and health (and open drift, when a source for it
// is wired) are read from the landlord database at scrape time, so every
// replica reports the same figures. The rest are counted by the process
// that did the work.
//
// metrics imports state only for the records it counts.
package metrics
