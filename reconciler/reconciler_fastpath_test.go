package reconciler

import (
	"context"
	"testing"
	"time"
)

// TestFastPath: after a clean, verified no-op the tenants' fingerprints are
// recorded; the next reconcile finds an unchanged tenant unchanged without
// locking it (it finishes while another session holds its lock), and a
// tenant changed by hand has its drift found as before.
func TestFastPath(t *testing.T) {
	f := newMariaFixture(t)
	first := f.reconcile(Options{})
	if first.Counts.Created == 0 {
		t.Fatalf("nothing created: %+v", first.Counts)
	}
	second := f.reconcile(Options{})
	if second.Counts.Unchanged != first.Counts.Created {
		t.Fatalf("second run: %+v", second.Counts)
	}
	fps, err := f.store.TenantFingerprints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fps) != first.Counts.Created {
		t.Fatalf("%d fingerprints recorded for %d tenants", len(fps), first.Counts.Created)
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

	third := f.reconcile(Options{LockWait: time.Second})
	for _, tr := range third.Tenants {
		switch tr.Slug {
		case "nepali-congress":
			if tr.Action != ActionNoop {
				t.Errorf("%s (locked elsewhere, unchanged): %s %s", tr.Slug, tr.Action, tr.Error)
			}
		case "cpn-uml":
			if len(tr.Drift) == 0 {
				t.Errorf("%s: the index added by hand is no drift (%s %s)", tr.Slug, tr.Action, tr.Error)
			}
		}
	}
}
