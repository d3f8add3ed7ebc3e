package daemon

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// backups.schedule in landlord.yaml: the leader backs up every tenant with
// a database, recorded as scheduled backups.
func TestScheduledBackups(t *testing.T) {
	f := newFixture(t, false)
	yaml, err := os.ReadFile(filepath.Join(f.git.Work, "landlord.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, f.git.Work, "landlord.yaml", string(yaml)+"\nbackups:\n  location: "+filepath.Join(t.TempDir(), "backups")+"\n  schedule: \"@every 2s\"\n")
	f.git.Commit(t, "scheduled backups")
	f.start(f.config("a"), f.store)
	eventually(t, "a scheduled backup of every provisioned tenant", func() bool {
		for _, slug := range []string{"cpn-uml", "nepali-congress", "rastriya-swatantra"} {
			bs, err := f.store.Backups(context.Background(), slug, 0)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, b := range bs {
				found = found || b.Kind == "scheduled" && b.Status == state.BackupComplete
			}
			if !found {
				return false
			}
		}
		return true
	})
}
