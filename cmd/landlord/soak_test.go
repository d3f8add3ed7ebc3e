//go:build soak

package main

import (
	"testing"
	"time"
)

// TestSoak is the long version of TestServeReplicas: two replicas on one
// MariaDB landlord database over 50 tenants for 5 minutes, a push every
// 30 s (a webhook to a random replica each time), the leader restarted
// halfway. Too long for `make test`: `make soak` runs it.
func TestSoak(t *testing.T) {
	runSoak(t, soak{replicas: 2, tenants: 50, duration: 5 * time.Minute, pushEvery: 30 * time.Second, poll: 10 * time.Second})
}
