package state

import (
	"context"
	"testing"
)

// The database landlord manages for a tenant is kept by a save that does
// not name one (a record written by a run that applied nothing), and
// moves only with a save that names another.
func TestManagedDatabaseKept(t *testing.T) {
	ctx := context.Background()
	for dialect, dsn := range stores(t) {
		t.Run(dialect, func(t *testing.T) {
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			tn := Tenant{Slug: "acme", Server: "primary", Database: "acme", Lifecycle: "active", Sync: Synced, Health: Healthy,
				ManagedServer: "primary", ManagedDatabase: "acme"}
			if err := s.SaveTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			tn.Database, tn.Lifecycle, tn.ManagedServer, tn.ManagedDatabase = "someone_elses_db", "decommissioned", "", ""
			if err := s.SaveTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			got, _, err := s.Tenant(ctx, "acme")
			if err != nil || got.Database != "someone_elses_db" || got.ManagedServer != "primary" || got.ManagedDatabase != "acme" {
				t.Fatalf("after a save naming none: database %q managed %q/%q (%v), want someone_elses_db and primary/acme", got.Database, got.ManagedServer, got.ManagedDatabase, err)
			}
			tn.ManagedServer, tn.ManagedDatabase = "secondary", "acme2"
			if err := s.SaveTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			if got, _, err = s.Tenant(ctx, "acme"); err != nil || got.ManagedServer != "secondary" || got.ManagedDatabase != "acme2" {
				t.Fatalf("after a save naming another: managed %q/%q (%v), want secondary/acme2", got.ManagedServer, got.ManagedDatabase, err)
			}
		})
	}
}
