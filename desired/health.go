package desired

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Health is how landlord serve judges each tenant's health and when it
// alerts: the health section of landlord.yaml. Every field may be left out;
// Rules then holds the defaults.
type Health struct {
	// Interval between probes of the fleet (a Go duration); default 1m.
	Interval string `yaml:"interval"`
	// ProbeTimeout bounds the probe of one server; default 10s.
	ProbeTimeout string `yaml:"probeTimeout"`
	// SizeInterval between reads of the databases' sizes and table counts
	// (the costly part of a probe); default 15m.
	SizeInterval string `yaml:"sizeInterval"`
	// SizeTimeout bounds that read, per server; default 2m.
	SizeTimeout string `yaml:"sizeTimeout"`
	// AlertOn is the lowest health that fires an alert: degraded or
	// unhealthy (the default).
	AlertOn string `yaml:"alertOn"`
	// MaxSeries bounds the tenants exported one by one as
	// landlord_tenant_health series (the least healthy first); default 100.
	MaxSeries *int `yaml:"maxSeries"`
	// Rules are the thresholds. A rule written replaces its default; a
	// rule written empty ({}) is off.
	Rules HealthRuleSet `yaml:"rules"`

	// Parsed is the health section with its defaults, validated.
	Parsed HealthRules `yaml:"-"`
}

// HealthRuleSet is the rules as written in landlord.yaml.
type HealthRuleSet struct {
	// Unreachable is the health of a tenant whose server does not answer
	// or whose database is missing: degraded or unhealthy (the default).
	Unreachable string `yaml:"unreachable"`
	// SyncAge: time since the tenant's last successful reconcile.
	SyncAge *Threshold `yaml:"syncAge"`
	// BackupAge: time since its newest complete backup (or, with none,
	// since it was first recorded).
	BackupAge *Threshold `yaml:"backupAge"`
	// Drift: the highest severity of its open drift (low, medium, high).
	Drift *Threshold `yaml:"drift"`
	// FailedRuns: its failed reconciles in a row.
	FailedRuns *Threshold `yaml:"failedRuns"`
	// Size: its database's size (data and indexes), e.g. 10GiB.
	Size *Threshold `yaml:"size"`
	// Growth: how much its database grew over the last day, e.g. 1GiB.
	Growth *Threshold `yaml:"growth"`
	// Tables: its number of tables.
	Tables *Threshold `yaml:"tables"`
}

// Threshold is one rule: the value from which a tenant is degraded, and
// from which it is unhealthy. Either may be left out.
type Threshold struct {
	Degraded  string `yaml:"degraded"`
	Unhealthy string `yaml:"unhealthy"`
}

// HealthRules is the health section parsed, defaults filled in.
type HealthRules struct {
	Interval, ProbeTimeout, SizeInterval, SizeTimeout time.Duration
	// AlertOn is "degraded" or "unhealthy".
	AlertOn   string
	MaxSeries int
	// Unreachable is "degraded" or "unhealthy".
	Unreachable string
	// The limits: a zero Limit is off. Durations in SyncAge and BackupAge,
	// severity ranks (1 low, 2 medium, 3 high) in Drift, counts in
	// FailedRuns and Tables, bytes in Size and Growth (per day).
	SyncAge, BackupAge, Drift, FailedRuns, Size, Growth, Tables Limit
}

// Limit is a parsed Threshold: 0 is off.
type Limit struct{ Degraded, Unhealthy int64 }

// Health levels of a tenant, worst last.
const (
	HealthHealthy   = "healthy"
	HealthDegraded  = "degraded"
	HealthUnhealthy = "unhealthy"
)

// DefaultHealthRules are the rules of a landlord.yaml without a health
// section: a tenant is degraded after a failed reconcile, medium drift or
// an hour without a successful reconcile, unhealthy after three failures
// in a row, high drift, six hours without a successful reconcile, or when
// its server does not answer. Backups, sizes and tables are not judged
// unless landlord.yaml sets limits.
func DefaultHealthRules() HealthRules {
	return HealthRules{
		Interval: time.Minute, ProbeTimeout: 10 * time.Second, SizeInterval: 15 * time.Minute, SizeTimeout: 2 * time.Minute, AlertOn: HealthUnhealthy, MaxSeries: 100,
		Unreachable: HealthUnhealthy,
		SyncAge:     Limit{int64(time.Hour), int64(6 * time.Hour)},
		Drift:       Limit{2, 3},
		FailedRuns:  Limit{1, 3},
	}
}

// maxHealthSeries bounds maxSeries: the series of the metrics endpoint.
const maxHealthSeries = 10000

// validateHealth parses c.Health into c.Health.Parsed, reporting every
// error at its line.
func validateHealth(doc *document, h *Health) ManifestErrors {
	var errs ManifestErrors
	p := DefaultHealthRules()
	dur := func(field, v string, out *time.Duration) {
		if v == "" {
			return
		}
		d, err := parseDays(v)
		if err != nil || d <= 0 {
			errs = append(errs, doc.errorf(field, "want a positive duration such as 30s, 2h or 7d, got %q", v))
			return
		}
		*out = d
	}
	dur("health.interval", h.Interval, &p.Interval)
	dur("health.probeTimeout", h.ProbeTimeout, &p.ProbeTimeout)
	dur("health.sizeInterval", h.SizeInterval, &p.SizeInterval)
	dur("health.sizeTimeout", h.SizeTimeout, &p.SizeTimeout)
	if p.Interval < time.Second {
		errs = append(errs, doc.errorf("health.interval", "at least 1s, got %s", p.Interval))
	}
	level := func(field, v string, out *string) {
		switch v {
		case "":
		case HealthDegraded, HealthUnhealthy:
			*out = v
		default:
			errs = append(errs, doc.errorf(field, "want degraded or unhealthy, got %q", v))
		}
	}
	level("health.alertOn", h.AlertOn, &p.AlertOn)
	level("health.rules.unreachable", h.Rules.Unreachable, &p.Unreachable)
	if h.MaxSeries != nil {
		if *h.MaxSeries < 0 || *h.MaxSeries > maxHealthSeries {
			errs = append(errs, doc.errorf("health.maxSeries", "want 0 to %d, got %d", maxHealthSeries, *h.MaxSeries))
		} else {
			p.MaxSeries = *h.MaxSeries
		}
	}
	r := h.Rules
	for _, rule := range []struct {
		name  string
		in    *Threshold
		out   *Limit
		parse func(string) (int64, error)
		want  string
	}{
		{"syncAge", r.SyncAge, &p.SyncAge, durationValue, "a positive duration such as 90m, 6h or 2d"},
		{"backupAge", r.BackupAge, &p.BackupAge, durationValue, "a positive duration such as 90m, 6h or 2d"},
		{"drift", r.Drift, &p.Drift, severityValue, "a drift severity: low, medium or high"},
		{"failedRuns", r.FailedRuns, &p.FailedRuns, countValue, "a positive number of runs"},
		{"size", r.Size, &p.Size, ParseBytes, "a positive size such as 500MB or 10GiB"},
		{"growth", r.Growth, &p.Growth, ParseBytes, "a positive size per day such as 500MB or 1GiB"},
		{"tables", r.Tables, &p.Tables, countValue, "a positive number of tables"},
	} {
		if rule.in == nil {
			continue
		}
		field := "health.rules." + rule.name
		var l Limit
		ok := true
		for _, v := range []struct {
			key string
			in  string
			out *int64
		}{{"degraded", rule.in.Degraded, &l.Degraded}, {"unhealthy", rule.in.Unhealthy, &l.Unhealthy}} {
			if v.in == "" {
				continue
			}
			n, err := rule.parse(v.in)
			if err != nil || n <= 0 {
				errs = append(errs, doc.errorf(field+"."+v.key, "want %s, got %q", rule.want, v.in))
				ok = false
				continue
			}
			*v.out = n
		}
		if ok && l.Degraded > 0 && l.Unhealthy > 0 && l.Degraded > l.Unhealthy {
			errs = append(errs, doc.errorf(field, "degraded (%s) must not be above unhealthy (%s)", rule.in.Degraded, rule.in.Unhealthy))
			ok = false
		}
		if ok {
			*rule.out = l
		}
	}
	h.Parsed = p
	return errs
}

// parseDays is time.ParseDuration that also takes whole days ("7d").
func parseDays(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 32)
		if err != nil {
			return 0, err
		}
		if n > 36500 {
			return 0, fmt.Errorf("%s: more than 100 years", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func durationValue(s string) (int64, error) {
	d, err := parseDays(s)
	return int64(d), err
}

func countValue(s string) (int64, error) { return strconv.ParseInt(s, 10, 32) }

// Severity ranks of drift, as in the landlord database.
var severityRanks = map[string]int64{"low": 1, "medium": 2, "high": 3}

func severityValue(s string) (int64, error) {
	if n, ok := severityRanks[s]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("unknown severity %q", s)
}

// byteUnits are the units ParseBytes takes, decimal and binary.
var byteUnits = map[string]int64{
	"": 1, "B": 1,
	"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
}

// ParseBytes reads a size: a whole number with an optional unit (B, KB,
// MB, GB, TB, KiB, MiB, GiB, TiB).
func ParseBytes(s string) (int64, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	mult, ok := byteUnits[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}

// FormatBytes writes a size in binary units, as ParseBytes reads it:
// "512 B", "1.5 KiB", "3.0 GiB" (negative sizes too, for growth).
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n), 0
	for v >= unit*unit || v <= -unit*unit {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", v/unit, "KMGTPE"[exp])
}

// HealthRules returns the parsed health rules; the defaults when
// landlord.yaml could not be read.
func (c *Config) HealthRules() HealthRules {
	if c.Health.Parsed.Interval == 0 {
		return DefaultHealthRules()
	}
	return c.Health.Parsed
}
