package metrics

import (
	"context"
	"fmt"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/landlord/landlord/state"
)

// TestHealthCardinality: 5,000 tenants with a limit of 50 make 50
// landlord_tenant_health series, the unhealthy ones first then the
// degraded, and counts of all 5,000 by status.
func TestHealthCardinality(t *testing.T) {
	checks := map[string]state.HealthCheck{}
	for i := range 5000 {
		st := state.CheckHealthy
		switch {
		case i%100 == 0:
			st = state.CheckUnhealthy // 50
		case i%50 == 0:
			st = state.CheckDegraded // 50
		case i%1000 == 1:
			st = state.CheckUnknown // 5
		}
		slug := fmt.Sprintf("t%04d", i)
		checks[slug] = state.HealthCheck{Tenant: slug, Status: st}
	}
	limit := 50
	m := New(Sources{Tenants: func(context.Context) ([]state.Tenant, error) { return nil, nil },
		Health:    func(context.Context) (map[string]state.HealthCheck, error) { return checks, nil },
		MaxSeries: func() int { return limit }})
	scrape := func() map[string]int {
		t.Helper()
		gathered, err := m.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		fams := map[string]*dto.MetricFamily{}
		for _, f := range gathered {
			fams[f.GetName()] = f
		}
		out := map[string]int{}
		for _, s := range fams["landlord_tenant_health"].GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "status" {
					out[l.GetValue()]++
				}
			}
		}
		for _, s := range fams["landlord_tenant_health_count"].GetMetric() {
			out["count:"+s.GetLabel()[0].GetValue()] = int(s.GetGauge().GetValue())
		}
		out["omitted"] = int(fams["landlord_tenant_health_omitted"].GetMetric()[0].GetGauge().GetValue())
		return out
	}
	got := scrape()
	want := map[string]int{state.CheckUnhealthy: 50, "count:healthy": 4895, "count:degraded": 50, "count:unhealthy": 50, "count:unknown": 5, "omitted": 4950}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("limit 50: %v, want %v", got, want)
	}
	limit = 108
	got = scrape()
	if got[state.CheckUnhealthy] != 50 || got[state.CheckDegraded] != 50 || got[state.CheckUnknown] != 5 || got[state.CheckHealthy] != 3 || got["omitted"] != 4892 {
		t.Errorf("limit 108: %v, want 50 unhealthy, 50 degraded, 5 unknown, 3 healthy series", got)
	}
}
