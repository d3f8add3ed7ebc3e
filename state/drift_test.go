package state

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
)

// openStores opens a fresh landlord database of each dialect (stores).
func openStores(t *testing.T) map[string]*Store {
	t.Helper()
	out := map[string]*Store{}
	for dialect, dsn := range stores(t) {
		st, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[dialect] = st
	}
	return out
}

// TestDriftRecords: drift seen again updates its record instead of adding
// one, drift that disappears is resolved with the time (and the run that
// healed it), and drift that comes back opens a new record.
func TestDriftRecords(t *testing.T) {
	ctx := context.Background()
	for dialect, st := range openStores(t) {
		t.Run(dialect, func(t *testing.T) {
			nickname := Drift{Kind: "column", Table: "members", Name: "nickname", Change: "added", Severity: SeverityMedium, Detail: "varchar(40) NULL"}
			index := Drift{Kind: "index", Table: "members", Name: "members_status_idx", Change: "removed", Severity: SeverityHigh}
			first, err := st.RecordDrift(ctx, "cpn-uml", []Drift{nickname, index}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(first) != 2 || first[0].ID == 0 || first[0].Object != "members.nickname" || first[0].FirstSeen == nil {
				t.Fatalf("first sighting: %+v", first)
			}
			nickname.Detail = "varchar(50) NULL"
			again, err := st.RecordDrift(ctx, "cpn-uml", []Drift{nickname, index}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if again[0].ID != first[0].ID || again[1].ID != first[1].ID || !again[0].FirstSeen.Equal(*first[0].FirstSeen) {
				t.Fatalf("seen again: %+v, first %+v", again, first)
			}
			open, err := st.OpenDrift(ctx, "cpn-uml")
			if err != nil {
				t.Fatal(err)
			}
			if len(open) != 2 || open[0].Detail != "varchar(50) NULL" || open[0].LastSeen.Before(*open[0].FirstSeen) {
				t.Fatalf("open after two sightings: %+v", open)
			}
			sum, err := st.DriftSummaries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := sum["cpn-uml"]; got.Open != 2 || got.Highest != SeverityHigh {
				t.Errorf("summary %+v", got)
			}

			// The index is healed by run 7; the column stays.
			if _, err := st.RecordDrift(ctx, "cpn-uml", []Drift{nickname}, 7); err != nil {
				t.Fatal(err)
			}
			hist, err := st.DriftHistory(ctx, "cpn-uml", 10)
			if err != nil {
				t.Fatal(err)
			}
			var resolved *Drift
			for i := range hist {
				if hist[i].Name == "members_status_idx" {
					resolved = &hist[i]
				}
			}
			if len(hist) != 2 || resolved == nil || resolved.ResolvedAt == nil || resolved.ResolvedRunID != 7 {
				t.Fatalf("history after healing: %+v", hist)
			}
			// It comes back: a new record, the old one stays resolved.
			back, err := st.RecordDrift(ctx, "cpn-uml", []Drift{nickname, index}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if back[1].ID == resolved.ID {
				t.Errorf("drift that came back reused the resolved record %d", resolved.ID)
			}
			if hist, _ = st.DriftHistory(ctx, "cpn-uml", 10); len(hist) != 3 {
				t.Errorf("history: %d records, want 3", len(hist))
			}
			// Nothing found: everything resolved, by no run.
			if _, err := st.RecordDrift(ctx, "cpn-uml", nil, 0); err != nil {
				t.Fatal(err)
			}
			if open, _ = st.OpenDrift(ctx, "cpn-uml"); len(open) != 0 {
				t.Errorf("open after a clean check: %+v", open)
			}
			if sum, _ = st.DriftSummaries(ctx); sum["cpn-uml"].Open != 0 {
				t.Errorf("summary after a clean check: %+v", sum["cpn-uml"])
			}
		})
	}
}

// TestSnapshotRetention: pruning keeps the newest N and every snapshot
// younger than the age limit, deletes the oldest beyond both, and never the
// latest nor the baseline (the newest applied snapshot), even when the
// limits would take them.
func TestSnapshotRetention(t *testing.T) {
	ctx := context.Background()
	for dialect, st := range openStores(t) {
		t.Run(dialect, func(t *testing.T) {
			add := func(kind string, ageDays int) int64 {
				t.Helper()
				id, err := st.AddSnapshot(ctx, Snapshot{Tenant: "rsp", Kind: kind, Engine: "mariadb", Hash: "h", HCL: "x"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.DB().ExecContext(ctx, "UPDATE snapshots SET created_at = ? WHERE id = ?", now().Add(-time.Duration(ageDays)*24*time.Hour), id); err != nil {
					t.Fatal(err)
				}
				return id
			}
			// Oldest first: ids[0] is 40 days old.
			ids := []int64{
				add(SnapshotApplied, 40),
				add(SnapshotApplied, 35),
				add(SnapshotApplied, 31), // the baseline: newest applied
				add(SnapshotManual, 20),
				add(SnapshotManual, 10),
				add(SnapshotManual, 1),
			}
			other, err := st.AddSnapshot(ctx, Snapshot{Tenant: "cpn-uml", Hash: "h", HCL: "x"})
			if err != nil {
				t.Fatal(err)
			}
			remaining := func(tenant string) []int64 {
				t.Helper()
				snaps, err := st.Snapshots(ctx, tenant)
				if err != nil {
					t.Fatal(err)
				}
				var out []int64
				for _, s := range snaps {
					out = append(out, s.ID)
				}
				return out
			}
			// The pruning reads the index alone, never a snapshot's HCL.
			var plan strings.Builder
			explain := "EXPLAIN QUERY PLAN " + pruneQuery
			if dialect == "mariadb" {
				explain = "EXPLAIN " + pruneQuery
			}
			rows, err := st.DB().QueryContext(ctx, explain, "rsp")
			if err != nil {
				t.Fatal(err)
			}
			_, all := testenv.Scan(t, rows)
			for _, row := range all {
				plan.WriteString(strings.Join(row, " ") + " ")
			}
			if want := map[string]string{"sqlite": "COVERING INDEX snapshots_prune", "mariadb": "Using index"}[dialect]; !strings.Contains(plan.String(), want) {
				t.Errorf("the pruning query's plan %q, want %q", plan.String(), want)
			}
			// Keep 2, and all younger than 15 days: 1 and 10 days old are
			// young; 20 is beyond both; 31 is the baseline; 35 and 40 go.
			n, err := st.PruneSnapshots(ctx, "rsp", Retention{Keep: 2, MaxAge: 15 * 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(remaining("rsp"), []int64{ids[5], ids[4], ids[2]}); d != "" || n != 3 {
				t.Errorf("after keep 2, 15 days: deleted %d (-got +want):\n%s", n, d)
			}
			// The tightest limits never take the latest nor the baseline.
			if _, err := st.PruneSnapshots(ctx, "rsp", Retention{Keep: 0, MaxAge: 0}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(remaining("rsp"), []int64{ids[5], ids[2]}); d != "" {
				t.Errorf("after keep 0, 0 days (-got +want):\n%s", d)
			}
			if d := cmp.Diff(remaining("cpn-uml"), []int64{other}); d != "" {
				t.Errorf("another tenant's snapshots were pruned:\n%s", d)
			}
			base, ok, err := st.Baseline(ctx, "rsp")
			if err != nil || !ok || base.ID != ids[2] || base.HCL != "x" || base.Engine != "mariadb" {
				t.Errorf("baseline: %+v %v %v", base, ok, err)
			}
			// BaselineInfo is the same snapshot without its HCL and DDL.
			info, ok, err := st.BaselineInfo(ctx, "rsp")
			want := base
			want.HCL, want.DDL = "", ""
			if d := cmp.Diff(info, want); err != nil || !ok || d != "" {
				t.Errorf("baseline info (%v %v), -got +want:\n%s", ok, err, d)
			}
			if _, ok, err := st.BaselineInfo(ctx, "nobody"); ok || err != nil {
				t.Errorf("baseline info of a tenant with no snapshot: %v %v", ok, err)
			}
			hashes, err := st.LatestSnapshotHashes(ctx)
			if err != nil || len(hashes) != 2 {
				t.Errorf("baseline hashes: %v %v", hashes, err)
			}
		})
	}
}

// TestPinsAndStatus: a pin is recorded, replaced and removed; a tenant's
// status gathers its record, pin, open drift, snapshots and last run.
func TestPinsAndStatus(t *testing.T) {
	ctx := context.Background()
	for dialect, st := range openStores(t) {
		t.Run(dialect, func(t *testing.T) {
			if err := st.SaveTenant(ctx, Tenant{Slug: "rsp", Template: "political-party", TemplateVersion: "1.4.0", Sync: Synced, Health: Healthy}); err != nil {
				t.Fatal(err)
			}
			run, err := st.StartRun(ctx, "rollback", "tester", "abc")
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			if err := st.RecordTenantRun(ctx, TenantRun{RunID: run, Tenant: "rsp", Revision: "abc", Action: "update", Outcome: "succeeded", Statements: 1, StartedAt: now, FinishedAt: now}); err != nil {
				t.Fatal(err)
			}
			if err := st.FinishRun(ctx, run, RunSucceeded, Counts{Total: 1, Updated: 1, Pinned: 2}, 1, ""); err != nil {
				t.Fatal(err)
			}
			if r, _, err := st.GetRun(ctx, run); err != nil || r.Counts.Pinned != 2 {
				t.Errorf("run: %+v %v", r, err)
			}
			if err := st.SetPin(ctx, Pin{Tenant: "rsp", Revision: "old", RunID: run}); err != nil {
				t.Fatal(err)
			}
			if err := st.SetPin(ctx, Pin{Tenant: "rsp", Revision: "abc", SourceRunID: 3, SnapshotID: 9, RunID: run, Actor: "tester"}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.RecordDrift(ctx, "rsp", []Drift{{Kind: "table", Table: "scratch", Change: "added", Severity: SeverityMedium}}, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := st.AddSnapshot(ctx, Snapshot{Tenant: "rsp", Hash: "h", HCL: "x"}); err != nil {
				t.Fatal(err)
			}
			s, ok, err := st.Status(ctx, "rsp")
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			if s.Pin == nil || s.Pin.Revision != "abc" || s.Pin.SnapshotID != 9 || s.Drift.Open != 1 || s.Drift.Highest != SeverityMedium ||
				s.Snapshots != 1 || s.LastRun == nil || s.LastRun.Trigger != "rollback" || s.TemplateVersion != "1.4.0" || len(s.OpenDrift) != 1 {
				t.Errorf("status: %+v pin %+v last run %+v", s, s.Pin, s.LastRun)
			}
			all, err := st.Statuses(ctx)
			if err != nil || len(all) != 1 || all[0].Pin == nil || all[0].Drift.Open != 1 || all[0].OpenDrift != nil {
				t.Errorf("statuses: %+v %v", all, err)
			}
			if lr := all[0].LastRun; lr == nil || lr.RunID != s.LastRun.RunID || lr.Trigger != s.LastRun.Trigger || lr.Action != s.LastRun.Action || !lr.StartedAt.Equal(s.LastRun.StartedAt) {
				t.Errorf("statuses' last run %+v, status says %+v", lr, s.LastRun)
			}
			if had, err := st.Unpin(ctx, "rsp"); err != nil || !had {
				t.Errorf("unpin: %v %v", had, err)
			}
			if had, _ := st.Unpin(ctx, "rsp"); had {
				t.Error("unpinned twice")
			}
			if _, ok, _ := st.GetPin(ctx, "rsp"); ok {
				t.Error("pin still there")
			}
		})
	}
}
