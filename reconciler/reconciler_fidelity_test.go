package reconciler

import (
	"context"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// TestDriftSeesWhatAtlasDoesNot: changes Atlas's model has no place for
// (a display width, a table option) are drift, each with its attribute and both values; under
// policy report a reconcile leaves them, and repair restores them and
// verifies.
func TestDriftSeesWhatAtlasDoesNot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)
	only := Options{Tenants: []string{"cpn-uml"}}
	if res := f.reconcile(only); res.Failed() {
		t.Fatalf("provision: %+v", res.Tenants)
	}
	db := testenv.DB(t)
	q := "`" + f.database("cpn-uml") + "`.`members`"
	for _, st := range []string{
		"ALTER TABLE " + q + " ROW_FORMAT=COMPRESSED",
		"ALTER TABLE " + q + " MODIFY COLUMN `id` bigint(19) unsigned NOT NULL AUTO_INCREMENT",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	res, err := f.rec.Drift(ctx, f.load(), DriftOptions{Tenants: []string{"cpn-uml"}})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, d := range res.Tenants[0].Drift {
		details = append(details, d.Object+": "+d.Detail)
	}
	got := strings.Join(details, "\n")
	for _, want := range []string{"members: ROW_FORMAT (none) → COMPRESSED", "members.id: type bigint(20) unsigned → bigint(19) unsigned"} {
		if !strings.Contains(got, want) {
			t.Errorf("drift lacks %q; got:\n%s", want, got)
		}
	}
	// Under policy report a reconcile leaves the drift, and the tenant
	// is OutOfSync; repair restores it.
	if res := f.reconcile(only); res.Failed() || len(res.Tenants[0].Changes) != 0 {
		t.Fatalf("reconcile under policy report: %+v", res.Tenants)
	}
	repair, err := f.rec.Repair(ctx, f.load(), TenantOptions{Tenant: "cpn-uml"})
	if err != nil {
		t.Fatal(err)
	}
	if repair.Failed() {
		t.Fatalf("repair: %+v", repair.Tenants)
	}
	res, err = f.rec.Drift(ctx, f.load(), DriftOptions{Tenants: []string{"cpn-uml"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Tenants[0].Drift); n != 0 {
		t.Errorf("after repair, %d drift finding(s): %+v", n, res.Tenants[0].Drift)
	}
}
