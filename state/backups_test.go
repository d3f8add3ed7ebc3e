package state

import (
	"context"
	"testing"
	"time"
)

func TestBackupRecords(t *testing.T) {
	ctx := context.Background()
	for engine, dsn := range stores(t) {
		t.Run(engine, func(t *testing.T) {
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
			for i, id := range []string{"acme/20261130T120000Z-00000001", "acme/20261130T120100Z-00000002", "beta/20261130T120000Z-00000003"} {
				b := Backup{ID: id, Tenant: id[:4], Database: "db", Kind: "manual", Engine: "mysql", Location: ".landlord/backups",
					Tables: []string{"a", "b"}, StartedAt: at.Add(time.Duration(i) * time.Minute)}
				if err := s.StartBackup(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.FinishBackup(ctx, "acme/20261130T120100Z-00000002", BackupComplete, 10, 100, 20, ""); err != nil {
				t.Fatal(err)
			}
			last, err := s.LastBackups(ctx)
			if err != nil || len(last) != 1 || last["acme"].IsZero() {
				t.Errorf("last backups: %v %v", last, err)
			}
			got, err := s.Backups(ctx, "acme", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].ID != "acme/20261130T120100Z-00000002" || got[0].Status != BackupComplete || got[0].Rows != 10 ||
				got[0].Stored != 20 || got[0].FinishedAt == nil || len(got[0].Tables) != 2 {
				t.Errorf("backups: %+v", got)
			}
			if got[1].Status != BackupRunning || got[1].FinishedAt != nil {
				t.Errorf("an unfinished backup: %+v", got[1])
			}
			if b, ok, err := s.GetBackup(ctx, "beta/20261130T120000Z-00000003"); !ok || err != nil || b.Tenant != "beta" {
				t.Errorf("get: %+v %v %v", b, ok, err)
			}
			if _, ok, err := s.GetBackup(ctx, "nope"); ok || err != nil {
				t.Errorf("get missing: %v %v", ok, err)
			}
			run, _ := s.StartRun(ctx, "manual", "", "rev")
			sts := []Statement{{RunID: run, Tenant: "acme", Seq: 1, SQL: "ALTER TABLE t DROP COLUMN c", Destructive: true, Status: StatementPending}}
			if err := s.AddStatements(ctx, sts); err != nil {
				t.Fatal(err)
			}
			if err := s.SetStatementsBackup(ctx, []int64{sts[0].ID}, "acme/20261130T120100Z-00000002"); err != nil {
				t.Fatal(err)
			}
			back, _ := s.Statements(ctx, run, "acme")
			if len(back) != 1 || back[0].BackupID != "acme/20261130T120100Z-00000002" {
				t.Errorf("statement backup: %+v", back)
			}
		})
	}
}

// TestMigrationVersionsUnique keeps two migrations from taking one
// version: the second would be taken for applied and never run.
func TestMigrationVersionsUnique(t *testing.T) {
	seen := map[int]string{}
	for _, m := range migrations {
		if other, ok := seen[m.version]; ok {
			t.Errorf("migrations %q and %q both have version %d: give the newer one the next free version", other, m.name, m.version)
		}
		seen[m.version] = m.name
	}
}
