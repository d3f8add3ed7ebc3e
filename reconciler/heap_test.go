package reconciler

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"testing"
)

// aloneEnv names the test a process of its own runs (alone).
const aloneEnv = "LANDLORD_TEST_ALONE"

// alone runs the calling test in a process of its own, so that what it
// measures of the heap is its own while the package's other tests run in
// parallel here. It returns true in that process, where the caller goes
// on with its body; here it waits for the process, fails or skips as it
// did, and returns false.
func alone(t *testing.T) bool {
	t.Helper()
	if os.Getenv(aloneEnv) == t.Name() {
		return true
	}
	t.Parallel()
	args := []string{"-test.run=^" + regexp.QuoteMeta(t.Name()) + "$", "-test.count=1", "-test.v", "-test.timeout=30m"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), aloneEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Fatalf("%s in a process of its own: %v\n%s", t.Name(), err, out)
	case bytes.Contains(out, []byte("--- SKIP: "+t.Name()+" ")):
		t.Skipf("skipped in a process of its own:\n%s", out)
	case !bytes.Contains(out, []byte("--- PASS: "+t.Name()+" ")):
		t.Fatalf("%s did not run in a process of its own:\n%s", t.Name(), out)
	}
	t.Logf("in a process of its own:\n%s", out)
	return false
}

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
	if !alone(t) {
		return
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
