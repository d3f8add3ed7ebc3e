package ui_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/state"
)

// The fleet counts tenants by health check and filters on it; a tenant's
// page shows its check's reasons.
func TestHealthChecksShown(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var checks []state.HealthCheck
	for i := range 12 {
		slug := fmt.Sprintf("h-%02d", i)
		if err := e.store.SaveTenant(ctx, state.Tenant{Slug: slug, Server: "db", Database: "d" + slug[2:], Lifecycle: "active",
			Sync: state.Synced, Health: state.Healthy}); err != nil {
			t.Fatal(err)
		}
		if i == 11 {
			continue // never probed
		}
		c := state.HealthCheck{Tenant: slug, Status: state.CheckHealthy, Reachable: true, ProbedAt: now, Since: now}
		switch i {
		case 3, 4:
			c.Status = state.CheckUnhealthy
			c.Reasons = []state.HealthReason{{Rule: "unreachable", Level: state.CheckUnhealthy, Message: `server "db" does not answer: connection refused`}}
			c.Alert, c.AlertSince = state.CheckUnhealthy, &now
		case 5:
			c.Status = state.CheckDegraded
			c.Reasons = []state.HealthReason{{Rule: "failedRuns", Level: state.CheckDegraded, Message: "1 failed reconcile(s) in a row"}}
		}
		checks = append(checks, c)
	}
	if err := e.store.SaveHealthChecks(ctx, checks, nil); err != nil {
		t.Fatal(err)
	}
	cookie := e.session(t, readToken)
	get := func(path string) string {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	page := get("/ui/fleet")
	for _, want := range []string{
		`<span class="badge healthy">healthy</span> 8</a>`, `<span class="badge degraded">degraded</span> 1</a>`,
		`<span class="badge unhealthy">unhealthy</span> 2</a>`, `<span class="badge unknown">unknown</span> 1</a>`,
		`<span class="badge unhealthy" title="server &#34;db&#34; does not answer: connection refused">unhealthy</span>`,
		`<span class="badge">not probed</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("fleet lacks %s", want)
		}
	}
	if page := get("/ui/fleet?check=unhealthy"); !strings.Contains(page, "2 of 12 tenants") || !strings.Contains(page, "/ui/tenants/h-03") || strings.Contains(page, "/ui/tenants/h-05") {
		t.Errorf("fleet?check=unhealthy: want h-03 and h-04 only")
	}
	tenant := get("/ui/tenants/h-03")
	for _, want := range []string{`id="health-check"`, `<span class="badge unhealthy">unhealthy</span> server &#34;db&#34; does not answer`, "alert open since"} {
		if !strings.Contains(tenant, want) {
			t.Errorf("tenant page lacks %s", want)
		}
	}
	if !strings.Contains(get("/ui/tenants/h-11"), "Not probed yet.") {
		t.Errorf("h-11's page does not say it was not probed")
	}
}
