package reconciler

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/landlord/landlord/internal/testenv"
)

// A tenant server out of space (here a tablespace that cannot grow; a
// full disk fails the same way) fails the tenants that have something to
// write as transient, with an error that names the server's state rather
// than blaming a layer's file and line; once space is freed the change is
// applied once the server has room again.
func TestOutOfSpaceServerIsTransient(t *testing.T) {
	t.Parallel()
	m := testenv.NewMariaDB(t)
	m.Args = []string{"--innodb-file-per-table=OFF", "--innodb-data-file-path=ibdata1:12M:autoextend:max:48M"}
	m.Start()
	root, err := sql.Open("mysql", "root@tcp("+m.Addr()+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	root.SetMaxOpenConns(1)
	f := &fixture{t: t, server: m.URL()}
	f.repo = testenv.CopyExample(t, "")
	f.open(filepath.Join(t.TempDir(), "landlord.db"))
	if res := f.reconcile(Options{}); res.Failed() {
		t.Fatalf("first reconcile: %+v", res.Tenants)
	}
	// Fill the tablespace.
	for _, q := range []string{"CREATE DATABASE filler", "CREATE TABLE filler.f (id int AUTO_INCREMENT PRIMARY KEY, b longblob) ENGINE=InnoDB"} {
		if _, err := root.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; ; i++ {
		_, err := root.Exec("INSERT INTO filler.f (b) VALUES (REPEAT('x', 60000))")
		var mysqlErr *gomysql.MySQLError
		if err != nil {
			if !errors.As(err, &mysqlErr) || mysqlErr.Number != 1114 {
				t.Fatalf("fill: %v", err)
			}
			break
		}
		if i > 2000 {
			t.Fatal("the tablespace does not fill")
		}
	}
	testenv.Replace(t, f.repo, "layers/basic/settings.hcl", "  column \"updated_at\" {",
		"  column \"note\" {\n    type = int\n    null = true\n  }\n  column \"updated_at\" {")
	tr := byslug(f.reconcile(Options{}))["cpn-uml"]
	if tr.Action != ActionError || tr.Class != Transient {
		t.Fatalf("cpn-uml on a full server: %s (%s): %s; want a transient error", tr.Action, tr.Class, tr.Error)
	}
	if !strings.Contains(tr.Error, "out of space") || strings.Contains(tr.Error, "layers/") {
		t.Errorf("error %q: want it to say the server is out of space and blame no layer", tr.Error)
	}
	t.Logf("full: %s", tr.Error)
	// Give the server room the way an operator would: a larger limit and
	// a restart. Dropping the filler is not reliable here: with the
	// tablespace full, the drop itself can fail for want of undo space.
	m.Stop()
	m.Args = []string{"--innodb-file-per-table=OFF", "--innodb-data-file-path=ibdata1:12M:autoextend:max:128M"}
	m.Start()
	if res := f.reconcile(Options{}); res.Failed() {
		t.Fatalf("space freed: %+v", res.Tenants)
	}
}
