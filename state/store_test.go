package state

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// stores opens a landlord database of each dialect: an SQLite file and a
// MariaDB database of the test's own.
func stores(t *testing.T) map[string]string {
	t.Helper()
	name := testenv.Name(t) + "landlord"
	testenv.DropPrefix(t, testenv.DB(t), name)
	u := testenv.MySQLURL(t)
	return map[string]string{
		"sqlite":  filepath.Join(t.TempDir(), "sub", "landlord.db"),
		"mariadb": strings.TrimSuffix(u, "/") + "/" + name,
	}
}

func TestStoreRecords(t *testing.T) {
	ctx := context.Background()
	for dialect, dsn := range stores(t) {
		t.Run(dialect, func(t *testing.T) {
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Opening again finds the schema migrated and changes nothing.
			s2, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			var versions int
			if err := s2.DB().QueryRow("SELECT COUNT(*) FROM landlord_schema_version").Scan(&versions); err != nil || versions != len(migrations) {
				t.Fatalf("versions %d (%v), want %d", versions, err, len(migrations))
			}
			s2.Close()

			id, err := s.StartRun(ctx, "cli", "ops", "abc123")
			if err != nil {
				t.Fatal(err)
			}
			created := time.Now().UTC().Truncate(time.Second)
			tn := Tenant{Slug: "acme", Name: "Acme", Template: "party", Modules: []string{"election", "social"}, Server: "primary",
				Database: "acme", Lifecycle: "active", Sync: Synced, Health: Healthy, LastAttemptedRevision: "abc123",
				LastAppliedRevision: "abc123", DesiredHash: "d", LiveHash: "d", DatabaseCreatedAt: &created, LastSyncedAt: &created, LastRunID: id}
			if err := s.SaveTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			tn.LastError = "boom"
			if err := s.SaveTenant(ctx, tn); err != nil { // an update, not a second row
				t.Fatal(err)
			}
			got, ok, err := s.Tenant(ctx, "acme")
			if err != nil || !ok {
				t.Fatalf("tenant: %v %v", ok, err)
			}
			if got.LastError != "boom" || strings.Join(got.Modules, ",") != "election,social" || !got.DatabaseCreatedAt.Equal(created) || got.LastRunID != id {
				t.Errorf("tenant read back as %+v", got)
			}
			sts := []Statement{{RunID: id, Tenant: "acme", Seq: 1, Layer: "basic", File: "a.hcl", Line: 3, SQL: "CREATE TABLE x (id int)", Status: StatementPending},
				{RunID: id, Tenant: "acme", Seq: 2, Layer: "module/x", File: "b.hcl", SQL: "DROP TABLE y", Destructive: true, Status: StatementPending}}
			if err := s.AddStatements(ctx, sts); err != nil {
				t.Fatal(err)
			}
			if err := s.FinishStatement(ctx, sts[0].ID, StatementApplied, 1500*time.Microsecond, ""); err != nil {
				t.Fatal(err)
			}
			if err := s.SetStatementsStatus(ctx, id, "acme", StatementPending, StatementSkipped); err != nil {
				t.Fatal(err)
			}
			read, err := s.Statements(ctx, id, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if len(read) != 2 || read[0].Status != StatementApplied || read[0].DurationMS != 1.5 || read[1].Status != StatementSkipped || !read[1].Destructive || read[0].Line != 3 {
				t.Errorf("statements read back as %+v", read)
			}
			if _, err := s.AddSnapshot(ctx, Snapshot{Tenant: "acme", RunID: id, Revision: "abc123", Hash: "h1", HCL: "schema \"tenant\" {}"}); err != nil {
				t.Fatal(err)
			}
			sid, _ := s.AddSnapshot(ctx, Snapshot{Tenant: "acme", RunID: id, Revision: "abc124", Hash: "h2", HCL: "x"})
			latest, ok, err := s.LatestSnapshot(ctx, "acme")
			if err != nil || !ok || latest.ID != sid || latest.Hash != "h2" || latest.HCL != "x" {
				t.Errorf("latest snapshot %+v %v %v", latest, ok, err)
			}
			hashes, _ := s.LatestSnapshotHashes(ctx)
			if hashes["acme"] != "h2" {
				t.Errorf("latest hashes %v", hashes)
			}
			if err := s.RecordTenantRun(ctx, TenantRun{RunID: id, Tenant: "acme", Action: "create", Outcome: "succeeded", Statements: 1, StartedAt: time.Now(), FinishedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if err := s.FinishRun(ctx, id, RunSucceeded, Counts{Total: 1, Created: 1}, 1, ""); err != nil {
				t.Fatal(err)
			}
			run, ok, err := s.GetRun(ctx, id)
			if err != nil || !ok || run.Outcome != RunSucceeded || run.FinishedAt == nil || run.Counts.Created != 1 || run.Actor != "ops" {
				t.Errorf("run %+v %v %v", run, ok, err)
			}
			trs, err := s.TenantRuns(ctx, "acme", 0, 10)
			if err != nil || len(trs) != 1 || trs[0].Action != "create" {
				t.Errorf("tenant runs %+v %v", trs, err)
			}
			if err := s.MarkRemoved(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if got, _, _ := s.Tenant(ctx, "acme"); got.RemovedAt == nil {
				t.Error("tenant not marked removed")
			}
		})
	}
}

// TestConcurrentOpen: landlord processes starting at once migrate once.
func TestConcurrentOpen(t *testing.T) {
	ctx := context.Background()
	for dialect, dsn := range stores(t) {
		t.Run(dialect, func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := Open(ctx, dsn)
					if err == nil {
						s.Close()
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var n int
			s.DB().QueryRow("SELECT COUNT(*) FROM landlord_schema_version").Scan(&n)
			if n != len(migrations) {
				t.Errorf("%d version rows, want %d", n, len(migrations))
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "ll.db")
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.DB().Exec("INSERT INTO landlord_schema_version (version, name, applied_at) VALUES (999, 'future', ?)", now())
	s.Close()
	if _, err := Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "newer than this landlord") {
		t.Fatalf("open of a newer landlord database: %v", err)
	}
}

// The landlord database's connections are strict whatever the server's
// default: no record is silently truncated.
func TestStoreStrictSQLMode(t *testing.T) {
	s, err := Open(context.Background(), stores(t)["mariadb"])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mode string
	if err := s.DB().QueryRow("SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mode, "STRICT_ALL_TABLES") {
		t.Errorf("sql_mode %q: want STRICT_ALL_TABLES", mode)
	}
}
