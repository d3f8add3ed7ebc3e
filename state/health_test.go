package state_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/landlord/landlord/state"
)

func TestHealthChecks(t *testing.T) {
	ctx := context.Background()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			size, tables := int64(1<<20), int64(12)
			var checks []state.HealthCheck
			keep := map[string]bool{}
			// More than one batch of the multi-row upsert.
			for i := range 450 {
				c := state.HealthCheck{Tenant: fmt.Sprintf("t%03d", i), Status: state.CheckHealthy, Reachable: true,
					SizeBytes: &size, Tables: &tables, SizeBase: &size, SizeBaseAt: &at, ProbedAt: at, Since: at}
				if i == 7 {
					c.Status, c.Reachable, c.SizeBytes, c.Tables, c.SizeBase, c.SizeBaseAt = state.CheckUnhealthy, false, nil, nil, nil, nil
					c.Reasons = []state.HealthReason{{Rule: "unreachable", Level: state.CheckUnhealthy, Message: "server \"b\" does not answer"}}
					c.Alert, c.AlertID, c.AlertSince = state.CheckUnhealthy, "ev1", &at
				}
				checks = append(checks, c)
				keep[c.Tenant] = i < 400
			}
			if err := st.SaveHealthChecks(ctx, checks, nil); err != nil {
				t.Fatal(err)
			}
			got, err := st.HealthChecks(ctx)
			if err != nil || len(got) != 450 {
				t.Fatalf("%d checks, %v", len(got), err)
			}
			if diff := cmp.Diff(got["t007"], checks[7]); diff != "" {
				t.Errorf("t007 (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(got["t100"], checks[100], cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("t100 (-got +want):\n%s", diff)
			}
			// Saved again: updated in place; tenants not kept forgotten.
			checks[7].Status, checks[7].Reasons, checks[7].Alert, checks[7].AlertID = state.CheckHealthy, []state.HealthReason{}, "", ""
			if err := st.SaveHealthChecks(ctx, checks[:400], keep); err != nil {
				t.Fatal(err)
			}
			got, _ = st.HealthChecks(ctx)
			one, ok, err := st.GetHealthCheck(ctx, "t007")
			if len(got) != 400 || !ok || err != nil || one.Status != state.CheckHealthy || one.Alert != "" || len(one.Reasons) != 0 {
				t.Errorf("%d checks; t007 %+v %v %v", len(got), one, ok, err)
			}
			if _, ok, err := st.GetHealthCheck(ctx, "t420"); ok || err != nil {
				t.Errorf("t420 removed: %v %v", ok, err)
			}
			// The counts by status are those of the checks, every status
			// present.
			want := map[string]int{}
			for _, st := range state.CheckStatuses {
				want[st] = 0
			}
			for _, c := range got {
				want[c.Status]++
			}
			if counts, err := st.HealthCounts(ctx); err != nil || !maps.Equal(counts, want) {
				t.Errorf("health counts %v (%v), want %v", counts, err, want)
			}
		})
	}
}

func TestFailuresInARow(t *testing.T) {
	ctx := context.Background()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			for _, slug := range []string{"a", "b"} {
				if err := st.SaveTenant(ctx, state.Tenant{Slug: slug, Lifecycle: "active", Sync: state.Synced, Health: state.Healthy}); err != nil {
					t.Fatal(err)
				}
			}
			for _, outcomes := range [][2]state.Outcome{
				{state.OutcomeFailed, state.OutcomeSucceeded},
				{state.OutcomeSucceeded, state.OutcomeFailed},
				{state.OutcomeFailed, state.OutcomeFailed},
				{state.OutcomeFailed, state.OutcomeSkipped},
			} {
				id, err := st.StartRun(ctx, "test", "", "r")
				if err != nil {
					t.Fatal(err)
				}
				for i, tenant := range []string{"a", "b"} {
					if err := st.RecordTenantRun(ctx, state.TenantRun{RunID: id, Tenant: tenant, Action: "update", Outcome: outcomes[i], StartedAt: time.Now(), FinishedAt: time.Now()}); err != nil {
						t.Fatal(err)
					}
				}
			}
			got, err := st.FailuresInARow(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// a: failed, succeeded, failed, failed: 2 in a row. b: its
			// newest is skipped, not a failure.
			if diff := cmp.Diff(got, map[string]int{"a": 2}); diff != "" {
				t.Errorf("failures in a row (-got +want):\n%s", diff)
			}
		})
	}
}
