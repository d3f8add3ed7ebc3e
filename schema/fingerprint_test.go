package schema

import (
	"context"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// TestFingerprintMovesWithEveryChange: the bulk fingerprint of a tenant
// moves with every kind of out-of-band change that drift reports (the
// changes of TestHashMovesWithEveryChange, one after another), and only
// the changed tenant's; rows and AUTO_INCREMENT counters move nothing. A
// fingerprint that stayed put would let a changed tenant skip inspection:
// drift would have a blind spot.
func TestFingerprintMovesWithEveryChange(t *testing.T) {
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	prefix := testenv.Name(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	d := composeFixture(t, fixtureHCL)
	tenant, other := prefix+"t", prefix+"u"
	reconcileFresh(t, srv, tenant, d)
	reconcileFresh(t, srv, other, d)
	// One by one in the loop (fast on a server of many schemas), in
	// bulk too at the start and the end: both read the same.
	fingerprints := func(bulk ...bool) (string, string) {
		t.Helper()
		fp, err := srv.fingerprints(ctx, []string{tenant, other, prefix + "missing"}, len(bulk) > 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := fp[prefix+"missing"]; ok || len(fp) != 2 {
			t.Fatalf("fingerprints of %d databases, want the 2 that exist", len(fp))
		}
		return fp[tenant], fp[other]
	}
	exec := func(st string) {
		t.Helper()
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	first, otherFirst := fingerprints()
	if again, otherAgain := fingerprints(true); again != first || otherAgain != otherFirst {
		t.Fatalf("the fingerprints read in bulk differ from those read one by one")
	}
	q := func(table string) string { return quoteIdent(tenant) + "." + quoteIdent(table) }
	exec("INSERT INTO " + q("fx_opts") + " (id, u, n) VALUES (1, 'a', 1), (2, 'b', 2)")
	exec("INSERT INTO " + q("fx_types") + " (flag) VALUES (1), (0)")
	exec("ALTER TABLE " + q("fx_types") + " AUTO_INCREMENT = 1000")
	if fp, _ := fingerprints(); fp != first {
		t.Fatalf("rows and an AUTO_INCREMENT counter moved the fingerprint")
	}
	exec("DELETE FROM " + q("fx_opts"))

	prev := first
	for _, st := range outOfBandChanges(tenant) {
		exec(st)
		fp, otherFP := fingerprints()
		if fp == prev {
			t.Errorf("%s: the fingerprint did not move", st)
		}
		if otherFP != otherFirst {
			t.Fatalf("%s: moved the fingerprint of another tenant", st)
		}
		prev = fp
	}
	if fp, otherFP := fingerprints(true); fp != prev || otherFP != otherFirst {
		t.Errorf("the fingerprints read in bulk differ from those read one by one")
	}
}
