package reconciler

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// Decommission: a final backup, Decommissioning until the hold ends, then
// dropped and recorded; with dropDatabases off, never dropped. The hold
// starts at the later of decommissionedAt and the reconcile that first
// sees the tenant decommissioned: a backdated date never shortens it. The
// clock is the reconciler's, moved past the hold.
func TestDecommission(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"mariadb", "sqlite"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var f *fixture
			if engine == "mariadb" {
				f = newMariaFixture(t)
			} else {
				f = newSQLiteFixture(t)
			}
			only := Options{Tenants: []string{"cpn-uml", "nepali-congress"}}
			f.reconcile(only)
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			f.rec.SetClock(func() time.Time { return now })
			testenv.Replace(t, f.repo, "tenants/cpn-uml.yaml", "domain:", "lifecycle: decommissioned\ndecommissionedAt: 2026-11-30\ndomain:")
			testenv.Replace(t, f.repo, "tenants/nepali-congress.yaml", "domain:", "lifecycle: decommissioned\ndecommissionedAt: 2026-12-05\ndomain:")
			testenv.WriteFile(t, f.repo, "landlord.yaml", readRepoFile(t, f.repo, "landlord.yaml")+"\ndecommission:\n  retentionDays: 10\n  dropDatabases: true\n")

			exists := func(slug string) bool {
				t.Helper()
				if f.db != nil {
					return f.exists(slug)
				}
				_, err := os.Stat(filepath.Join(strings.TrimPrefix(f.server, "sqlite://"), strings.ReplaceAll(slug, "-", "_")+".db"))
				return err == nil
			}
			// The plan says what the apply will do: a final backup, and the
			// drop date.
			res := byslug(f.reconcile(Options{Tenants: only.Tenants, Plan: true}))
			if w := strings.Join(res["cpn-uml"].Warnings, ";"); res["cpn-uml"].Action != ActionDecommissioning ||
				!strings.Contains(w, "a final backup will be taken") || !strings.Contains(w, "is dropped on 2026-12-11") {
				t.Errorf("cpn-uml plan: %s %s", res["cpn-uml"].Action, w)
			}
			res = byslug(f.reconcile(only))
			for _, slug := range []string{"cpn-uml", "nepali-congress"} {
				if r := res[slug]; r.Action != ActionDecommissioning || r.Backup == "" || !exists(slug) {
					t.Fatalf("%s: action %s backup %q error %q exists %v", slug, r.Action, r.Backup, r.Error, exists(slug))
				}
			}
			if w := strings.Join(res["cpn-uml"].Warnings, ";"); !strings.Contains(w, "dropped on 2026-12-11") {
				t.Errorf("cpn-uml warnings: %s", w)
			}
			rec, _, _ := f.store.Tenant(ctx, "cpn-uml")
			if rec.Health != state.Decommissioning {
				t.Errorf("health %s, want Decommissioning", rec.Health)
			}
			final := res["cpn-uml"].Backup
			if m, err := f.rec.backups.Manifest(ctx, final); err != nil || m.Kind != "final" {
				t.Fatalf("final backup: %v %v", m, err)
			}

			// A day before the hold ends: still held, and no second backup.
			now = time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
			res = byslug(f.reconcile(only))
			if r := res["cpn-uml"]; r.Action != ActionDecommissioning || r.Backup != "" || !exists("cpn-uml") {
				t.Fatalf("before the hold ends: %s backup %q", r.Action, r.Backup)
			}
			// Past it: cpn-uml (decommissionedAt 2026-11-30, before the
			// reconcile that first saw it, 2026-12-01) is dropped;
			// nepali-congress's hold began on its decommissionedAt
			// (2026-12-05, after that reconcile) and ends on 2026-12-15.
			now = time.Date(2026, 12, 11, 12, 0, 0, 0, time.UTC)
			res = byslug(f.reconcile(Options{Tenants: only.Tenants, Plan: true}))
			if w := strings.Join(res["cpn-uml"].Warnings, ";"); !strings.Contains(w, "will be dropped") {
				t.Errorf("cpn-uml plan past the hold: %s", w)
			}
			if !exists("cpn-uml") {
				t.Fatal("the plan dropped cpn-uml")
			}
			res = byslug(f.reconcile(only))
			if r := res["cpn-uml"]; r.Action != ActionDropped || exists("cpn-uml") {
				t.Fatalf("after the hold: %s %q, exists %v", r.Action, r.Error, exists("cpn-uml"))
			}
			if r := res["nepali-congress"]; r.Action != ActionDecommissioning || !exists("nepali-congress") {
				t.Fatalf("nepali-congress: %s", r.Action)
			}
			d, ok, err := f.store.GetDecommission(ctx, "cpn-uml")
			if err != nil || !ok || d.DroppedAt == nil || d.FinalBackup != final {
				t.Errorf("decommission record: %+v %v %v", d, ok, err)
			}
			rec, _, _ = f.store.Tenant(ctx, "cpn-uml")
			if rec.Health != state.Missing {
				t.Errorf("health after the drop %s, want Missing", rec.Health)
			}

			// With the policy off, never dropped, whatever the date.
			testenv.Replace(t, f.repo, "landlord.yaml", "dropDatabases: true", "dropDatabases: false")
			now = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			res = byslug(f.reconcile(only))
			if r := res["nepali-congress"]; r.Action != ActionDecommissioning || !exists("nepali-congress") ||
				!strings.Contains(strings.Join(r.Warnings, ";"), "is kept") {
				t.Fatalf("policy off: %s %v, exists %v", r.Action, r.Warnings, exists("nepali-congress"))
			}
		})
	}
}

// A decommissioned manifest that names a database landlord never
// provisioned for its tenant on that server (a new tenant, backdated, or
// a provisioned one moved onto another database) never has that database
// backed up nor dropped, whatever the hold and the policy: it is left
// alone with its rows, and the result and the plan say why.
func TestDecommissionForeignDatabase(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"mariadb", "sqlite"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var f *fixture
			if engine == "mariadb" {
				f = newMariaFixture(t)
			} else {
				f = newSQLiteFixture(t)
			}
			f.reconcile(Options{Tenants: []string{"cpn-uml"}})
			foreign := f.prefix + "someone_elses_db"
			var db *sql.DB
			if f.db != nil {
				if _, err := f.db.Exec("CREATE DATABASE " + foreign); err != nil {
					t.Fatal(err)
				}
				db = f.db
			} else {
				var err error
				db, err = sql.Open("sqlite", filepath.Join(strings.TrimPrefix(f.server, "sqlite://"), foreign+".db"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
			}
			table := "payroll"
			if f.db != nil {
				table = foreign + ".payroll"
			}
			for _, q := range []string{"CREATE TABLE " + table + " (id INT PRIMARY KEY, amount INT NOT NULL)", "INSERT INTO " + table + " VALUES (1, 4200)"} {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			survives := func(when string) {
				t.Helper()
				var amount int
				if err := db.QueryRow("SELECT amount FROM " + table + " WHERE id = 1").Scan(&amount); err != nil || amount != 4200 {
					t.Fatalf("%s: the foreign database's row: %d %v", when, amount, err)
				}
			}
			testenv.WriteFile(t, f.repo, "landlord.yaml", readRepoFile(t, f.repo, "landlord.yaml")+"\ndecommission:\n  retentionDays: 1\n  dropDatabases: true\n")
			testenv.WriteFile(t, f.repo, "tenants/intruder.yaml", "slug: intruder\nname: Intruder\ntemplate: political-party\nmodules: [election]\n"+
				"database: "+foreign+"\nlifecycle: decommissioned\ndecommissionedAt: 2000-01-01\n")
			intruder := Options{Tenants: []string{"intruder"}}
			refused := func(when string, r TenantResult) {
				t.Helper()
				w := strings.Join(r.Warnings, ";")
				if r.Action != ActionSuspended || r.Backup != "" || r.Error != "" ||
					!strings.Contains(w, "not dropped: landlord never provisioned database "+foreign+" on server primary for tenant "+r.Slug) {
					t.Errorf("%s: action %s backup %q error %q warnings %s", when, r.Action, r.Backup, r.Error, w)
				}
			}

			refused("plan", byslug(f.reconcile(Options{Tenants: intruder.Tenants, Plan: true}))["intruder"])
			refused("first reconcile", byslug(f.reconcile(intruder))["intruder"])
			survives("first reconcile")
			f.rec.SetClock(func() time.Time { return time.Now().AddDate(5, 0, 0) })
			refused("years later", byslug(f.reconcile(intruder))["intruder"])
			survives("years later")
			if d, ok, err := f.store.GetDecommission(ctx, "intruder"); err != nil || ok {
				t.Errorf("a hold was recorded for the foreign database: %+v %v %v", d, ok, err)
			}
			if bs, err := f.store.Backups(ctx, "intruder", 10); err != nil || len(bs) != 0 {
				t.Errorf("the foreign database was backed up: %+v %v", bs, err)
			}

			// A tenant landlord provisioned, moved onto the foreign
			// database as it is decommissioned: refused, and still refused
			// once a run has recorded the manifest's database.
			f.rec.SetClock(nil)
			testenv.Replace(t, f.repo, "tenants/cpn-uml.yaml", "domain:", "lifecycle: decommissioned\ndecommissionedAt: 2000-01-01\ndomain:")
			if m := readRepoFile(t, f.repo, "tenants/cpn-uml.yaml"); strings.Contains(m, "\ndatabase: ") {
				testenv.Replace(t, f.repo, "tenants/cpn-uml.yaml", "database: "+f.database("cpn-uml"), "database: "+foreign)
			} else {
				testenv.WriteFile(t, f.repo, "tenants/cpn-uml.yaml", m+"database: "+foreign+"\n")
			}
			os.Remove(filepath.Join(f.repo, "tenants/intruder.yaml"))
			moved := Options{Tenants: []string{"cpn-uml"}}
			refused("moved", byslug(f.reconcile(moved))["cpn-uml"])
			f.rec.SetClock(func() time.Time { return time.Now().AddDate(5, 0, 0) })
			refused("moved, years later", byslug(f.reconcile(moved))["cpn-uml"])
			survives("moved")
		})
	}
}

// A tenant brought back to active, then decommissioned again, gets a new
// final backup and a new hold: the old hold, long past, never drops it at
// once.
func TestDecommissionAgain(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"mariadb", "sqlite"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var f *fixture
			if engine == "mariadb" {
				f = newMariaFixture(t)
			} else {
				f = newSQLiteFixture(t)
			}
			only := Options{Tenants: []string{"cpn-uml"}}
			f.reconcile(only)
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			f.rec.SetClock(func() time.Time { return now })
			testenv.WriteFile(t, f.repo, "landlord.yaml", readRepoFile(t, f.repo, "landlord.yaml")+"\ndecommission:\n  retentionDays: 10\n  dropDatabases: true\n")
			testenv.Replace(t, f.repo, "tenants/cpn-uml.yaml", "domain:", "lifecycle: decommissioned\ndomain:")
			first := byslug(f.reconcile(only))["cpn-uml"]
			if first.Action != ActionDecommissioning || first.Backup == "" {
				t.Fatalf("first decommission: %s %q %q", first.Action, first.Backup, first.Error)
			}
			testenv.Replace(t, f.repo, "tenants/cpn-uml.yaml", "lifecycle: decommissioned\n", "")
			if r := byslug(f.reconcile(only))["cpn-uml"]; r.Action == ActionError || r.Action == ActionDropped {
				t.Fatalf("back to active: %s %q", r.Action, r.Error)
			}
			now = time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
			testenv.Replace(t, f.repo, "tenants/cpn-uml.yaml", "domain:", "lifecycle: decommissioned\ndomain:")
			again := byslug(f.reconcile(only))["cpn-uml"]
			if w := strings.Join(again.Warnings, ";"); again.Action != ActionDecommissioning || again.Backup == "" || again.Backup == first.Backup ||
				!strings.Contains(w, "dropped on 2027-06-11") {
				t.Fatalf("decommissioned again: %s backup %q (first %q) error %q warnings %s", again.Action, again.Backup, first.Backup, again.Error, w)
			}
		})
	}
}

// A manifest naming a database that exists with another application's
// tables (none of the tenant's) and that landlord did not create: the
// tenant is blocked, the database untouched, until the manifest says
// adopt: true. A database landlord created (or one holding the tenant's
// tables, as a fleet moved from another tool has) is reconciled as ever.
func TestForeignDatabaseNotAdopted(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	foreign := f.prefix + "payroll_app"
	for _, q := range []string{
		"CREATE DATABASE `" + foreign + "`",
		"CREATE TABLE `" + foreign + "`.`payroll` (id INT PRIMARY KEY, amount INT)",
		"INSERT INTO `" + foreign + "`.`payroll` VALUES (1, 100)",
	} {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	manifest := filepath.Join(f.repo, "tenants", "cpn-uml.yaml")
	src, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	src = regexp.MustCompile(`(?m)^database: .*$`).ReplaceAll(src, []byte("database: "+foreign))
	if err := os.WriteFile(manifest, src, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, plan := range []bool{true, false} {
		tr := byslug(f.reconcile(Options{Tenants: []string{"cpn-uml"}, Plan: plan}))["cpn-uml"]
		if tr.Action != ActionBlocked || !strings.Contains(tr.Error, "none of the tenant's: it looks like another application's") || !strings.Contains(tr.Error, "adopt: true") {
			t.Fatalf("plan %v: %s %s", plan, tr.Action, tr.Error)
		}
	}
	var tables int
	if err := f.db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", foreign).Scan(&tables); err != nil || tables != 1 {
		t.Fatalf("the foreign database has %d tables (%v), want its own one", tables, err)
	}
	if err := os.WriteFile(manifest, append(src, []byte("adopt: true\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	// Adopted, it is the tenant's: planned like any other (its drop of
	// payroll is still destructive, and blocked by policy).
	tr := byslug(f.reconcile(Options{Tenants: []string{"cpn-uml"}, Plan: true}))["cpn-uml"]
	if strings.Contains(tr.Error, "another application's") || !strings.Contains(tr.Error, "drops table payroll") {
		t.Fatalf("adopt: true: %s %s", tr.Action, tr.Error)
	}
}
