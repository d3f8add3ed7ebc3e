package reconciler

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/landlord/landlord/state"
)

// TestProvisionExample provisions the example from nothing, on MariaDB and
// on SQLite files; a second run is a no-op with every tenant Synced, and the
// landlord database holds the runs, statements and snapshots.
func TestProvisionExample(t *testing.T) {
	t.Parallel()
	for name, newFixture := range map[string]func(testing.TB) *fixture{
		"mariadb": newMariaFixture,
		"sqlite":  newSQLiteFixture,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newFixture(t)
			first := f.reconcile(Options{})
			got := byslug(first)
			for slug, want := range map[string]Action{
				"nepali-congress":    ActionCreate,
				"cpn-uml":            ActionCreate,
				"rastriya-swatantra": ActionCreate,
				"janamat":            ActionSuspended,
			} {
				if got[slug].Action != want {
					t.Errorf("first run: %s is %s (%s), want %s", slug, got[slug].Action, got[slug].Error, want)
				}
			}
			if first.Failed() || first.Applied == 0 {
				t.Fatalf("first run failed or applied nothing: %+v", first.Counts)
			}
			if name == "mariadb" {
				if !f.exists("nepali-congress") || f.exists("janamat") {
					t.Errorf("databases: nepali-congress exists=%v, suspended janamat exists=%v", f.exists("nepali-congress"), f.exists("janamat"))
				}
				// Layers compose per tenant: the custom layer's column is
				// only in nepali-congress, the social module's only where
				// the module is.
				if !contains(f.columns("nepali-congress", "members"), "active_member_card_no") || contains(f.columns("cpn-uml", "members"), "active_member_card_no") {
					t.Errorf("custom layer column in the wrong tenants")
				}
				if contains(f.columns("cpn-uml", "users"), "avatar_url") || !contains(f.columns("rastriya-swatantra", "users"), "avatar_url") {
					t.Errorf("social module column in the wrong tenants")
				}
			} else {
				dir := f.server[len("sqlite://"):]
				for _, db := range []string{"nepali_congress.db", "cpn_uml.db", "rsp.db"} {
					if _, err := os.Stat(filepath.Join(dir, db)); err != nil {
						t.Errorf("tenant file %s: %v", db, err)
					}
				}
				if _, err := os.Stat(filepath.Join(dir, "janamat.db")); err == nil {
					t.Errorf("suspended tenant janamat got a database file")
				}
			}

			second := f.reconcile(Options{})
			if second.Applied != 0 || second.Changed() || second.Failed() {
				t.Errorf("second run: applied %d, changed %v, counts %+v", second.Applied, second.Changed(), second.Counts)
			}
			if c := second.Counts; c.Unchanged != 3 || c.Suspended != 1 {
				t.Errorf("second run counts %+v, want 3 unchanged and 1 suspended", c)
			}

			tenants, err := f.store.Tenants(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(tenants) != 4 {
				t.Fatalf("%d tenants recorded, want 4", len(tenants))
			}
			for _, rec := range tenants {
				if rec.Slug == "janamat" {
					if rec.Health != state.SuspendedHealth {
						t.Errorf("janamat health %s, want Suspended", rec.Health)
					}
					continue
				}
				if rec.Sync != state.Synced || rec.Health != state.Healthy {
					t.Errorf("%s: %s/%s, want Synced/Healthy", rec.Slug, rec.Sync, rec.Health)
				}
				if rec.LiveHash == "" || rec.LiveHash != rec.DesiredHash {
					t.Errorf("%s: live hash %q, desired hash %q", rec.Slug, rec.LiveHash, rec.DesiredHash)
				}
				if rec.LastAppliedRevision != first.Revision || rec.DatabaseCreatedAt == nil || rec.LastSyncedAt == nil {
					t.Errorf("%s: applied revision %q created %v synced %v", rec.Slug, rec.LastAppliedRevision, rec.DatabaseCreatedAt, rec.LastSyncedAt)
				}
				snaps, err := f.store.Snapshots(ctx, rec.Slug)
				if err != nil {
					t.Fatal(err)
				}
				if len(snaps) != 1 || snaps[0].Hash != rec.LiveHash || snaps[0].RunID != first.RunID {
					t.Errorf("%s: snapshots %+v, want one of run %d with the live hash", rec.Slug, snaps, first.RunID)
				}
			}

			runs, err := f.store.Runs(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 2 || runs[1].Outcome != state.RunSucceeded || runs[1].Counts.Created != 3 || runs[0].StatementsApplied != 0 {
				t.Errorf("runs %+v", runs)
			}
			stmts, err := f.store.Statements(ctx, first.RunID, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(stmts) != first.Applied {
				t.Errorf("%d statements recorded, %d applied", len(stmts), first.Applied)
			}
			for _, s := range stmts {
				if s.Status != state.StatementApplied || s.Layer == "" || s.File == "" || s.ExecutedAt == nil {
					t.Errorf("statement %+v: want applied with layer, file and time", s)
					break
				}
			}
		})
	}
}
