package main

import (
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// TestHostileLiveNamesPrintEscaped: objects made by hand in a tenant
// database with names that hold terminal escapes, carriage returns, line
// breaks, C1 controls and bidirectional overrides are reported by drift,
// reconcile --plan, repair, status and the logs with those characters
// escaped (JSON with \u escapes that decode to the names), recognizable
// by the rest of their names; and a repair never runs a statement that
// names them.
func TestHostileLiveNamesPrintEscaped(t *testing.T) {
	c := newCLI(t)
	c.must(0, "reconcile")
	db := "`" + c.database("cpn-uml") + "`."
	c.exec("CREATE VIEW " + db + "`vw\x1b[2J\rok` AS SELECT 1 AS x")
	c.exec("CREATE TABLE " + db + "`tbl\u202eexe.txt` (id int PRIMARY KEY, `colc1\u009b31m` int)")
	c.exec("ALTER TABLE " + db + "members ADD COLUMN `nick\x1b]0;pwn\x07` varchar(10)")
	c.exec("CREATE INDEX `idx``tick\u2066` ON " + db + "members (id)")
	c.exec("CREATE TABLE `" + c.database("rastriya-swatantra") + "`.`exp\u202e\x1b[2J.txt` (id int PRIMARY KEY)")
	// A line break in a column name fails the inspection of the table: its
	// error names it.
	c.exec("CREATE TABLE `" + c.database("nepali-congress") + "`.`brk\u202e` (id int PRIMARY KEY, `col\rfor\nged` int)")
	c.exec("CREATE TRIGGER " + db + "`trg\n\x1b[1A\u2069` BEFORE INSERT ON " + db + "members FOR EACH ROW SET @landlord_x = 1")

	check := func(what, out string, names ...string) {
		t.Helper()
		if r, ok := testenv.RawUnprintable(out); ok {
			t.Errorf("%s prints the raw character %U:\n%s", what, r, out)
		}
		for _, n := range names {
			if !strings.Contains(out, n) {
				t.Errorf("%s does not name %s:\n%s", what, n, out)
			}
		}
	}
	// What each object's name looks like once escaped.
	view, table, nick, index, trigger := `vw\x1b[2J\rok`, `tbl\u202eexe.txt`, `nick\x1b]0;pwn\a`, "idx`tick\\u2066", `trg\n\x1b[1A\u2069`

	out, errOut, code := c.run(append([]string{"drift", "--log-level", "debug"}, c.repoArgs()...)...)
	if code != 1 {
		t.Fatalf("drift: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	check("drift", out, view, table, nick, index, trigger, `brk\u202e`)
	check("drift log", errOut)

	out, errOut, code = c.run(append([]string{"reconcile", "--plan", "--log-level", "debug"}, c.repoArgs()...)...)
	if code != 1 {
		t.Fatalf("reconcile --plan: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	check("reconcile --plan", out, view, table, nick, index, trigger, `brk\u202e`)
	check("reconcile --plan log", errOut)

	// The header comment of an export lists the objects: a terminal
	// escape there would reach the terminal, a line break in a name end
	// the comment.
	out, errOut, code = c.run(append([]string{"drift", "export", "rastriya-swatantra"}, c.repoArgs()...)...)
	if code != 0 {
		t.Fatalf("drift export: exit %d\n%s\n%s", code, out, errOut)
	}
	check("drift export", out, `#   table exp\u202e\x1b[2J.txt`, `table "exp\u202e\u001b[2J.txt"`)
	check("drift export stderr", errOut)

	out, errOut, code = c.run(append([]string{"repair", "cpn-uml", "--plan", "--log-level", "debug", "--log-format", "json"}, c.repoArgs()...)...)
	if code != 0 && code != 1 {
		t.Fatalf("repair --plan: exit %d\n%s\n%s", code, out, errOut)
	}
	// Views and triggers are not landlord's: repair leaves them.
	check("repair --plan", out, "DROP COLUMN `"+nick+"`", "DROP TABLE `lltest", "`.`"+table+"`")
	check("repair --plan log", errOut)

	// The statements quote the names as they are. Atlas does not double a
	// backquote of a name (DROP INDEX `idx`tick`): the guard that parses
	// each statement back before it runs refuses it, and every other
	// statement with a name that is not an identifier.
	var plan struct {
		Tenants []struct {
			Changes []struct {
				SQL string `json:"sql"`
			} `json:"changes"`
		} `json:"tenants"`
	}
	out, _, _ = c.run(append([]string{"repair", "cpn-uml", "--plan", "--output", "json"}, c.repoArgs()...)...)
	check("repair --plan --output json", out)
	c.decode(out, &plan)
	var stmts []string
	for _, tn := range plan.Tenants {
		for _, ch := range tn.Changes {
			stmts = append(stmts, ch.SQL)
		}
	}
	all := strings.Join(stmts, "\n")
	for _, want := range []string{"DROP COLUMN `nick\x1b]0;pwn\x07`", "DROP INDEX `idx`", "DROP TABLE `" + c.database("cpn-uml") + "`.`tbl\u202eexe.txt`"} {
		if !strings.Contains(all, want) {
			t.Errorf("repair --plan --output json: no %q in\n%s", want, all)
		}
	}

	out, errOut, code = c.run(append([]string{"repair", "cpn-uml", "--allow-destructive"}, c.repoArgs()...)...)
	if code != 1 || !strings.Contains(out+errOut, "refused before it ran") {
		t.Errorf("repair --allow-destructive: exit %d, want 1 and a refusal\n%s\n%s", code, out, errOut)
	}
	check("repair", out)
	check("repair stderr", errOut)
	if !c.hasIndex("cpn-uml", "members", "idx`tick\u2066") || !c.hasColumn("cpn-uml", "members", "nick\x1b]0;pwn\x07") {
		t.Error("repair ran a statement with a name that is not an identifier")
	}

	out = c.must(1, "drift", "--output", "json")
	check("drift --output json", out)
	var res driftJSON
	c.decode(out, &res)
	found := map[string]bool{}
	for _, tn := range res.Tenants {
		for _, d := range tn.Drift {
			found[d.Object] = true
		}
	}
	for _, o := range []string{"vw\x1b[2J\rok", "tbl\u202eexe.txt", "members.nick\x1b]0;pwn\x07", "members.idx`tick\u2066"} {
		if !found[o] {
			t.Errorf("drift --output json: no finding of %q in %v", o, found)
		}
	}

	out = c.mustRaw(0, "status", "cpn-uml", "--state", c.state)
	check("status", out)
}
