package reconciler

import (
	"context"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// testDatabases lists the fixture's databases on the server.
func (f *fixture) testDatabases() []string {
	f.t.Helper()
	rows, err := f.db.Query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", strings.ReplaceAll(f.prefix, "_", `\_`)+"%")
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return names
}

// TestBadManifestsTouchNoDatabase: a broken landlord.yaml stops the whole
// reconcile with file:line errors before any database is touched; a broken
// tenant manifest fails that tenant only, and no database is touched for it.
func TestBadManifestsTouchNoDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)

	testenv.Replace(t, f.repo, "landlord.yaml", "    concurrency: 4", "    concurrency: 4\n    poolSize: 2")
	_, err := f.rec.Reconcile(ctx, f.load(), Options{})
	if err == nil || !strings.Contains(err.Error(), "landlord.yaml:") || !strings.Contains(err.Error(), `unknown field "poolSize"`) {
		t.Fatalf("reconcile with a bad landlord.yaml: %v", err)
	}
	if dbs := f.testDatabases(); len(dbs) > 0 {
		t.Fatalf("databases created despite a bad landlord.yaml: %v", dbs)
	}
	if runs, _ := f.store.Runs(ctx, 10); len(runs) != 0 {
		t.Fatalf("a run was recorded for a bad repository: %+v", runs)
	}
	testenv.Replace(t, f.repo, "landlord.yaml", "\n    poolSize: 2", "")

	testenv.Replace(t, f.repo, "tenants/cpn-uml.yaml", "template: political-party", "template: political-party\ntempalte: x")
	res := f.reconcile(Options{})
	got := byslug(res)
	if got["cpn-uml"].Action != ActionError || !strings.Contains(got["cpn-uml"].Error, "tenants/cpn-uml.yaml:5:1: tempalte: unknown field") {
		t.Errorf("cpn-uml: %s %q", got["cpn-uml"].Action, got["cpn-uml"].Error)
	}
	if f.exists("cpn-uml") {
		t.Error("a database was created for a tenant with a bad manifest")
	}
	if got["nepali-congress"].Action != ActionCreate || got["rastriya-swatantra"].Action != ActionCreate {
		t.Errorf("the other tenants: %+v", res.Counts)
	}
}

// TestHostileNames: names that would break out of an identifier are refused
// with file:line, nothing is created for them and they are never recorded.
func TestHostileNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)
	long := strings.Repeat("x", 65)
	testenv.WriteFile(t, f.repo, "tenants/acme.yaml", "slug: 'acme; DROP DATABASE x'\ntemplate: political-party\n")
	testenv.WriteFile(t, f.repo, "tenants/tick.yaml", "slug: tick\ntemplate: political-party\ndatabase: 'tick`; DROP DATABASE mysql; -- '\n")
	testenv.WriteFile(t, f.repo, "tenants/long.yaml", "slug: long\ntemplate: political-party\ndatabase: "+long+"\n")
	res := f.reconcile(Options{})
	got := byslug(res)
	for slug, want := range map[string]string{
		"acme; DROP DATABASE x": "tenants/acme.yaml:1:7: slug: invalid slug",
		"tick":                  "tenants/tick.yaml:3:11: database: invalid database name",
		"long":                  "tenants/long.yaml:3:11: database: invalid database name",
	} {
		if got[slug].Action != ActionError || !strings.Contains(got[slug].Error, want) {
			t.Errorf("%s: %s %q, want an error with %q", slug, got[slug].Action, got[slug].Error, want)
		}
	}
	if res.Counts.Created != 3 || res.Counts.Failed != 3 {
		t.Errorf("counts %+v: want the 3 example tenants created and the 3 hostile ones failed", res.Counts)
	}
	var n int
	if err := f.db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('mysql', 'x')").Scan(&n); err != nil || n != 1 {
		t.Errorf("system databases: %d, %v", n, err)
	}
	for _, db := range f.testDatabases() {
		if strings.ContainsAny(db, "`; ") || strings.Contains(db, long) {
			t.Errorf("hostile database created: %q", db)
		}
	}
	recs, err := f.store.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.Contains(r.Slug, ";") {
			t.Errorf("hostile slug recorded: %q", r.Slug)
		}
	}
}
