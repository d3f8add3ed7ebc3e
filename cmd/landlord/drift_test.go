package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// driftJSON is the part of drift --output json the tests read.
type driftJSON struct {
	Counts struct {
		Drifted, Findings int
	} `json:"counts"`
	Tenants []struct {
		Slug   string        `json:"slug"`
		Status string        `json:"status"`
		Drift  []state.Drift `json:"drift"`
	} `json:"tenants"`
}

// finding is what a test compares of a drift record.
type finding struct{ Tenant, Kind, Object, Change, Severity string }

func (c *cli) drift(code int) (driftJSON, []finding) {
	c.t.Helper()
	var res driftJSON
	c.decode(c.must(code, "drift", "--output", "json"), &res)
	var got []finding
	for _, t := range res.Tenants {
		for _, d := range t.Drift {
			got = append(got, finding{t.Slug, d.Kind, d.Object, d.Change, string(d.Severity)})
		}
	}
	return res, got
}

// TestDrift is the drift acceptance on MariaDB: three hand-made changes in
// three tenants are reported with their severities and recorded once; the
// report policy leaves them; the heal policy restores one and resolves its
// record; the export of another, committed to its custom layer, leaves
// nothing to plan; repair restores the third.
func TestDrift(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	c.must(0, "reconcile")
	c.mustRaw(0, "drift", "--repo", c.repo, "--server", "primary="+c.server, "--state", c.state)

	c.exec("ALTER TABLE `" + c.database("cpn-uml") + "`.members ADD COLUMN nickname varchar(40)")
	c.exec("DROP INDEX members_status_idx ON `" + c.database("nepali-congress") + "`.members")
	c.exec("CREATE TABLE `" + c.database("rastriya-swatantra") + "`.scratch (id int PRIMARY KEY, note varchar(200))")

	want := []finding{
		{"cpn-uml", "column", "members.nickname", "added", "medium"},
		{"nepali-congress", "index", "members.members_status_idx", "removed", "high"},
		{"rastriya-swatantra", "table", "scratch", "added", "medium"},
	}
	st := c.store()
	var firstIDs []int64
	for i := range 2 {
		res, got := c.drift(2)
		if d := cmp.Diff(got, want); d != "" {
			t.Fatalf("run %d: findings (-got +want):\n%s", i+1, d)
		}
		for _, tn := range res.Tenants {
			wantStatus := map[string]string{"janamat": "skipped"}[tn.Slug]
			if wantStatus == "" {
				wantStatus = "drifted"
			}
			if tn.Status != wantStatus {
				t.Errorf("run %d: %s is %s, want %s", i+1, tn.Slug, tn.Status, wantStatus)
			}
		}
		var ids []int64
		for _, tn := range res.Tenants {
			for _, d := range tn.Drift {
				ids = append(ids, d.ID)
			}
		}
		if i == 0 {
			firstIDs = ids
		} else if d := cmp.Diff(ids, firstIDs); d != "" {
			t.Errorf("the second run has other records (-got +want):\n%s", d)
		}
	}
	var rows int
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM drift").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 3 {
		t.Fatalf("%d drift records after two runs, want 3", rows)
	}

	// Policy report (the default): reconcile leaves all three as they are,
	// and a plan has nothing to do.
	var rec reconcileJSON
	c.decode(c.must(0, "reconcile", "--output", "json"), &rec)
	for _, tn := range rec.Tenants {
		if len(tn.Changes) > 0 {
			t.Errorf("report: %s planned %+v", tn.Slug, tn.Changes)
		}
		for _, d := range tn.Drift {
			if d.Action != "left" {
				t.Errorf("report: %s drift %s %s", tn.Slug, d.Object, d.Action)
			}
		}
	}
	if !c.hasColumn("cpn-uml", "members", "nickname") || c.hasIndex("nepali-congress", "members", "members_status_idx") || !c.hasTable("rastriya-swatantra", "scratch") {
		t.Fatal("reconcile under policy report changed the drift")
	}
	c.must(0, "reconcile", "--plan", "--detailed-exitcode")
	if _, got := c.drift(2); len(got) != 3 {
		t.Fatalf("after a report reconcile: %+v", got)
	}

	// Policy heal on the tenant with the dropped index: restored, its
	// record resolved by that run.
	testenv.WriteFile(t, c.repo, "tenants/nepali-congress.yaml", readFile(t, filepath.Join(c.repo, "tenants/nepali-congress.yaml"))+"policy:\n  drift: heal\n")
	testenv.Replace(t, c.repo, "landlord.yaml", "  allowDestructive: false", "  allowDestructive: false\n  tenantOverrides: true")
	c.decode(c.must(0, "reconcile", "--output", "json"), &rec)
	if !c.hasIndex("nepali-congress", "members", "members_status_idx") {
		t.Fatal("policy heal did not restore the index")
	}
	hist, err := st.DriftHistory(ctx, "nepali-congress", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].ResolvedAt == nil || hist[0].ResolvedRunID != rec.RunID {
		t.Fatalf("the index's record after healing: %+v, run %d", hist, rec.RunID)
	}
	if !c.hasColumn("cpn-uml", "members", "nickname") || !c.hasTable("rastriya-swatantra", "scratch") {
		t.Fatal("healing one tenant changed the others")
	}

	// Adopt the nickname: export, commit to the custom layer, plan.
	hcl := c.must(0, "drift", "export", "cpn-uml")
	if !strings.Contains(hcl, `column "nickname"`) {
		t.Fatalf("export:\n%s", hcl)
	}
	testenv.WriteFile(t, c.repo, "layers/custom/cpn-uml/drift.hcl", hcl)
	c.must(0, "reconcile", "--plan", "--detailed-exitcode", "--tenant", "cpn-uml")
	c.must(0, "reconcile", "--plan", "--detailed-exitcode")
	c.must(0, "reconcile")
	_, got := c.drift(2)
	if d := cmp.Diff(got, want[2:]); d != "" {
		t.Fatalf("after adopting the nickname (-got +want):\n%s", d)
	}

	var status struct {
		Tenants []state.Status `json:"tenants"`
	}
	c.decode(c.mustRaw(0, "status", "--state", c.state, "--output", "json"), &status)
	for _, s := range status.Tenants {
		wantOpen := map[string]int{"rastriya-swatantra": 1}[s.Slug]
		if s.Drift.Open != wantOpen || (wantOpen == 1 && s.Drift.Highest != state.SeverityMedium) {
			t.Errorf("status of %s: drift %+v", s.Slug, s.Drift)
		}
	}

	// Repair restores the last one: the drop needs --allow-destructive.
	c.must(0, "repair", "rastriya-swatantra", "--plan", "--allow-destructive")
	c.must(1, "repair", "rastriya-swatantra")
	if !c.hasTable("rastriya-swatantra", "scratch") {
		t.Fatal("a blocked repair dropped the table")
	}
	c.must(0, "repair", "rastriya-swatantra", "--allow-destructive")
	if c.hasTable("rastriya-swatantra", "scratch") {
		t.Fatal("repair left the table")
	}
	if r, err := st.Runs(ctx, 1); err != nil || len(r) != 1 || r[0].Trigger != "repair" {
		t.Errorf("the last run: %+v %v", r, err)
	}
	c.drift(0)
	text := c.mustRaw(0, "status", "rastriya-swatantra", "--state", c.state)
	for _, s := range []string{"open drift               -", "(repair): update, succeeded, 1 statement(s)"} {
		if !strings.Contains(text, s) {
			t.Errorf("status lacks %q:\n%s", s, text)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
