package reconciler

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// sqliteTenant opens the SQLite file of a tenant of an SQLite fixture.
func (f *fixture) sqliteTenant(database string) *sql.DB {
	f.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(strings.TrimPrefix(f.server, "sqlite://"), database+".db"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db
}

func objects(ds []state.Drift) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Kind+" "+d.Object+" "+d.Change+" "+string(d.Severity))
	}
	return out
}

// TestDriftSQLite: on the embedded engine, drift is found and recorded,
// comparison.ignoreTables/ignoreColumns hide objects from detection and
// from every plan, policy report leaves drift alone (and refuses a change
// that SQLite would make by rebuilding a table, losing it), and policy heal
// restores it.
func TestDriftSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSQLiteFixture(t)
	testenv.WriteFile(t, f.repo, "landlord.yaml", readRepoFile(t, f.repo, "landlord.yaml")+`
comparison:
  ignoreTables: ["tmp_*"]
  ignoreColumns: ["legacy_*", "members.note"]
`)
	only := Options{Tenants: []string{"cpn-uml"}}
	if res := f.reconcile(only); res.Failed() {
		t.Fatalf("provision: %+v", res.Tenants)
	}
	db := f.sqliteTenant("cpn_uml")
	for _, q := range []string{
		"ALTER TABLE members ADD COLUMN nickname varchar(40)",
		"CREATE INDEX members_nickname_idx ON members (nickname)",
		"CREATE TABLE scratch (id integer PRIMARY KEY)",
		"CREATE TABLE tmp_cache (id integer PRIMARY KEY)",
		"ALTER TABLE members ADD COLUMN legacy_code text",
		"ALTER TABLE members ADD COLUMN note text",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	res, err := f.rec.Drift(ctx, f.load(), DriftOptions{Tenants: []string{"cpn-uml"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"column members.nickname added medium",
		"index members.members_nickname_idx added low",
		"table scratch added medium",
	}
	if d := cmp.Diff(objects(res.Tenants[0].Drift), want); d != "" || !res.Found() {
		t.Fatalf("drift (-got +want):\n%s", d)
	}

	// Report: nothing to do, even with destructive changes allowed.
	rep := byslug(f.reconcile(Options{Tenants: []string{"cpn-uml"}, AllowDestructive: true}))["cpn-uml"]
	if rep.Action != ActionNoop || len(rep.Drift) != 3 || rep.Drift[0].Action != DriftLeft {
		t.Fatalf("report: %s %+v %+v", rep.Action, rep.Changes, rep.Drift)
	}

	// A change SQLite makes by rebuilding members would lose the drift
	// left alone and the ignored columns: it is destructive, so blocked.
	testenv.Replace(t, f.repo, "layers/templates/political-party/membership.hcl", `  column "full_name_ne" {`, `  column "referrer_id" {
    type     = bigint
    unsigned = true
    null     = true
  }
  foreign_key "members_referrer_fk" {
    columns     = [column.referrer_id]
    ref_columns = [table.members.column.id]
  }
  column "full_name_ne" {`)
	blocked := byslug(f.reconcile(only))["cpn-uml"]
	if blocked.Action != ActionBlocked || !strings.Contains(blocked.Error, "SQLite rebuilds table members") ||
		!strings.Contains(blocked.Error, "column members.nickname") || !strings.Contains(blocked.Error, "column members.legacy_code") {
		t.Fatalf("rebuild under report: %s %q", blocked.Action, blocked.Error)
	}
	testenv.Replace(t, f.repo, "tenants/cpn-uml.yaml", "slug: cpn-uml\n", "slug: cpn-uml\npolicy:\n  drift: heal\n  allowDestructive: true\n")
	testenv.Replace(t, f.repo, "landlord.yaml", "  allowDestructive: false", "  allowDestructive: false\n  tenantOverrides: true")

	// Heal: the drift goes, the ignored objects stay, the rebuild is fine.
	healed := byslug(f.reconcile(only))["cpn-uml"]
	if healed.Action != ActionUpdate || healed.Error != "" {
		t.Fatalf("heal: %s %q %+v", healed.Action, healed.Error, healed.Changes)
	}
	tables := map[string]bool{}
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables[n] = true
	}
	rows.Close()
	if tables["scratch"] || !tables["tmp_cache"] {
		t.Errorf("after heal: tables %v", tables)
	}
	again, err := f.rec.Drift(ctx, f.load(), DriftOptions{Tenants: []string{"cpn-uml"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Found() || again.Tenants[0].Status != DriftClean {
		t.Fatalf("after heal: %+v", again.Tenants[0])
	}
	if open, _ := f.store.OpenDrift(ctx, "cpn-uml"); len(open) != 0 {
		t.Errorf("open drift after heal: %+v", open)
	}
}

func readRepoFile(t *testing.T, repo, rel string) string {
	t.Helper()
	b, err := readFileBytes(filepath.Join(repo, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSeverity: how each kind of difference is graded.
func TestSeverity(t *testing.T) {
	for _, c := range []struct {
		d    schema.Difference
		want state.Severity
	}{
		{schema.Difference{Object: schema.Object{Kind: schema.KindIndex}, Change: schema.Added}, state.SeverityLow},
		{schema.Difference{Object: schema.Object{Kind: schema.KindColumn}, Change: schema.Added}, state.SeverityMedium},
		{schema.Difference{Object: schema.Object{Kind: schema.KindTable}, Change: schema.Added}, state.SeverityMedium},
		{schema.Difference{Object: schema.Object{Kind: schema.KindForeignKey}, Change: schema.Added}, state.SeverityMedium},
		{schema.Difference{Object: schema.Object{Kind: schema.KindColumn}, Change: schema.Modified}, state.SeverityMedium},
		{schema.Difference{Object: schema.Object{Kind: schema.KindColumn}, Change: schema.Modified, Narrowing: "shorter strings"}, state.SeverityHigh},
		{schema.Difference{Object: schema.Object{Kind: schema.KindIndex}, Change: schema.Removed}, state.SeverityHigh},
		{schema.Difference{Object: schema.Object{Kind: schema.KindDatabase}, Change: schema.Removed}, state.SeverityHigh},
	} {
		if got := severity(c.d); got != c.want {
			t.Errorf("%s %s %q: %s, want %s", c.d.Kind, c.d.Change, c.d.Narrowing, got, c.want)
		}
	}
}

func readFileBytes(p string) ([]byte, error) { return os.ReadFile(p) }

// TestDriftLeftIsOutOfSync: drift left by policy report keeps live from
// desired, so the tenant is OutOfSync (live ≠ desired), and a drift check
// records the live hash it saw.
func TestDriftLeftIsOutOfSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSQLiteFixture(t)
	only := Options{Tenants: []string{"cpn-uml"}}
	if res := f.reconcile(only); res.Failed() {
		t.Fatalf("provision: %+v", res.Tenants)
	}
	status := func() state.Tenant {
		t.Helper()
		rec, ok, err := f.store.Tenant(ctx, "cpn-uml")
		if err != nil || !ok {
			t.Fatalf("tenant record: %v %v", ok, err)
		}
		return rec
	}
	synced := status()
	if synced.Sync != state.Synced || synced.LiveHash != synced.DesiredHash {
		t.Fatalf("after provision: sync %s, live %s, desired %s", synced.Sync, synced.LiveHash, synced.DesiredHash)
	}
	if _, err := f.sqliteTenant("cpn_uml").Exec("CREATE TABLE scratch (id integer PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}

	// drift sees it: the live hash it saw is recorded, and the tenant is
	// out of sync.
	if _, err := f.rec.Drift(ctx, f.load(), DriftOptions{Tenants: []string{"cpn-uml"}}); err != nil {
		t.Fatal(err)
	}
	drifted := status()
	if drifted.Sync != state.OutOfSync || drifted.LiveHash == synced.LiveHash || drifted.LiveHash == drifted.DesiredHash {
		t.Errorf("after drift: sync %s, live hash %s (was %s), desired %s; want OutOfSync and the new live hash",
			drifted.Sync, drifted.LiveHash, synced.LiveHash, drifted.DesiredHash)
	}

	// A reconcile under policy report leaves the drift: still out of sync.
	rep := byslug(f.reconcile(only))["cpn-uml"]
	if rep.Action != ActionNoop || len(rep.Drift) != 1 || rep.Drift[0].Action != DriftLeft {
		t.Fatalf("report: %s %+v", rep.Action, rep.Drift)
	}
	if got := status(); got.Sync != state.OutOfSync || got.Health != state.Healthy || got.LiveHash == got.DesiredHash {
		t.Errorf("after a reconcile that left drift: sync %s health %s; want OutOfSync Healthy", got.Sync, got.Health)
	}
	// The baseline is the desired schema (the drift stays drift), and
	// another reconcile that leaves the drift records no snapshot.
	base, ok, err := f.store.Baseline(ctx, "cpn-uml")
	if err != nil || !ok || base.Hash != status().DesiredHash {
		t.Fatalf("baseline after the drift was left: %s (%v %v), desired %s", base.Hash, ok, err, status().DesiredHash)
	}
	before, _ := f.store.Snapshots(ctx, "cpn-uml")
	if again := byslug(f.reconcile(only))["cpn-uml"]; again.Action != ActionNoop || len(again.Drift) != 1 {
		t.Fatalf("report again: %s %+v", again.Action, again.Drift)
	}
	if after, _ := f.store.Snapshots(ctx, "cpn-uml"); len(after) != len(before) || after[0].ID != base.ID {
		t.Errorf("a reconcile that left the same drift again recorded a snapshot: %d, then %d", len(before), len(after))
	}

	// The drift removed by hand, a drift check finds the tenant in sync.
	if _, err := f.sqliteTenant("cpn_uml").Exec("DROP TABLE scratch"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rec.Drift(ctx, f.load(), DriftOptions{Tenants: []string{"cpn-uml"}}); err != nil {
		t.Fatal(err)
	}
	if got := status(); got.Sync != state.Synced || got.LiveHash != got.DesiredHash {
		t.Errorf("after the drift was undone: sync %s, live %s, desired %s; want Synced", got.Sync, got.LiveHash, got.DesiredHash)
	}
}

// A tenant moved from SQLite to a MariaDB server where its database
// exists already: its baseline snapshot (SQLite's) is no schema of that
// database to drift from, and the reconcile goes on from what it finds.
func TestBaselineOfAnotherEngine(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	mysqlURL := f.server
	f.server = "sqlite://" + filepath.Join(t.TempDir(), "tenants")
	if res := f.reconcile(Options{Tenants: []string{"cpn-uml"}}); res.Failed() {
		t.Fatalf("on SQLite: %+v", res.Tenants)
	}
	f.server = mysqlURL
	if _, err := f.db.Exec("CREATE DATABASE `" + f.database("cpn-uml") + "`"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec("CREATE TABLE `" + f.database("cpn-uml") + "`.`moved` (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	res := f.reconcile(Options{Tenants: []string{"cpn-uml"}, AllowDestructive: true})
	if tr := res.Tenants[0]; tr.Error != "" || tr.Action != ActionUpdate {
		t.Fatalf("on MariaDB: %s %s", tr.Action, tr.Error)
	}
}
