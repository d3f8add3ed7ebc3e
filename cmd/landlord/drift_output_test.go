package main

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// sqliteTenant opens a tenant's SQLite file, to change it by hand.
func (r *sqliteRepo) sqliteTenant(t *testing.T, database string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(r.tenants, database+".db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (r *sqliteRepo) exec(t *testing.T, database, q string) {
	t.Helper()
	if _, err := r.sqliteTenant(t, database).Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestBlockedRepairRestoresNothing: a repair blocked by its destructive
// statement says the drift was not restored, in text and JSON.
func TestBlockedRepairRestoresNothing(t *testing.T) {
	r := newSQLiteRepo(t)
	if code, out, errOut := landlord(t, "", append([]string{"reconcile", "--tenant", "cpn-uml"}, r.args()...)...); code != 0 {
		t.Fatalf("provision: exit %d\n%s%s", code, out, errOut)
	}
	r.exec(t, "cpn_uml", "ALTER TABLE members ADD COLUMN nickname varchar(40)")
	code, out, _ := landlord(t, "", append([]string{"repair", "cpn-uml"}, r.args()...)...)
	if code != 1 || !strings.Contains(out, "blocked") {
		t.Fatalf("repair: exit %d, want 1 and blocked\n%s", code, out)
	}
	if strings.Contains(out, "drift restored") || !strings.Contains(out, "drift not restored: the plan is blocked, nothing was changed") {
		t.Errorf("a blocked repair must say the drift was not restored:\n%s", out)
	}
	_, out, _ = landlord(t, "", append([]string{"repair", "cpn-uml", "-o", "json"}, r.args()...)...)
	var doc reconcileJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tenants) != 1 || len(doc.Tenants[0].Drift) != 1 || doc.Tenants[0].Drift[0].Action != "not_restored" {
		t.Errorf("json drift: %+v, want one finding not_restored", doc.Tenants)
	}
}

// TestDriftHintExportsOnlyAdded: the hint after drift left in place
// suggests drift export only for what export can write (added objects),
// never for a removed index.
func TestDriftHintExportsOnlyAdded(t *testing.T) {
	r := newSQLiteRepo(t)
	if code, out, errOut := landlord(t, "", append([]string{"reconcile", "--tenant", "cpn-uml"}, r.args()...)...); code != 0 {
		t.Fatalf("provision: exit %d\n%s%s", code, out, errOut)
	}
	var index string
	if err := r.sqliteTenant(t, "cpn_uml").QueryRow("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name LIMIT 1").Scan(&index); err != nil {
		t.Fatal(err)
	}
	r.exec(t, "cpn_uml", "DROP INDEX "+index)
	code, out, _ := landlord(t, "", append([]string{"reconcile", "--tenant", "cpn-uml"}, r.args()...)...)
	if code != 0 || !strings.Contains(out, "drift left as it is (policy report; landlord repair cpn-uml restores it)") || strings.Contains(out, "drift export") {
		t.Errorf("exit %d; a removed index left in place must not suggest drift export:\n%s", code, out)
	}
	r.exec(t, "cpn_uml", "CREATE TABLE scratch (id integer PRIMARY KEY)")
	_, out, _ = landlord(t, "", append([]string{"reconcile", "--tenant", "cpn-uml"}, r.args()...)...)
	if !strings.Contains(out, "landlord drift export cpn-uml adopts what it added") {
		t.Errorf("an added table left in place suggests drift export:\n%s", out)
	}
}
