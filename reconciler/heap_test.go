package reconciler

import (
	"os"
	"runtime"
	"strconv"
	"testing"
)

// heapAfterGC is the live heap.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// The heap of a long-lived Reconciler (serve's) does not grow with the
// number of runs: nothing a run computes outlives it. make test runs 20
// no-op runs against the heap after 5; LANDLORD_HEAP_RUNS=500 the full
// measure, against the heap after 10.
func TestHeapBoundedOverRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap over many runs: make test runs it, make test-short does not")
	}
	runs, base := 20, 5
	if n, err := strconv.Atoi(os.Getenv("LANDLORD_HEAP_RUNS")); err == nil && n > 10 {
		runs, base = n, 10
	}
	f := newSQLiteFixture(t)
	repo := f.load()
	if res := f.reconcile(Options{}); res.Failed() {
		t.Fatalf("first reconcile: %+v", res.Counts)
	}
	var atBase uint64
	for i := 1; i <= runs; i++ {
		res, err := f.rec.Reconcile(t.Context(), repo, Options{})
		if err != nil || res.Failed() || res.Applied != 0 {
			t.Fatalf("run %d: %v %+v", i, err, res)
		}
		if i == base {
			atBase = heapAfterGC()
		}
	}
	atN := heapAfterGC()
	t.Logf("heap after %d no-op runs %.1f MB, after %d %.1f MB (%.2fx)", base, float64(atBase)/1e6, runs, float64(atN)/1e6, float64(atN)/float64(atBase))
	if atN > 2*atBase {
		t.Errorf("heap after %d runs %d bytes, more than twice the %d after %d", runs, atN, atBase, base)
	}
}
