package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// sqliteRepo is a copy of the example whose tenants are SQLite files in a
// temporary directory, with a landlord database of its own: the CLI's
// surface without a database server.
type sqliteRepo struct {
	dir, tenants, state string
}

func newSQLiteRepo(t *testing.T) *sqliteRepo {
	t.Helper()
	t.Setenv("LANDLORD_PRIMARY_URL", "")
	tmp := t.TempDir()
	return &sqliteRepo{dir: testenv.CopyExample(t, ""), tenants: filepath.Join(tmp, "tenants"), state: filepath.Join(tmp, "landlord.db")}
}

// args are the flags that point a command at the copy.
func (r *sqliteRepo) args() []string {
	return []string{"--repo", r.dir, "--server", "primary=sqlite://" + r.tenants, "--state", r.state}
}

// TestServerOverrideTypo: --server with a name landlord.yaml does not
// define is an error listing the defined servers, and nothing is created
// from the default URL.
func TestServerOverrideTypo(t *testing.T) {
	r := newSQLiteRepo(t)
	code, out, errOut := landlord(t, r.dir, "reconcile", "--repo", r.dir, "--server", "primay=sqlite://"+r.tenants, "--state", r.state)
	if code != 1 || !strings.Contains(errOut, `landlord.yaml defines no server "primay" (defined: primary)`) {
		t.Errorf("exit %d, want 1 and the defined servers\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, dir := range []string{r.tenants, filepath.Join(r.dir, ".landlord")} {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s was created", dir)
		}
	}
}

// TestTableNamesEngine: the reconcile table and the plan name each
// tenant's engine, so SQL for SQLite is not mistaken for MariaDB's.
func TestTableNamesEngine(t *testing.T) {
	r := newSQLiteRepo(t)
	code, out, errOut := landlord(t, "", append([]string{"reconcile", "--plan", "--tenant", "cpn-uml"}, r.args()...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"create cpn-uml (cpn_uml on primary, sqlite)", "TENANT   SERVER   ENGINE  DATABASE", "cpn-uml  primary  sqlite  cpn_uml"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = landlord(t, "", append([]string{"reconcile", "--plan", "--tenant", "cpn-uml", "-o", "json"}, r.args()...)...)
	if doc := decodeEngine(t, out); code != 0 || doc != "sqlite" {
		t.Errorf("json engine %q, exit %d", doc, code)
	}
}

func decodeEngine(t *testing.T, out string) string {
	t.Helper()
	var doc struct {
		Tenants []struct {
			Engine string `json:"engine"`
		} `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Tenants) != 1 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	return doc.Tenants[0].Engine
}

// TestPlanAgainstStateOtherEngine: a plan against the landlord database
// whose snapshot was taken on MariaDB, while the server's URL says SQLite,
// says plainly that the engine differs.
func TestPlanAgainstStateOtherEngine(t *testing.T) {
	r := newSQLiteRepo(t)
	st, err := state.Open(context.Background(), r.state)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.AddSnapshot(context.Background(), state.Snapshot{Tenant: "cpn-uml", Revision: "abc", Engine: "mariadb", Hash: "h",
		HCL: "schema \"cpn_uml\" {\n  charset = \"utf8mb4\"\n}\ntable \"t\" {\n  schema = schema.cpn_uml\n  column \"c\" {\n    type = enum(\"a\", \"b\")\n  }\n}\n"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := landlord(t, "", append([]string{"reconcile", "--plan", "--against", "state", "--tenant", "cpn-uml"}, r.args()...)...)
	want := `cpn-uml: the engine differs: snapshot 1 was taken on mariadb, but server "primary" is sqlite here`
	if code != 1 || !strings.Contains(out, want) || strings.Contains(out+errOut, "no function named") {
		t.Errorf("exit %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
	}
}

// TestDatabasePrefixEndToEnd: with databasePrefix: stg_ the tenants'
// databases are created under the prefix, and the table says so.
func TestDatabasePrefixEndToEnd(t *testing.T) {
	r := newSQLiteRepo(t)
	testenv.Replace(t, r.dir, "landlord.yaml", "    maxConnections: 8\n", "    maxConnections: 8\n    databasePrefix: stg_\n")
	code, out, errOut := landlord(t, "", append([]string{"reconcile", "--tenant", "cpn-uml"}, r.args()...)...)
	if code != 0 || !strings.Contains(out, "cpn-uml  primary  sqlite  stg_cpn_uml") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(r.tenants, "stg_cpn_uml.db")); err != nil {
		t.Errorf("the prefixed database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.tenants, "cpn_uml.db")); err == nil {
		t.Error("a database without the prefix was created")
	}
}

// TestSQLiteDefaultInRepo: the example's default URL, sqlite://.landlord/
// tenants, is in the repository whatever the working directory.
func TestSQLiteDefaultInRepo(t *testing.T) {
	r := newSQLiteRepo(t)
	elsewhere := t.TempDir()
	code, out, errOut := landlord(t, elsewhere, "reconcile", "--repo", r.dir, "--state", r.state, "--tenant", "cpn-uml")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(r.dir, ".landlord", "tenants", "cpn_uml.db")); err != nil {
		t.Errorf("the tenant's file is not in the repository: %v", err)
	}
	if _, err := os.Stat(filepath.Join(elsewhere, ".landlord")); err == nil {
		t.Error("the working directory got a .landlord directory")
	}
}
