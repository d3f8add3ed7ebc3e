package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/internal/testenv"
)

// TestBackupCommands: backup, backups list and show, and restore into a
// new database verified; restoring over the live tenant is refused.
func TestBackupCommands(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(t.TempDir(), "backups")
	testenv.WriteFile(t, c.repo, "landlord.yaml", readFile(t, c.repo+"/landlord.yaml")+"\nbackups:\n  location: "+dir+"\n")
	c.must(0, "reconcile", "--tenant", "cpn-uml")
	db := c.database("cpn-uml")
	if _, err := c.db.Exec("CREATE TABLE `" + db + "`.extra (id INT PRIMARY KEY, v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Exec("INSERT INTO `" + db + "`.extra VALUES (1, 'a'), (2, NULL)"); err != nil {
		t.Fatal(err)
	}
	c.must(2, "backup")
	var taken struct {
		Backups []struct {
			Tenant   string
			Manifest *backup.Manifest
			Error    string
		}
	}
	c.decode(c.must(0, "backup", "cpn-uml", "-o", "json"), &taken)
	if len(taken.Backups) != 1 || taken.Backups[0].Manifest == nil {
		t.Fatalf("backup: %+v", taken)
	}
	extra := int64(-1)
	for _, tb := range taken.Backups[0].Manifest.Tables {
		if tb.Name == "extra" {
			extra = tb.Rows
		}
	}
	if extra != 2 {
		t.Fatalf("backup: table extra has %d rows in the manifest, want 2: %+v", extra, taken.Backups[0].Manifest.Tables)
	}
	id := taken.Backups[0].Manifest.ID
	list := c.must(0, "backups", "list")
	if !strings.Contains(list, id) || !strings.Contains(list, "complete  yes") {
		t.Errorf("backups list:\n%s", list)
	}
	if show := c.must(0, "backups", "show", id); !regexp.MustCompile(`(?m)^\s*extra\s+2\s`).MatchString(show) || !strings.Contains(show, fmt.Sprintf("%d rows", taken.Backups[0].Manifest.Rows())) {
		t.Errorf("backups show:\n%s", show)
	}
	out, _, code := c.run(append([]string{"restore", "cpn-uml", "--from", id}, c.repoArgs()...)...)
	if code != 1 {
		t.Errorf("restore over the live tenant: exit %d\n%s", code, out)
	}
	out = c.must(0, "restore", "cpn-uml", "--from", id, "--to-database", c.prefix+"copy")
	if !strings.Contains(out, "schema hash verified") {
		t.Errorf("restore:\n%s", out)
	}
	var n int
	if err := c.db.QueryRow("SELECT COUNT(*) FROM `" + c.prefix + "copy`.extra WHERE v = 'a' OR v IS NULL").Scan(&n); err != nil || n != 2 {
		t.Errorf("restored rows: %d %v", n, err)
	}
}
