package memlimit

import (
	"runtime/debug"
	"testing"
)

// TestFit: the limit is the floor for a small fleet, grows with the
// tenants beyond it, is never lowered, and is what the runtime applies.
func TestFit(t *testing.T) {
	if fixed {
		t.Skip("GOMEMLIMIT is set in the environment: landlord keeps it")
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for tenants, want := range map[int]int64{0: 80 << 20, 1000: 80 << 20, 10000: 24<<20 + 10000*6<<10, 100000: 24<<20 + 100000*6<<10} {
		if got := For(tenants); got != want {
			t.Errorf("For(%d) = %d, want %d", tenants, got, want)
		}
	}
	if got := Fit(10); got != 80<<20 || debug.SetMemoryLimit(-1) != 80<<20 {
		t.Errorf("Fit(10) = %d, runtime limit %d; want %d", got, debug.SetMemoryLimit(-1), 80<<20)
	}
	big := For(50000)
	if got := Fit(50000); got != big || debug.SetMemoryLimit(-1) != big {
		t.Errorf("Fit(50000) = %d, runtime limit %d; want %d", got, debug.SetMemoryLimit(-1), big)
	}
	if got := Fit(10); got != big {
		t.Errorf("Fit(10) after Fit(50000) lowered the limit to %d", got)
	}
}
