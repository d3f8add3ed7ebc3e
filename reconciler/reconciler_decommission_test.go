package reconciler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// Decommission: a final backup, Decommissioning until the hold ends, then
// dropped and recorded; with dropDatabases off, never dropped. The clock
// is the reconciler's, moved past the hold.
func TestDecommission(t *testing.T) {
	for _, engine := range []string{"mariadb", "sqlite"} {
		t.Run(engine, func(t *testing.T) {
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
			testenv.Replace(t, f.repo, "tenants/nepali-congress.yaml", "domain:", "lifecycle: decommissioned\ndomain:")
			testenv.WriteFile(t, f.repo, "landlord.yaml", readRepoFile(t, f.repo, "landlord.yaml")+"\ndecommission:\n  retentionDays: 10\n  dropDatabases: true\n")

			exists := func(slug string) bool {
				t.Helper()
				if f.db != nil {
					return f.exists(slug)
				}
				_, err := os.Stat(filepath.Join(strings.TrimPrefix(f.server, "sqlite://"), strings.ReplaceAll(slug, "-", "_")+".db"))
				return err == nil
			}
			res := byslug(f.reconcile(only))
			for _, slug := range []string{"cpn-uml", "nepali-congress"} {
				if r := res[slug]; r.Action != ActionDecommissioning || r.Backup == "" || !exists(slug) {
					t.Fatalf("%s: action %s backup %q error %q exists %v", slug, r.Action, r.Backup, r.Error, exists(slug))
				}
			}
			if w := strings.Join(res["cpn-uml"].Warnings, ";"); !strings.Contains(w, "dropped on 2026-12-10") {
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
			now = time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC)
			res = byslug(f.reconcile(only))
			if r := res["cpn-uml"]; r.Action != ActionDecommissioning || r.Backup != "" || !exists("cpn-uml") {
				t.Fatalf("before the hold ends: %s backup %q", r.Action, r.Backup)
			}
			// Past it: cpn-uml (decommissionedAt 2026-11-30) is dropped;
			// nepali-congress's hold began with the first reconcile that
			// saw it (2026-12-01) and ends on 2026-12-11.
			now = time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
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
