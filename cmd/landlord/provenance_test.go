package main

import (
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// TestDropNamesTheFileThatRemovedIt: a column and index a module declared
// on the template's table, removed from the module's file, are dropped by
// statements attributed to that file (and the revision that declared
// them), not to the template that defines the table.
func TestDropNamesTheFileThatRemovedIt(t *testing.T) {
	r := newSQLiteRepo(t)
	g := testenv.NewGit(t, r.dir)
	first := strings.TrimSpace(g.Commit(t, "first"))
	if code, out, errOut := landlord(t, "", append([]string{"reconcile", "--tenant", "cpn-uml"}, r.args()...)...); code != 0 {
		t.Fatalf("provision: exit %d\n%s%s", code, out, errOut)
	}
	testenv.Replace(t, r.dir, "layers/modules/election/election.hcl", `  column "voter_id" {
    type = varchar(32)
    null = true
  }
  index "members_voter_id_idx" {
    columns = [column.voter_id]
  }
`, "")
	second := g.Commit(t, "election: members no longer have a voter id")
	want := "module/election (removed: declared at layers/modules/election/election.hcl:175 in revision " + first[:12] + ")"
	code, out, errOut := landlord(t, "", append([]string{"reconcile", "--plan", "--tenant", "cpn-uml"}, r.args()...)...)
	// SQLite drops a column by rebuilding the table: the statement that
	// loses the column is the DROP TABLE of the old copy.
	if code != 1 || !strings.Contains(out, "! DROP TABLE `members`  -- "+want) {
		t.Errorf("plan: exit %d, want 1 (blocked) and the drop attributed to the file that removed it, %q, in:\n%s%s", code, want, out, errOut)
	}
	code, out, errOut = landlord(t, "", "diff", "--repo", r.dir, "--base", first, "--head", second, "--server", "primary=sqlite://"+r.tenants)
	if code != 0 || !strings.Contains(out, "cpn-uml") || !strings.Contains(out, want) {
		t.Errorf("diff: exit %d; want %q in:\n%s%s", code, want, out, errOut)
	}
}
