package reconciler

import (
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// A statement that does not parse back to the names its plan intended is
// refused before any statement of the plan runs, recorded as refused, and
// the tenant stalls; the other statements are recorded as skipped.
func TestRefusedStatementIsRecorded(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	only := Options{Tenants: []string{"nepali-congress"}, AllowDestructive: true}
	f.reconcile(only)
	db := f.database("nepali-congress")
	// Made by hand, out of band: a name no layer may hold.
	if _, err := f.db.Exec("CREATE TABLE `" + db + "`.`x # y` (id int)"); err != nil {
		t.Fatal(err)
	}
	testenv.Replace(t, f.repo, "landlord.yaml", "  allowDestructive: false", "  allowDestructive: false\n  drift: heal")
	res := byslug(f.reconcile(only))["nepali-congress"]
	if res.Action != ActionError || !strings.Contains(res.Error, `refused before it ran: the name "x # y"`) {
		t.Fatalf("action %s, error %q: want the drop refused", res.Action, res.Error)
	}
	if res.Class != Stalled {
		t.Errorf("class %s: want stalled", res.Class)
	}
	var tables int
	if err := f.db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'x # y'", db).Scan(&tables); err != nil || tables != 1 {
		t.Errorf("table x # y: %d (%v), want it kept", tables, err)
	}
	rows, err := f.store.DB().Query("SELECT status, sql_text FROM statements WHERE tenant = 'nepali-congress' AND run_id = (SELECT MAX(run_id) FROM statements WHERE tenant = 'nepali-congress')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	statuses := map[string]int{}
	for rows.Next() {
		var status, sql string
		rows.Scan(&status, &sql)
		statuses[status]++
		if status == "refused" && !strings.Contains(sql, "x # y") {
			t.Errorf("refused statement %q: want the drop of x # y", sql)
		}
	}
	if statuses["refused"] != 1 || statuses["applied"] != 0 || statuses["pending"] != 0 {
		t.Errorf("statement statuses %v: want one refused, none applied or pending", statuses)
	}
}
