package state

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// FleetPage filters, sorts and pages in the database, on both dialects,
// and fills the page's rows as Statuses does.
func TestFleetPage(t *testing.T) {
	ctx := context.Background()
	for dialect, dsn := range stores(t) {
		t.Run(dialect, func(t *testing.T) {
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i := range 30 {
				sync, health := Synced, Healthy
				if i%3 == 0 {
					sync, health = OutOfSync, Degraded
				}
				name := fmt.Sprintf("Tenant %d", i)
				if i == 7 {
					name = "100%_off"
				}
				if err := s.SaveTenant(ctx, Tenant{Slug: fmt.Sprintf("t-%02d", i), Name: name, Server: fmt.Sprintf("db-%d", i%2),
					Lifecycle: "active", Sync: sync, Health: health}); err != nil {
					t.Fatal(err)
				}
			}
			for slug, sev := range map[string]Severity{"t-05": SeverityLow, "t-20": SeverityHigh, "t-11": SeverityMedium} {
				if _, err := s.RecordDrift(ctx, slug, []Drift{{Kind: "index", Table: "posts", Name: "i", Change: "removed", Severity: sev}}, 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.SetPin(ctx, Pin{Tenant: "t-20", Revision: "abc", Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			var checks []HealthCheck
			for slug, st := range map[string]string{"t-04": CheckUnhealthy, "t-08": CheckDegraded, "t-12": CheckHealthy, "t-16": CheckUnhealthy} {
				checks = append(checks, HealthCheck{Tenant: slug, Status: st, ProbedAt: now, Since: now,
					Reasons: []HealthReason{{Rule: "drift", Level: st, Message: "m"}}})
			}
			if err := s.SaveHealthChecks(ctx, checks, nil); err != nil {
				t.Fatal(err)
			}
			all, err := s.Statuses(ctx)
			if err != nil {
				t.Fatal(err)
			}
			bySlug := map[string]Status{}
			for _, st := range all {
				bySlug[st.Slug] = st
			}
			for _, c := range []struct {
				name    string
				q       FleetQuery
				matched int
				slugs   []string
			}{
				{"first page", FleetQuery{Limit: 3}, 30, []string{"t-00", "t-01", "t-02"}},
				{"last page", FleetQuery{Limit: 4, Offset: 28}, 30, []string{"t-28", "t-29"}},
				{"out of sync on db-1", FleetQuery{Sync: "OutOfSync", Server: "db-1", Limit: 50}, 5, []string{"t-03", "t-09", "t-15", "t-21", "t-27"}},
				{"search slug", FleetQuery{Search: "T-1", Limit: 50}, 10, []string{"t-10", "t-11", "t-12", "t-13", "t-14", "t-15", "t-16", "t-17", "t-18", "t-19"}},
				{"search wildcards are literal", FleetQuery{Search: "%_", Limit: 50}, 1, []string{"t-07"}},
				{"drift worst first", FleetQuery{Sort: "drift", Limit: 4}, 30, []string{"t-20", "t-11", "t-05", "t-00"}},
				{"health", FleetQuery{Sort: "health", Limit: 2}, 30, []string{"t-00", "t-03"}},
				{"unhealthy check", FleetQuery{Check: CheckUnhealthy, Limit: 50}, 2, []string{"t-04", "t-16"}},
				{"never probed is unknown", FleetQuery{Check: CheckUnknown, Search: "t-0", Limit: 3}, 8, []string{"t-00", "t-01", "t-02"}},
			} {
				f, err := s.FleetPage(ctx, c.q)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				var got []string
				for _, st := range f.Rows {
					got = append(got, st.Slug)
					want := bySlug[st.Slug]
					if (st.Check == nil) != (want.Check == nil) || st.Check != nil && st.Check.Status != want.Check.Status {
						t.Errorf("%s: %s has check %+v, Statuses has %+v", c.name, st.Slug, st.Check, want.Check)
					}
					if st.Drift.Open != want.Drift.Open || st.Drift.Highest != want.Drift.Highest || (st.Pin == nil) != (want.Pin == nil) || st.Snapshots != want.Snapshots {
						t.Errorf("%s: %s is %+v, Statuses has %+v", c.name, st.Slug, st, want)
					}
				}
				if f.Matched != c.matched || fmt.Sprint(got) != fmt.Sprint(c.slugs) || f.Total != 30 {
					t.Errorf("%s: matched %d of %d %v, want %d %v", c.name, f.Matched, f.Total, got, c.matched, c.slugs)
				}
			}
			f, err := s.FleetPage(ctx, FleetQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(f.Sync, f.Health), "[{OutOfSync 10} {Synced 20}] [{Degraded 10} {Healthy 20}]"; got != want {
				t.Errorf("counts %s, want %s", got, want)
			}
			if got, want := fmt.Sprint(f.Checks), "[{healthy 1} {degraded 1} {unhealthy 2} {unknown 26}]"; got != want {
				t.Errorf("check counts %s, want %s", got, want)
			}
			if got, want := fmt.Sprint(f.Servers), "[{db-0 15 5 5 1} {db-1 15 5 5 2}]"; got != want {
				t.Errorf("servers %s, want %s", got, want)
			}
			missing, err := s.Unrecorded(ctx, []string{"t-01", "nobody", "t-29", "new"})
			if err != nil || fmt.Sprint(missing) != "[nobody new]" {
				t.Errorf("unrecorded: %v %v", missing, err)
			}
		})
	}
}
