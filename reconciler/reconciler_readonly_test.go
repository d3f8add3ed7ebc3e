package reconciler

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// A server turned read-only (a replica, the old primary after a failover)
// fails the tenants that have something to write as transient (retried
// with backoff, not stalled until the next revision), with an error that
// says the server is read-only rather than blaming a layer; tenants with
// nothing to write are unaffected, and once the server takes writes again
// the change is applied.
func TestReadOnlyServerIsTransient(t *testing.T) {
	t.Parallel()
	m := testenv.StartMariaDB(t)
	root, err := sql.Open("mysql", "root@tcp("+m.Addr()+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	// Not root: READ ONLY ADMIN (in root's privileges) writes through
	// read_only.
	for _, q := range []string{
		"CREATE USER ll@'127.0.0.1' IDENTIFIED BY 'ro-s3cret'",
		"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, CREATE VIEW, SHOW VIEW, TRIGGER, PROCESS, LOCK TABLES ON *.* TO ll@'127.0.0.1'",
	} {
		if _, err := root.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{t: t, server: "mysql://ll:ro-s3cret@" + m.Addr() + "/"}
	f.repo = testenv.CopyExample(t, "")
	f.open(filepath.Join(t.TempDir(), "landlord.db"))
	if res := f.reconcile(Options{}); res.Failed() {
		t.Fatalf("first reconcile: %+v", res.Tenants)
	}
	if _, err := root.Exec("SET GLOBAL read_only = 1"); err != nil {
		t.Fatal(err)
	}
	for _, tr := range f.reconcile(Options{}).Tenants {
		if tr.Action == ActionError {
			t.Errorf("%s, nothing to write on a read-only server: %s", tr.Slug, tr.Error)
		}
	}
	testenv.Replace(t, f.repo, "layers/basic/settings.hcl", "  column \"updated_at\" {",
		"  column \"note\" {\n    type = int\n    null = true\n  }\n  column \"updated_at\" {")
	tr := byslug(f.reconcile(Options{}))["cpn-uml"]
	if tr.Action != ActionError || tr.Class != Transient {
		t.Fatalf("cpn-uml on a read-only server: %s (%s): %s; want a transient error", tr.Action, tr.Class, tr.Error)
	}
	if !strings.Contains(tr.Error, "read-only") || strings.Contains(tr.Error, "layers/") || strings.Contains(tr.Error, "ro-s3cret") {
		t.Errorf("error %q: want it to say the server is read-only, blame no layer, hold no password", tr.Error)
	}
	if _, err := root.Exec("SET GLOBAL read_only = 0"); err != nil {
		t.Fatal(err)
	}
	if res := f.reconcile(Options{}); res.Failed() {
		t.Fatalf("the server takes writes again: %+v", res.Tenants)
	}
	var n int
	if err := root.QueryRow("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'cpn_uml' AND TABLE_NAME = 'settings' AND COLUMN_NAME = 'note'").Scan(&n); err != nil || n != 1 {
		t.Errorf("cpn_uml.settings.note: %d (%v), want the column applied", n, err)
	}
}
