package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
)

// planFixture is the example provisioned on MariaDB, with its landlord
// database, shared by the steps of one test.
type planFixture struct {
	dir, state, prefix string
	repoArgs           []string
}

func provisionExample(t *testing.T) *planFixture {
	t.Helper()
	url := testenv.MySQLURL(t)
	f := &planFixture{prefix: testenv.Name(t)}
	testenv.DropPrefix(t, testenv.DB(t), f.prefix)
	f.dir = testenv.CopyExample(t, f.prefix)
	f.state = filepath.Join(t.TempDir(), "landlord.db")
	f.repoArgs = []string{"--repo", f.dir, "--server", "primary=" + url, "--state", f.state}
	if code, out, errOut := landlord(t, "", f.args("reconcile")...); code != 0 {
		t.Fatalf("provision: exit %d\n%s%s", code, out, errOut)
	}
	return f
}

func (f *planFixture) args(args ...string) []string { return append(args, f.repoArgs...) }

// planJSONOf runs a JSON plan and returns each tenant's action and changes.
func (f *planFixture) planJSONOf(t *testing.T, extra ...string) (map[string]any, int) {
	t.Helper()
	code, out, errOut := landlord(t, "", f.args(append([]string{"reconcile", "--plan", "--output", "json"}, extra...)...)...)
	var res struct {
		Tenants []struct {
			Slug    string `json:"slug"`
			Action  string `json:"action"`
			Changes any    `json:"changes"`
		} `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("plan %v: %v\n%s%s", extra, err, out, errOut)
	}
	got := map[string]any{}
	for _, tr := range res.Tenants {
		got[tr.Slug] = []any{tr.Action, tr.Changes}
	}
	return got, code
}

// samePlanAgainstState checks that planning from the landlord database's
// snapshots gives exactly the plan the live databases give.
func (f *planFixture) samePlanAgainstState(t *testing.T) {
	t.Helper()
	live, liveCode := f.planJSONOf(t)
	fromState, stateCode := f.planJSONOf(t, "--against", "state")
	if diff := cmp.Diff(fromState, live); diff != "" || stateCode != liveCode {
		t.Errorf("against state (exit %d) differs from live (exit %d) (-state +live):\n%s", stateCode, liveCode, diff)
	}
}

func TestPlanReportsOnMariaDB(t *testing.T) {
	f := provisionExample(t)

	t.Run("no changes", func(t *testing.T) {
		code, out, errOut := landlord(t, "", f.args("reconcile", "--plan", "--detailed-exitcode", "--output", "markdown")...)
		if code != 0 || !strings.Contains(out, "**0 to create · 0 to update · 3 unchanged · 0 blocked · 0 failed** · 1 suspended") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
		f.samePlanAgainstState(t)
	})

	// A column added in a module two tenants use, and a new tenant.
	testenv.Replace(t, f.dir, "layers/modules/election/election.hcl", "table \"candidates\" {\n  schema = schema.tenant\n",
		"table \"candidates\" {\n  schema = schema.tenant\n  column \"manifesto_url\" {\n    type = varchar(255)\n    null = true\n  }\n")
	testenv.WriteFile(t, f.dir, "tenants/new-party.yaml",
		"slug: new-party\nname: New Party\ntemplate: political-party\nmodules: [social]\ndatabase: "+f.prefix+"new_party\n")

	t.Run("markdown groups tenants", func(t *testing.T) {
		code, out, errOut := landlord(t, "", f.args("reconcile", "--plan", "--output", "markdown", "--detailed-exitcode")...)
		if code != 2 {
			t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
		}
		for _, want := range []string{
			"**1 to create · 2 to update · 1 unchanged · 0 blocked · 0 failed** · 1 suspended",
			"#### Update · `cpn-uml`, `nepali-congress`\n",
			"1. `module/election` · `layers/modules/election/election.hcl:",
			"`` ALTER TABLE `candidates` ADD COLUMN `manifesto_url` varchar(255) NULL ``",
			"#### Create · `new-party`\n",
			"1. `basic` · `layers/basic/schema.hcl:3`\n   `` CREATE DATABASE `" + f.prefix + "new_party` COLLATE utf8mb4_unicode_ci ``",
			"<details><summary>",
			"Rows · `committee_levels` 5 insert · `provinces` 7 insert · `districts` 77 insert · `local_levels` 21 insert · `membership_fee_types` 4 insert\n",
			"- `districts` insert id=1: province\\_id=\"1\", name\\_en=\"Taplejung\", name\\_ne=\"ताप्लेजुङ\" (layers/basic/data/districts.yaml:4)\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
		if strings.Count(out, "manifesto_url") != 1 || strings.Contains(out, "[!CAUTION]") {
			t.Errorf("the shared change must show once, with no destructive warning:\n%s", out)
		}
		// Every statement names its layer and file: the schema's, and
		// the INSERTs of the basic layer's three reference tables and
		// the template's two.
		if n, m := strings.Count(out, "` · `layers/"), 1+23+5; n != m {
			t.Errorf("%d statements with layer and file, want %d:\n%s", n, m, out)
		}
		code, text, _ := landlord(t, "", f.args("reconcile", "--plan")...)
		if code != 0 || !strings.Contains(text, "update cpn-uml ("+f.prefix+"cpn_uml on primary, mysql), nepali-congress ("+f.prefix+"nepali_congress on primary, mysql): 1 statement(s)\n") ||
			!strings.Contains(text, "  rows: committee_levels: 5 insert; provinces: 7 insert; districts: 77 insert; local_levels: 21 insert; membership_fee_types: 4 insert\n") {
			t.Errorf("text plan not grouped:\n%s", text)
		}
		f.samePlanAgainstState(t)
	})

	// A column removed from a layer: a destructive statement for the two
	// tenants with the social module.
	testenv.Replace(t, f.dir, "layers/modules/social/social.hcl", "  column \"avatar_url\" {\n    type = varchar(255)\n    null = true\n  }\n", "")

	t.Run("destructive flagged at the top", func(t *testing.T) {
		code, out, errOut := landlord(t, "", f.args("reconcile", "--plan", "--output", "markdown", "--detailed-exitcode")...)
		if code != 1 {
			t.Fatalf("exit %d, want 1 (blocked)\n%s%s", code, out, errOut)
		}
		caution := strings.Index(out, "> [!CAUTION]\n> **1 destructive statement(s)**")
		first := strings.Index(out, "#### ")
		if caution < 0 || caution > first {
			t.Fatalf("destructive statements not flagged before the plans:\n%s", out)
		}
		if !strings.Contains(out, "> - `` ALTER TABLE `users` DROP COLUMN `avatar_url` `` — drops column avatar\\_url · `basic` · `layers/basic/identity.hcl:3` — on `nepali-congress`, `rastriya-swatantra`\n") {
			t.Errorf("destructive line:\n%s", out)
		}
		if !strings.Contains(out, "**1 to create · 1 to update · 0 unchanged · 2 blocked · 0 failed**") {
			t.Errorf("summary:\n%s", out)
		}
		f.samePlanAgainstState(t)
	})

	t.Run("stale snapshot warns", func(t *testing.T) {
		// Drift: a column added by hand. Under policy heal the next
		// reconcile finds it and is blocked (dropping it is destructive), so
		// the tenant's last run is newer than its snapshot and found another
		// schema. (Under policy report it would leave the column alone.)
		testenv.Replace(t, f.dir, "tenants/cpn-uml.yaml", "slug: cpn-uml\n", "slug: cpn-uml\npolicy:\n  drift: heal\n")
		testenv.Replace(t, f.dir, "landlord.yaml", "  allowDestructive: false", "  allowDestructive: false\n  tenantOverrides: true")
		db := testenv.DB(t)
		if _, err := db.Exec("ALTER TABLE `" + f.prefix + "cpn_uml`.`members` ADD COLUMN `nickname` varchar(32) NULL"); err != nil {
			t.Fatal(err)
		}
		if code, out, errOut := landlord(t, "", f.args("reconcile", "--tenant", "cpn-uml")...); code != 1 || !strings.Contains(out, "blocked") {
			t.Fatalf("reconcile the drifted tenant: exit %d\n%s%s", code, out, errOut)
		}
		_, out, errOut := landlord(t, "", f.args("reconcile", "--plan", "--against", "state", "--tenant", "cpn-uml")...)
		if !strings.Contains(out, "cpn-uml: planned from snapshot ") ||
			!strings.Contains(out, "warning: cpn-uml: snapshot ") || !strings.Contains(out, "the database has drifted from the snapshot") {
			t.Errorf("no stale-snapshot warning:\n%s%s", out, errOut)
		}
	})
}
