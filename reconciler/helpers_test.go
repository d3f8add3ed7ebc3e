package reconciler

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// fixture is a copy of the example repository whose tenants live in
// databases of the test's own prefix, on MariaDB or in an SQLite directory,
// with a landlord database of its own.
type fixture struct {
	t      testing.TB
	repo   string
	server string // URL of the primary server
	// others are the URLs of servers besides primary, by name.
	others map[string]string
	prefix string
	db     *sql.DB // MariaDB, nil on SQLite
	store  *state.Store
	rec    *Reconciler
}

func newMariaFixture(t testing.TB) *fixture {
	t.Helper()
	prefix := testenv.Name(t)
	f := &fixture{t: t, server: testenv.MySQLURL(t), prefix: prefix, db: testenv.DB(t)}
	testenv.DropPrefix(t, f.db, prefix)
	f.repo = testenv.CopyExample(t, prefix)
	f.open(filepath.Join(t.TempDir(), "landlord.db"))
	return f
}

func newSQLiteFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, server: "sqlite://" + filepath.Join(t.TempDir(), "tenants")}
	f.repo = testenv.CopyExample(t, "")
	f.open(filepath.Join(t.TempDir(), "landlord.db"))
	return f
}

func (f *fixture) open(statePath string) {
	f.t.Helper()
	st, err := state.Open(context.Background(), statePath)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { st.Close() })
	f.store = st
	f.rec = New(st, nil)
	f.t.Cleanup(func() { f.rec.Close() })
	f.rec.SetBackups(testBackups(f.t))
}

// testBackups opens a backup storage in a temporary directory.
func testBackups(t testing.TB) *backup.Storage {
	t.Helper()
	bs, err := backup.Open(context.Background(), filepath.Join(t.TempDir(), "backups"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	return bs
}

// load reads the fixture's repository with the primary server overridden.
func (f *fixture) load() *desired.Repo {
	f.t.Helper()
	co, err := desired.Open(context.Background(), desired.Source{Repo: f.repo})
	if err != nil {
		f.t.Fatal(err)
	}
	servers := map[string]string{"primary": f.server}
	for name, url := range f.others {
		servers[name] = url
	}
	repo, err := desired.Load(co.FS, co.Revision, desired.LoadOptions{Servers: servers})
	if err != nil {
		f.t.Fatal(err)
	}
	return repo
}

// reconcile runs a reconcile of the fixture and fails on a run error.
func (f *fixture) reconcile(opts Options) *Result {
	f.t.Helper()
	res, err := f.rec.Reconcile(context.Background(), f.load(), opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// database returns the database name of a tenant of the fixture.
func (f *fixture) database(slug string) string {
	name := strings.ReplaceAll(slug, "-", "_")
	if slug == "rastriya-swatantra" {
		name = "rsp"
	}
	return f.prefix + name
}

// columns returns the columns of a table of a MariaDB tenant database.
func (f *fixture) columns(slug, table string) []string {
	f.t.Helper()
	rows, err := f.db.Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", f.database(slug), table)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	return cols
}

// exists reports whether a MariaDB tenant database exists.
func (f *fixture) exists(slug string) bool {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", f.database(slug)).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n == 1
}

func byslug(res *Result) map[string]TenantResult {
	out := map[string]TenantResult{}
	for _, t := range res.Tenants {
		out[t.Slug] = t
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
