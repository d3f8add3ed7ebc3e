package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/serve/notify"
	"github.com/landlord/landlord/state"
)

// TestEvaluate: each rule at its thresholds, the worst level wins, and the
// reasons say why.
func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { at := now.Add(-d); return &at }
	rules := desired.DefaultHealthRules()
	rules.BackupAge = desired.Limit{Degraded: int64(48 * time.Hour), Unhealthy: int64(7 * 24 * time.Hour)}
	rules.Size = desired.Limit{Degraded: 1 << 30}
	rules.Tables = desired.Limit{Unhealthy: 100}
	rules.Growth = desired.Limit{Degraded: 100 << 20}
	up := reconciler.TenantProbe{Server: "db", Reachable: true, Exists: true, Measured: true, Size: schema.Size{Bytes: 10 << 20, Tables: 12}}
	synced := state.Tenant{LastSyncedAt: ago(time.Minute), DatabaseCreatedAt: ago(24 * time.Hour)}
	size := int64(5 << 20)
	for _, c := range []struct {
		name      string
		lifecycle string
		probe     *reconciler.TenantProbe
		rec       *state.Tenant
		failures  int
		drift     map[state.Severity]int
		backup    *time.Time
		prev      *state.HealthCheck
		want      string
		reasons   []string
	}{
		{name: "healthy", want: state.CheckHealthy},
		{name: "no probe", probe: &reconciler.TenantProbe{}, want: state.CheckUnknown, reasons: []string{"unreachable:unknown"}},
		{name: "server down", probe: &reconciler.TenantProbe{Server: "db", Error: "connection refused"}, want: state.CheckUnhealthy,
			reasons: []string{`unreachable:unhealthy:server "db" does not answer: connection refused`}},
		{name: "never provisioned", probe: &reconciler.TenantProbe{Server: "db", Reachable: true}, rec: &state.Tenant{}, want: state.CheckUnknown,
			reasons: []string{"unreachable:unknown:database d not provisioned yet"}},
		{name: "database gone", probe: &reconciler.TenantProbe{Server: "db", Reachable: true}, want: state.CheckUnhealthy,
			reasons: []string{`unreachable:unhealthy:database d is missing on server "db"`}},
		{name: "sync 2h ago", rec: &state.Tenant{LastSyncedAt: ago(2 * time.Hour), DatabaseCreatedAt: ago(48 * time.Hour)}, backup: ago(time.Hour),
			want: state.CheckDegraded, reasons: []string{"syncAge:degraded:last successful reconcile 2h0m0s ago"}},
		{name: "sync 6h ago", rec: &state.Tenant{LastSyncedAt: ago(6 * time.Hour), DatabaseCreatedAt: ago(48 * time.Hour)}, backup: ago(time.Hour),
			want: state.CheckUnhealthy, reasons: []string{"syncAge:unhealthy"}},
		{name: "suspended: no sync age", lifecycle: desired.Suspended, rec: &state.Tenant{LastSyncedAt: ago(60 * time.Hour), DatabaseCreatedAt: ago(61 * time.Hour)},
			backup: ago(time.Hour), failures: 5, want: state.CheckHealthy},
		{name: "low drift", drift: map[state.Severity]int{state.SeverityLow: 3}, want: state.CheckHealthy},
		{name: "medium and high drift", drift: map[state.Severity]int{state.SeverityMedium: 1, state.SeverityHigh: 2}, want: state.CheckUnhealthy,
			reasons: []string{"drift:unhealthy:3 open drift finding(s): 2 high, 1 medium"}},
		{name: "two failures", failures: 2, want: state.CheckDegraded, reasons: []string{"failedRuns:degraded:2 failed reconcile(s) in a row"}},
		{name: "three failures and medium drift", failures: 3, drift: map[state.Severity]int{state.SeverityMedium: 1}, want: state.CheckUnhealthy,
			reasons: []string{"failedRuns:unhealthy", "drift:degraded"}},
		{name: "no backup for 3 days", rec: &state.Tenant{LastSyncedAt: ago(time.Minute), DatabaseCreatedAt: ago(72 * time.Hour)}, backup: nil,
			want: state.CheckDegraded, reasons: []string{"backupAge:degraded:no complete backup in the 72h0m0s"}},
		{name: "backup 8 days old", backup: ago(8 * 24 * time.Hour), want: state.CheckUnhealthy, reasons: []string{"backupAge:unhealthy:last complete backup 192h0m0s ago"}},
		{name: "big with many tables", probe: &reconciler.TenantProbe{Server: "db", Reachable: true, Exists: true, Measured: true, Size: schema.Size{Bytes: 2 << 30, Tables: 100}},
			want: state.CheckUnhealthy, reasons: []string{"tables:unhealthy:100 tables", "size:degraded:database size 2.0 GiB"}},
		{name: "growing 240 MiB a day", prev: &state.HealthCheck{Status: state.CheckHealthy, SizeBase: &size, SizeBaseAt: ago(12 * time.Hour)},
			probe: &reconciler.TenantProbe{Server: "db", Reachable: true, Exists: true, Measured: true, Size: schema.Size{Bytes: size + 120<<20, Tables: 3}},
			want:  state.CheckDegraded, reasons: []string{"growth:degraded:database grows by 240.0 MiB a day"}},
		{name: "not measured: sizes kept", prev: &state.HealthCheck{Status: state.CheckHealthy, SizeBytes: &size, Tables: &size},
			probe: &reconciler.TenantProbe{Server: "db", Reachable: true, Exists: true}, want: state.CheckUnhealthy, reasons: []string{"tables:unhealthy:5242880 tables"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tenant := &desired.Tenant{Slug: "x", Server: "db", Database: "d", Lifecycle: desired.Active}
			if c.lifecycle != "" {
				tenant.Lifecycle = c.lifecycle
			}
			in := &healthInputs{records: map[string]state.Tenant{"x": synced}, failures: map[string]int{"x": c.failures},
				drift: map[string]map[state.Severity]int{"x": c.drift}, backups: map[string]time.Time{"x": now.Add(-time.Hour)}, prev: map[string]state.HealthCheck{}}
			if c.rec != nil {
				in.records["x"] = *c.rec
			}
			if c.backup != nil || c.rec != nil {
				delete(in.backups, "x")
				if c.backup != nil {
					in.backups["x"] = *c.backup
				}
			}
			if c.name == "backup 8 days old" {
				in.backups["x"] = *c.backup
			}
			if c.prev != nil {
				in.prev["x"] = *c.prev
			}
			probes := map[string]reconciler.TenantProbe{"x": up}
			if c.probe != nil {
				probes["x"] = *c.probe
			}
			if c.name == "no probe" {
				delete(probes, "x")
			}
			got := evaluate(rules, tenant, probes, in, now)
			var reasons []string
			for _, r := range got.Reasons {
				reasons = append(reasons, r.Rule+":"+r.Level+":"+r.Message)
			}
			if got.Status != c.want || len(reasons) != len(c.reasons) {
				t.Fatalf("%s with %q, want %s with %q", got.Status, reasons, c.want, c.reasons)
			}
			for i, want := range c.reasons {
				if !strings.HasPrefix(reasons[i], want) {
					t.Errorf("reason %d: %q, want %q…", i, reasons[i], want)
				}
			}
		})
	}
}

// TestEpisode: one alert when the tenant falls to alertOn, nothing while
// it stays there (escalation included) or its health is unknown, one
// resolution naming the alert when it is back.
func TestEpisode(t *testing.T) {
	rules := desired.DefaultHealthRules()
	rules.AlertOn = state.CheckDegraded
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var prev state.HealthCheck
	var events []string
	var alertID string
	for i, status := range []string{"healthy", "degraded", "unhealthy", "unknown", "degraded", "healthy", "healthy", "unhealthy"} {
		c := state.HealthCheck{Tenant: "x", Status: status}
		e := episode(rules, &c, prev, now.Add(time.Duration(i)*time.Minute))
		if e != nil {
			events = append(events, e.Type+"@"+status)
			if e.ID != "" {
				alertID = e.ID
				if c.AlertID != e.ID {
					t.Errorf("episode recorded %q, event %q", c.AlertID, e.ID)
				}
			} else if d := e.Data.(notify.HealthData); d.AlertID != alertID || d.Status != status {
				t.Errorf("resolution %+v, want of alert %q, now %s", d, alertID, status)
			}
		}
		if (c.Alert != "") != (i >= 1 && i <= 4 || i == 7) {
			t.Errorf("step %d (%s): alert %q", i, status, c.Alert)
		}
		prev = c
	}
	want := "tenant.health.alert@degraded tenant.health.resolved@healthy tenant.health.alert@unhealthy"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	if prev.Alert != state.CheckUnhealthy || prev.AlertID != alertID {
		t.Errorf("last episode %+v", prev)
	}
}
