// Package memlimit sets the Go runtime's soft memory limit from the size of
// the fleet landlord works on, unless GOMEMLIMIT sets it.
//
// Without a limit the heap of a reconcile grows to twice what it keeps
// live between collections, and a run over 10,000 tenants peaked at 155-
// 177 MB of RSS; under the limit the collector runs earlier instead (133
// MB, in the same time). The limit grows with the tenants (the live heap
// does, by about 3.5 KiB a tenant), so that a larger fleet never makes the
// collector run without end: it is a soft limit, never a failure.
package memlimit

import (
	"os"
	"runtime/debug"
	"sync"
)

const (
	// floor is the limit of a small fleet.
	floor = 80 << 20
	// base and perTenant make the limit of a large one: about 1.6 times
	// the live heap at any size.
	base      = 24 << 20
	perTenant = 6 << 10
)

var (
	mu      sync.Mutex
	current int64
	// fixed is set when GOMEMLIMIT gives the limit: landlord keeps it.
	fixed = os.Getenv("GOMEMLIMIT") != ""
)

// For returns the soft memory limit for a fleet of tenants.
func For(tenants int) int64 {
	return max(floor, base+perTenant*int64(tenants))
}

// Fit sets the soft memory limit for a fleet of tenants, unless GOMEMLIMIT
// sets it; it only ever raises the limit (serve keeps that of the largest
// revision it read). It returns the limit in force.
func Fit(tenants int) int64 {
	if fixed {
		return debug.SetMemoryLimit(-1)
	}
	mu.Lock()
	defer mu.Unlock()
	if l := For(tenants); l > current {
		debug.SetMemoryLimit(l)
		current = l
	}
	return current
}
