package main

import (
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// TestDriftExportLeavesUnmanagedObjects: a tenant database that holds a
// view and a trigger made by hand besides a column exports the column;
// the view and the trigger, which no layer can declare, are left out of
// the HCL and named (escaped) in its header and on stderr. The export
// committed to the custom layer leaves nothing to plan.
func TestDriftExportLeavesUnmanagedObjects(t *testing.T) {
	c := newCLI(t)
	c.must(0, "reconcile")
	db := "`" + c.database("cpn-uml") + "`."
	c.exec("ALTER TABLE " + db + "members ADD COLUMN nickname varchar(40)")
	c.exec("CREATE VIEW " + db + "`active\u202emembers` AS SELECT id FROM " + db + "members")
	c.exec("CREATE TRIGGER " + db + "members_touch BEFORE INSERT ON " + db + "members FOR EACH ROW SET @landlord_x = 1")

	out, errOut, code := c.run(append([]string{"drift", "export", "cpn-uml"}, c.repoArgs()...)...)
	if code != 0 {
		t.Fatalf("drift export: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, what := range []struct{ name, text string }{{"stdout", out}, {"stderr", errOut}} {
		if r, ok := testenv.RawUnprintable(what.text); ok {
			t.Errorf("drift export %s holds the raw character %U:\n%s", what.name, r, what.text)
		}
	}
	if !strings.Contains(out, `column "nickname"`) {
		t.Errorf("the export does not adopt the column:\n%s", out)
	}
	for _, name := range []string{`active\u202emembers`, "members_touch"} {
		if !strings.Contains(out, name) || !strings.Contains(errOut, name) {
			t.Errorf("the export's header and stderr do not both name %s:\nstdout:\n%s\nstderr:\n%s", name, out, errOut)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "#") && (strings.Contains(line, "view") || strings.Contains(line, "trigger") || strings.Contains(line, "members_touch")) {
			t.Errorf("the export declares an object landlord does not manage: %q\n%s", line, out)
		}
	}
	testenv.WriteFile(t, c.repo, "layers/custom/cpn-uml/drift.hcl", out)
	c.must(0, "reconcile", "--plan", "--detailed-exitcode", "--tenant", "cpn-uml")
}
