package reconciler

import (
	"strings"
	"testing"
)

// TestDesiredHashCached: desired hashes are kept in the landlord database
// per layer set; the next process reconciling an unchanged revision takes
// them from there (no scratch database) and finds every tenant unchanged.
func TestDesiredHashCached(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	first := f.reconcile(Options{})
	if first.Counts.Created == 0 {
		t.Fatalf("nothing created: %+v", first.Counts)
	}
	var rows int
	if err := f.store.DB().QueryRow("SELECT COUNT(*) FROM desired_hashes").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != first.Composed {
		t.Fatalf("%d desired hashes kept for %d desired schemas", rows, first.Composed)
	}

	// A new process: its servers know no desired schema yet.
	f.rec.Close()
	f.rec = New(f.store, nil)
	second := f.reconcile(Options{})
	if second.Counts.Unchanged != first.Counts.Created || second.Applied != 0 {
		t.Fatalf("second run: %+v, %d applied", second.Counts, second.Applied)
	}

	// The next one reads the hash from the landlord database: a hash
	// changed there is the one it compares with.
	marker := strings.Repeat("f", 64)
	if _, err := f.store.DB().Exec("UPDATE desired_hashes SET hash = ?", marker); err != nil {
		t.Fatal(err)
	}
	f.rec.Close()
	f.rec = New(f.store, nil)
	third := f.reconcile(Options{})
	n := 0
	for _, tr := range third.Tenants {
		if tr.DesiredHash == "" {
			continue
		}
		n++
		if tr.DesiredHash != marker {
			t.Errorf("%s: desired hash %.12s, not the kept one (%s %s)", tr.Slug, tr.DesiredHash, tr.Action, tr.Error)
		}
	}
	if n != first.Counts.Created {
		t.Errorf("%d tenants with a desired hash, want %d", n, first.Counts.Created)
	}
}
