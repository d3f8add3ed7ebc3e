package reconciler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

const pledgesWithNote = `table "pledges" {
  schema = schema.tenant
  column "id" {
    type = bigint
  }
  column "amount" {
    type = int
  }
  column "note" {
    type = varchar(200)
    null = true
  }
  primary_key {
    columns = [column.id]
  }
}
`

var pledgesWithoutNote = strings.Replace(pledgesWithNote, `  column "note" {
    type = varchar(200)
    null = true
  }
`, "", 1)

func (f *fixture) query(q string) string {
	f.t.Helper()
	rows, err := f.db.Query(q)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	out := ""
	for rows.Next() {
		var a, b, c *string
		if err := rows.Scan(&a, &b, &c); err != nil {
			f.t.Fatal(err)
		}
		out += fmt.Sprintf("%s|%s|%s\n", deref(a), deref(b), deref(c))
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// A destructive change allowed by policy: the column is backed up before
// the DROP, the backup is recorded on the statement, and restoring it after
// a rollback brings the column's values back exactly.
func TestBackupBeforeLossRollbackRestore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)
	only := Options{Tenants: []string{"nepali-congress"}}
	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/pledges.hcl", pledgesWithNote)
	first := f.reconcile(only)
	if res := byslug(first)["nepali-congress"]; res.Error != "" {
		t.Fatalf("create: %s", res.Error)
	}
	db := f.database("nepali-congress")
	if _, err := f.db.Exec("INSERT INTO `" + db + "`.pledges VALUES (1, 10, 'first'), (2, 20, NULL), (3, 30, 'it''s \\\\ third\\n'), (4, 40, '')"); err != nil {
		t.Fatal(err)
	}
	want := f.query("SELECT id, amount, note FROM `" + db + "`.pledges ORDER BY id")

	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/pledges.hcl", pledgesWithoutNote)
	opts := only
	opts.AllowDestructive = true
	drop := f.reconcile(opts)
	res := byslug(drop)["nepali-congress"]
	if res.Error != "" || res.Backup == "" {
		t.Fatalf("drop: %s %q backup %q", res.Action, res.Error, res.Backup)
	}
	if contains(f.columns("nepali-congress", "pledges"), "note") {
		t.Fatal("the column was not dropped")
	}
	sts, err := f.store.Statements(ctx, drop.RunID, "nepali-congress")
	if err != nil {
		t.Fatal(err)
	}
	recorded := 0
	for _, s := range sts {
		if s.Destructive {
			if s.BackupID != res.Backup || s.Status != state.StatementApplied {
				t.Errorf("destructive statement %q: backup %q status %s, want %s applied", s.SQL, s.BackupID, s.Status, res.Backup)
			}
			recorded++
		}
	}
	if recorded == 0 {
		t.Fatal("no destructive statement recorded")
	}
	m, err := f.rec.backups.Manifest(ctx, res.Backup)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != backup.KindBeforeLoss || len(m.Tables) != 1 || m.Tables[0].Name != "pledges" || strings.Join(m.Tables[0].Columns, ",") != "note" || m.Tables[0].Rows != 4 {
		t.Fatalf("manifest: %+v", m.Tables)
	}
	recs, _ := f.store.Backups(ctx, "nepali-congress", 0)
	if len(recs) != 1 || recs[0].Status != state.BackupComplete || recs[0].RunID != drop.RunID {
		t.Errorf("backup records: %+v", recs)
	}

	// Roll back to the first run's snapshot: the column is back, empty.
	rb, err := f.rec.Rollback(ctx, f.load(), RollbackOptions{TenantOptions: TenantOptions{Tenant: "nepali-congress"}, To: strconv.FormatInt(first.RunID, 10)})
	if err != nil {
		t.Fatal(err)
	}
	// The rollback says which backup holds the column's values.
	if w := strings.Join(byslug(rb)["nepali-congress"].Warnings, ";"); !strings.Contains(w, res.Backup) || !strings.Contains(w, "pledges.note") {
		t.Errorf("rollback warnings: %s", w)
	}
	if got := f.query("SELECT id, amount, note FROM `" + db + "`.pledges ORDER BY id"); got == want {
		t.Fatal("the column's values came back without a restore")
	}
	rr, err := f.rec.Restore(ctx, f.load(), RestoreOptions{Tenant: "nepali-congress", From: res.Backup})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.query("SELECT id, amount, note FROM `" + db + "`.pledges ORDER BY id"); got != want {
		t.Errorf("after restore:\n%s\nwant\n%s", got, want)
	}
	if rr.Rows != 4 || rr.Tables != 1 {
		t.Errorf("restore result: %+v", rr)
	}
	if run, ok, _ := f.store.GetRun(ctx, rr.RunID); !ok || run.Trigger != TriggerRestore || run.Outcome != state.RunSucceeded {
		t.Errorf("the restore's run: %+v", run)
	}

	// The whole database, into a new one: rows, checksums and the schema
	// hash verified.
	whole, err := f.rec.Backup(ctx, f.load(), "nepali-congress", BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	copied, err := f.rec.Restore(ctx, f.load(), RestoreOptions{Tenant: "nepali-congress", From: whole.ID, ToDatabase: f.prefix + "copy"})
	if err != nil {
		t.Fatal(err)
	}
	if !copied.SchemaVerified || copied.Rows != whole.Rows() || copied.Tables != len(whole.Tables) {
		t.Errorf("whole restore: %+v", copied)
	}
	if got := f.query("SELECT id, amount, note FROM `" + f.prefix + "copy`.pledges ORDER BY id"); got != want {
		t.Errorf("restored copy:\n%s\nwant\n%s", got, want)
	}
}

// A backup that cannot be written: the destructive statement does not run
// and the tenant is recorded with the cause.
func TestBackupFailureBlocksDestructiveStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)
	dir := filepath.Join(t.TempDir(), "backups")
	bs, err := backup.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	f.rec.SetBackups(bs)
	only := Options{Tenants: []string{"nepali-congress"}}
	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/pledges.hcl", pledgesWithNote)
	if res := byslug(f.reconcile(only))["nepali-congress"]; res.Error != "" {
		t.Fatalf("create: %s", res.Error)
	}
	db := f.database("nepali-congress")
	if _, err := f.db.Exec("INSERT INTO `" + db + "`.pledges VALUES (1, 10, 'keep me')"); err != nil {
		t.Fatal(err)
	}
	// The tenant's directory in the storage is a file: every upload fails.
	if err := os.WriteFile(filepath.Join(dir, "nepali-congress"), []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/pledges.hcl", pledgesWithoutNote)
	opts := only
	opts.AllowDestructive = true
	run := f.reconcile(opts)
	res := byslug(run)["nepali-congress"]
	if res.Action != ActionError || !strings.Contains(res.Error, "backup before destructive statements") {
		t.Fatalf("action %s error %q: want a backup failure", res.Action, res.Error)
	}
	if !contains(f.columns("nepali-congress", "pledges"), "note") {
		t.Fatal("the column was dropped without a backup")
	}
	rec, _, err := f.store.Tenant(ctx, "nepali-congress")
	if err != nil || !strings.Contains(rec.LastError, "backup before destructive statements") {
		t.Errorf("tenant record: %q %v", rec.LastError, err)
	}
	sts, _ := f.store.Statements(ctx, run.RunID, "nepali-congress")
	for _, s := range sts {
		if s.Status != state.StatementSkipped {
			t.Errorf("statement %q: %s, want skipped", s.SQL, s.Status)
		}
	}
	recs, _ := f.store.Backups(ctx, "nepali-congress", 0)
	if len(recs) != 1 || recs[0].Status != state.BackupFailed || recs[0].Error == "" {
		t.Errorf("backup records: %+v", recs)
	}
	if list, err := bs.List(ctx, ""); err != nil || len(list) != 0 {
		t.Errorf("usable backups: %v %v", list, err)
	}
}

// Backup and restore of a whole SQLite tenant into a new database, with
// the schema hash verified; the tenant's own database is refused.
func TestBackupRestoreSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSQLiteFixture(t)
	f.reconcile(Options{Tenants: []string{"cpn-uml"}})
	repo := f.load()
	m, err := f.rec.Backup(ctx, repo, "cpn-uml", BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.SchemaHash == "" || m.File == nil || len(m.Tables) == 0 {
		t.Fatalf("manifest: %+v", m)
	}
	if _, err := f.rec.Restore(ctx, repo, RestoreOptions{Tenant: "cpn-uml", From: m.ID}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore into the live database: %v", err)
	}
	if _, err := f.rec.Restore(ctx, repo, RestoreOptions{Tenant: "cpn-uml", From: m.ID, Force: true}); err == nil {
		t.Error("restore into an active tenant's database with --force: no error")
	}
	if _, err := f.rec.Restore(ctx, repo, RestoreOptions{Tenant: "cpn-uml", From: m.ID, ToDatabase: "nepali_congress"}); err == nil {
		t.Error("restore into another tenant's database: no error")
	}
	res, err := f.rec.Restore(ctx, repo, RestoreOptions{Tenant: "cpn-uml", From: m.ID, ToDatabase: "cpn_uml_copy"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.SchemaVerified || res.Tables != len(m.Tables) {
		t.Errorf("restore: %+v", res)
	}
	if _, err := f.rec.Restore(ctx, repo, RestoreOptions{Tenant: "nepali-congress", From: m.ID, ToDatabase: "x_copy"}); err == nil {
		t.Error("restore of another tenant's backup: no error")
	}
}

// Retention: manual backups beyond backups.keep are removed from the
// storage and recorded deleted; backups taken before loss stay.
func TestBackupRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSQLiteFixture(t)
	f.reconcile(Options{Tenants: []string{"cpn-uml"}})
	testenv.WriteFile(t, f.repo, "landlord.yaml", readRepoFile(t, f.repo, "landlord.yaml")+"\nbackups:\n  keep: 2\n")
	repo := f.load()
	var ids []string
	for i := 0; i < 4; i++ {
		m, err := f.rec.Backup(ctx, repo, "cpn-uml", BackupOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	list, err := f.rec.backups.List(ctx, "cpn-uml")
	if err != nil || len(list) != 2 || list[0].ID != ids[3] || list[1].ID != ids[2] {
		t.Fatalf("kept: %v %v", list, err)
	}
	recs, _ := f.store.Backups(ctx, "cpn-uml", 0)
	deleted := 0
	for _, b := range recs {
		if b.Status == state.BackupDeleted {
			deleted++
		}
	}
	if deleted != 2 {
		t.Errorf("records: %d deleted, want 2: %+v", deleted, recs)
	}
}

// BackupAll: every tenant with a database, one at a time per server by
// default; the suspended tenant that was never provisioned is skipped.
func TestBackupAll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSQLiteFixture(t)
	f.reconcile(Options{})
	out := f.rec.BackupAll(ctx, f.load(), BackupOptions{Kind: backup.KindScheduled})
	taken, skipped := 0, 0
	for _, o := range out {
		switch {
		case o.Err != nil:
			t.Errorf("%s: %v", o.Tenant, o.Err)
		case o.Skipped != "":
			skipped++
		case o.Manifest != nil && o.Manifest.Kind == backup.KindScheduled:
			taken++
		}
	}
	if taken != 3 || skipped != 1 {
		t.Errorf("taken %d, skipped %d: %+v", taken, skipped, out)
	}
}

// A backup whose server stops answering mid-dump fails within about the
// server's stall timeout (one second here) instead of holding the tenant.
func TestBackupOfStalledServerFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)
	if res := f.reconcile(Options{Tenants: []string{"cpn-uml"}}); res.Failed() {
		t.Fatalf("%+v", res.Tenants)
	}
	u := testenv.MySQLURL(t)
	p := testenv.NewProxy(t, u[strings.LastIndex(u, "@")+1:strings.LastIndex(u, "/")])
	srv, err := schema.Open(ctx, p.URL()+"?stallTimeout=1s", schema.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.CopyDB().PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	p.Stall()
	defer p.Resume()
	done := make(chan error, 1)
	go func() {
		_, err := backup.DumpMySQL(ctx, srv.CopyDB(), testBackups(t), backup.Options{Tenant: "cpn-uml", Database: f.database("cpn-uml")})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a dump of a stalled server succeeded")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the dump of a stalled server did not fail within 30 s (its stall timeout is 1 s)")
	}
}
