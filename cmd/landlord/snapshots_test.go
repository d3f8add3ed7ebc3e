package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// TestSnapshots: snapshots on demand, their list, HCL and diff, and the
// retention of landlord.yaml: the oldest beyond the limits go, never the
// latest nor the drift baseline.
func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	testenv.WriteFile(t, c.repo, "landlord.yaml", readFile(t, c.repo+"/landlord.yaml")+"\nsnapshots:\n  keep: 2\n  maxDays: 1\n")
	c.must(0, "reconcile", "--tenant", "cpn-uml")
	st := c.store()
	list := func() []int64 {
		t.Helper()
		var res struct {
			Snapshots []state.Snapshot `json:"snapshots"`
		}
		c.decode(c.mustRaw(0, "snapshots", "list", "cpn-uml", "--state", c.state, "--output", "json"), &res)
		var ids []int64
		for _, s := range res.Snapshots {
			ids = append(ids, s.ID)
		}
		return ids
	}
	snapshot := func() int64 {
		t.Helper()
		var s state.Snapshot
		c.decode(c.must(0, "snapshot", "cpn-uml", "--output", "json"), &s)
		if s.Kind != state.SnapshotManual || s.ID == 0 {
			t.Fatalf("snapshot: %+v", s)
		}
		return s.ID
	}
	baseline := list()
	if len(baseline) != 1 {
		t.Fatalf("after the first reconcile: snapshots %v", baseline)
	}
	m1, m2 := snapshot(), snapshot()
	// Everything is younger than a day: nothing goes, beyond keep or not.
	if d := cmp.Diff(list(), []int64{m2, m1, baseline[0]}); d != "" {
		t.Fatalf("young snapshots pruned (-got +want):\n%s", d)
	}

	// A month later, a column added by hand and a snapshot of it: the
	// newest two stay (the new one and m2), and the baseline; m1 goes.
	if _, err := st.DB().ExecContext(ctx, "UPDATE snapshots SET created_at = ?", time.Now().UTC().AddDate(0, -1, 0)); err != nil {
		t.Fatal(err)
	}
	c.exec("ALTER TABLE `" + c.database("cpn-uml") + "`.members ADD COLUMN nickname varchar(40)")
	m3 := snapshot()
	if d := cmp.Diff(list(), []int64{m3, m2, baseline[0]}); d != "" {
		t.Fatalf("retention (-got +want):\n%s", d)
	}

	// A manual snapshot is history, not the baseline: the column is drift.
	_, got := c.drift(2)
	if len(got) != 1 || got[0].Object != "members.nickname" {
		t.Fatalf("drift after a manual snapshot: %+v", got)
	}

	show := c.mustRaw(0, "snapshots", "show", "cpn-uml", strconv.FormatInt(m3, 10), "--state", c.state)
	if !strings.Contains(show, `table "members"`) || !strings.Contains(show, `column "nickname"`) {
		t.Errorf("snapshots show:\n%.400s", show)
	}
	diff := c.mustRaw(0, "snapshots", "diff", "cpn-uml", strconv.FormatInt(m2, 10), strconv.FormatInt(m3, 10), "--state", c.state)
	if !strings.Contains(diff, "ADD COLUMN `nickname` varchar(40) NULL;") || !strings.Contains(diff, "`"+c.database("cpn-uml")+"`.`members`") {
		t.Errorf("snapshots diff m2 m3:\n%s", diff)
	}
	back := c.mustRaw(0, "snapshots", "diff", "cpn-uml", strconv.FormatInt(m3, 10), strconv.FormatInt(m2, 10), "--state", c.state)
	if !strings.Contains(back, "-- destructive: drops column nickname\n") || !strings.Contains(back, "DROP COLUMN `nickname`;") {
		t.Errorf("snapshots diff m3 m2:\n%s", back)
	}
	same := c.mustRaw(0, "snapshots", "diff", "cpn-uml", strconv.FormatInt(baseline[0], 10), strconv.FormatInt(m2, 10), "--state", c.state)
	if !strings.Contains(same, "have the same schema") {
		t.Errorf("snapshots diff of equal schemas:\n%s", same)
	}
	c.mustRaw(1, "snapshots", "show", "cpn-uml", strconv.FormatInt(m1, 10), "--state", c.state)
	c.mustRaw(1, "snapshots", "diff", "cpn-uml", "x", "1", "--state", c.state)
}
