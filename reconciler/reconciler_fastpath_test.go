package reconciler

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFastPath: after a clean, verified no-op the tenants' fingerprints are
// recorded; the next drift check and reconcile find an unchanged tenant
// clean and unchanged without locking it (they finish while another
// session holds its lock), and a tenant changed by hand has its drift
// found as before. Tenants that declare reference data always take the
// full path (TestFastPathNotForData): this fixture's layers declare none.
func TestFastPath(t *testing.T) {
	f := newMariaFixture(t)
	for _, dir := range []string{"basic", "templates/political-party"} {
		if err := os.RemoveAll(filepath.Join(f.repo, "layers", dir, "data")); err != nil {
			t.Fatal(err)
		}
	}
	first := f.reconcile(Options{})
	if first.Counts.Created == 0 {
		t.Fatalf("nothing created: %+v", first.Counts)
	}
	// The fingerprints are recorded by the run that created the tenants
	// (read after the apply and again after the verify): the next run
	// finds them unchanged without inspecting them.
	fps, err := f.store.TenantFingerprints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fps) != first.Counts.Created {
		t.Fatalf("%d fingerprints recorded for %d tenants created", len(fps), first.Counts.Created)
	}
	second := f.reconcile(Options{})
	if second.Counts.Unchanged != first.Counts.Created {
		t.Fatalf("second run: %+v", second.Counts)
	}
	for _, tr := range second.Tenants {
		if tr.Action == ActionNoop && !tr.fast {
			t.Errorf("%s: inspected again right after its creation", tr.Slug)
		}
	}

	ctx := context.Background()
	conn, err := f.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got int
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", "landlord:"+f.database("nepali-congress")).Scan(&got); err != nil || got != 1 {
		t.Fatalf("take the tenant's lock: %v %d", err, got)
	}
	defer conn.ExecContext(ctx, "SELECT RELEASE_LOCK(?)", "landlord:"+f.database("nepali-congress"))
	if _, err := f.db.Exec("ALTER TABLE `" + f.database("cpn-uml") + "`.users ADD INDEX by_hand (phone)"); err != nil {
		t.Fatal(err)
	}

	// drift takes the fast path too: the locked, unchanged tenant is clean
	// against its baseline, the changed one has drift.
	dr, err := f.rec.Drift(ctx, f.load(), DriftOptions{LockWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range dr.Tenants {
		switch td.Slug {
		case "nepali-congress":
			if td.Status != DriftClean || td.Baseline == nil {
				t.Errorf("drift of %s (locked elsewhere, unchanged): %s %s", td.Slug, td.Status, td.Error)
			}
		case "cpn-uml":
			if td.Status != DriftFound {
				t.Errorf("drift of %s: %s %s, want the index added by hand", td.Slug, td.Status, td.Error)
			}
		}
	}

	third := f.reconcile(Options{LockWait: time.Second})
	for _, tr := range third.Tenants {
		switch tr.Slug {
		case "nepali-congress":
			if tr.Action != ActionNoop || !tr.fast {
				t.Errorf("%s (locked elsewhere, unchanged): %s %s, by fingerprint: %v", tr.Slug, tr.Action, tr.Error, tr.fast)
			}
		case "cpn-uml":
			if len(tr.Drift) == 0 {
				t.Errorf("%s: the index added by hand is no drift (%s %s)", tr.Slug, tr.Action, tr.Error)
			}
		}
	}
	// The no-ops by fingerprint are recorded as every tenant's outcome,
	// in one transaction at the end of the run.
	runID := third.RunID
	rec, ok, err := f.store.Tenant(ctx, "nepali-congress")
	if err != nil || !ok || rec.LastRunID != runID {
		t.Errorf("the unchanged tenant's record names run %d, want %d (%v)", rec.LastRunID, runID, err)
	}
	trs, err := f.store.TenantRuns(ctx, "", runID, 100)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]string{}
	for _, tr := range trs {
		recorded[tr.Tenant] = tr.Action
	}
	for _, tr := range third.Tenants {
		if recorded[tr.Slug] != string(tr.Action) {
			t.Errorf("run %d recorded %q for %s, want %q", runID, recorded[tr.Slug], tr.Slug, tr.Action)
		}
	}
}

// TestFastPathNotForData: a tenant whose layers declare reference data is
// inspected every time, however still its catalog: a declared row deleted
// out of band moves no fingerprint, and drift still finds it.
func TestFastPathNotForData(t *testing.T) {
	f := newMariaFixture(t)
	f.reconcile(Options{})
	f.reconcile(Options{})
	if _, err := f.db.Exec("UPDATE `" + f.database("cpn-uml") + "`.provinces SET capital = 'Dharan' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	res, err := f.rec.Drift(context.Background(), f.load(), DriftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range res.Tenants {
		if td.Slug == "cpn-uml" && len(td.Drift) == 0 {
			t.Errorf("cpn-uml: a declared row changed out of band is not drift: %+v", td)
		}
	}
}
