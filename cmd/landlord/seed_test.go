package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSeedCommand: seed --demo fills the development tenant and reports
// its rows per table; a production tenant is refused before the landlord
// database is opened, so a refusal creates nothing; seed without --demo
// is a usage error.
func TestSeedCommand(t *testing.T) {
	c := newCLI(t)
	c.must(0, "reconcile", "--tenant", "nepali-congress", "--tenant", "cpn-uml")

	// Refused: another landlord database path is not even created.
	fresh := filepath.Join(t.TempDir(), "never.db")
	out, _, code := c.run("seed", "cpn-uml", "--demo", "--repo", c.repo, "--server", "primary="+c.server, "--state", fresh)
	if code != 1 || !strings.Contains(out, "cpn-uml: refused: tenant cpn-uml is production (environment in tenants/cpn-uml.yaml)") {
		t.Errorf("seed of a production tenant: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a refused seed created the landlord database %s: %v", fresh, err)
	}
	if n := c.count("SELECT COUNT(*) FROM `" + c.database("cpn-uml") + "`.members"); n != 0 {
		t.Errorf("cpn-uml has %d members after a refused seed", n)
	}
	if _, errOut, code := c.run(append([]string{"seed", "nepali-congress"}, c.repoArgs()...)...); code != 2 || !strings.Contains(errOut, "pass --demo") {
		t.Errorf("seed without --demo: exit %d: %s", code, errOut)
	}

	var got struct {
		Seeds []struct {
			Tenant   string
			Inserted int
			Tables   []struct {
				Table    string
				Inserted int
				File     string
			}
			RowsPerSecond float64 `json:"rows_per_second"`
			Error         string
		}
	}
	c.decode(c.must(0, "seed", "nepali-congress", "--demo", "--scale", "200", "--seed", "9", "-o", "json"), &got)
	if len(got.Seeds) != 1 || got.Seeds[0].Error != "" || got.Seeds[0].RowsPerSecond <= 0 {
		t.Fatalf("seed: %+v", got)
	}
	members := -1
	for _, tb := range got.Seeds[0].Tables {
		if tb.Table == "members" {
			members = tb.Inserted
			if tb.File != "layers/templates/political-party/demo.yaml" {
				t.Errorf("members: from %s", tb.File)
			}
		}
	}
	if members != 200 || c.count("SELECT COUNT(*) FROM `"+c.database("nepali-congress")+"`.members") != 200 {
		t.Errorf("members: %d reported, want 200", members)
	}
	if n := c.count("SELECT COUNT(*) FROM `" + c.database("nepali-congress") + "`.members WHERE membership_no NOT LIKE 'NC-%'"); n != 0 {
		t.Errorf("%d members without the custom layer's NC- numbers", n)
	}
	// Text: one line per tenant, then one per table.
	text := c.must(0, "seed", "nepali-congress", "--demo", "--scale", "200", "--seed", "9")
	if !strings.Contains(text, "nepali-congress: seeded ") || !strings.Contains(text, "rows/s") || !strings.Contains(text, "  members ") {
		t.Errorf("seed text:\n%s", text)
	}
	// And a mix: the production tenant refused, the other seeded, exit 1.
	out, _, code = c.run(append([]string{"seed", "cpn-uml", "nepali-congress", "--demo", "--scale", "10"}, c.repoArgs()...)...)
	if code != 1 || !strings.Contains(out, "cpn-uml: refused") || !strings.Contains(out, "nepali-congress: seeded") {
		t.Errorf("seed of two tenants: exit %d\n%s", code, out)
	}
}
