package desired

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHealthRules(t *testing.T) {
	const base = "servers:\n  primary:\n    url: sqlite://tenants\n"
	r := load(t, repoFS(nil), LoadOptions{})
	if diff := cmp.Diff(r.Config.HealthRules(), DefaultHealthRules()); diff != "" {
		t.Errorf("no health section: rules (-got +want):\n%s", diff)
	}
	r = load(t, repoFS(map[string]string{"landlord.yaml": base + `health:
  interval: 30s
  sizeInterval: 1h
  alertOn: degraded
  maxSeries: 5
  rules:
    unreachable: degraded
    syncAge: {degraded: 2h, unhealthy: 2d}
    drift: {unhealthy: medium}
    failedRuns: {}
    size: {degraded: 500MB, unhealthy: 10GiB}
    growth: {unhealthy: 1GiB}
    tables: {degraded: "200"}
    backupAge: {unhealthy: 7d}
`}), LoadOptions{})
	if p := r.Problems(); len(p) > 0 {
		t.Fatalf("problems: %s", p)
	}
	want := HealthRules{
		Interval: 30 * time.Second, ProbeTimeout: 10 * time.Second, SizeInterval: time.Hour, SizeTimeout: 2 * time.Minute, AlertOn: "degraded", MaxSeries: 5, Unreachable: "degraded",
		SyncAge:   Limit{int64(2 * time.Hour), int64(48 * time.Hour)},
		BackupAge: Limit{0, int64(7 * 24 * time.Hour)},
		Drift:     Limit{0, 2},
		Size:      Limit{500e6, 10 << 30},
		Growth:    Limit{0, 1 << 30},
		Tables:    Limit{200, 0},
	}
	if diff := cmp.Diff(r.Config.HealthRules(), want); diff != "" {
		t.Errorf("rules (-got +want):\n%s", diff)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"health:\n  intervall: 1m\n", `landlord.yaml:5:3: health.intervall: unknown field "intervall" (did you mean "interval"?)`},
		{"health:\n  interval: soon\n", `landlord.yaml:5:13: health.interval: want a positive duration`},
		{"health:\n  interval: 10ms\n", `landlord.yaml:5:13: health.interval: at least 1s`},
		{"health:\n  alertOn: critical\n", `landlord.yaml:5:12: health.alertOn: want degraded or unhealthy, got "critical"`},
		{"health:\n  maxSeries: -1\n", `landlord.yaml:5:14: health.maxSeries: want 0 to 10000`},
		{"health:\n  rules:\n    drift: {degraded: severe}\n", `landlord.yaml:6:23: health.rules.drift.degraded: want a drift severity`},
		{"health:\n  rules:\n    size:\n      degraded: 10 parsecs\n", `landlord.yaml:7:17: health.rules.size.degraded: want a positive size`},
		{"health:\n  rules:\n    syncAge: {degraded: 2d, unhealthy: 1h}\n", `landlord.yaml:6:14: health.rules.syncAge: degraded (2d) must not be above unhealthy (1h)`},
		{"health:\n  rules:\n    failedRuns: {degraded: -2}\n", `health.rules.failedRuns.degraded: want a positive number of runs`},
		{"health:\n  rules:\n    tables: {warn: 3}\n", `unknown field "warn"`},
		{"health:\n  rules:\n    syncAge: {degraded: 99999999d}\n", `health.rules.syncAge.degraded: want a positive duration`},
		{"health:\n  rules: [1, 2]\n", `health.rules`},
	} {
		r := load(t, repoFS(map[string]string{"landlord.yaml": base + tc.yaml}), LoadOptions{})
		if got := r.Errors.Error(); !strings.Contains(got, tc.want) {
			t.Errorf("%q: errors %q, want %q", tc.yaml, got, tc.want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "2KB": 2000, "3 MiB": 3 << 20, "10GiB": 10 << 30, "1TB": 1e12} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "1.5GB", "1PB", "-1", "99999999999TiB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q): no error", in)
		}
	}
}

// TestFormatBytes: sizes are written in binary units, negative ones (a
// shrinking database) too.
func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", -5: "-5 B", 1536: "1.5 KiB", 3 << 30: "3.0 GiB", -(2 << 20): "-2.0 MiB", 5 << 40: "5.0 TiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
