package reconciler

import (
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// A first provisioning that fails midway leaves no half-built database behind with
// database.cleanupOnFailure, and leaves it without.
func TestCleanupOnFailure(t *testing.T) {
	t.Parallel()
	for _, cleanup := range []bool{true, false} {
		name := "keep"
		if cleanup {
			name = "cleanup"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newMariaFixture(t)
			if cleanup {
				testenv.Replace(t, f.repo, "landlord.yaml", "database:", "database:\n  cleanupOnFailure: true")
			}
			// Just before the apply, another hand creates the database and
			// one of its tables, empty: the apply fails midway.
			db := f.database("nepali-congress")
			acting := func(TenantResult) {
				for _, q := range []string{"CREATE DATABASE IF NOT EXISTS `" + db + "`", "CREATE TABLE `" + db + "`.users (id INT PRIMARY KEY)"} {
					if _, err := f.db.Exec(q); err != nil {
						t.Error(err)
					}
				}
			}
			res := byslug(f.reconcile(Options{Tenants: []string{"nepali-congress"}, Acting: acting}))["nepali-congress"]
			if res.Action != ActionError {
				t.Fatalf("action %s: want a failed provisioning", res.Action)
			}
			if got := f.exists("nepali-congress"); got == cleanup {
				t.Errorf("database exists %v after a failed provisioning with cleanupOnFailure %v (%s; warnings %v)", got, cleanup, res.Error, res.Warnings)
			}
			if cleanup && !strings.Contains(strings.Join(res.Warnings, ";"), "was dropped") {
				t.Errorf("warnings: %v", res.Warnings)
			}
		})
	}
}
