package daemon

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/serve/notify"
	"github.com/landlord/landlord/state"
)

// healthReadTimeout bounds the landlord database reads and writes of one
// health round.
const healthReadTimeout = 30 * time.Second

// checkHealth probes the fleet every health interval of the revision in
// force, while this replica leads, until ctx ends. It runs beside the
// loop: a slow or dead server never holds up a reconcile, nor a reconcile
// a probe.
func (l *Loop) checkHealth(ctx context.Context) {
	wait := time.NewTimer(0)
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		interval := time.Second // until a revision is in force
		if repo := l.Current(); repo != nil {
			rules := repo.Config.HealthRules()
			interval = rules.Interval
			if l.isLeader() {
				l.healthRound(ctx, repo, rules, time.Now().UTC())
			}
		}
		wait.Reset(interval)
	}
}

// HealthRules returns the health rules of the revision in force (the
// defaults before one is).
func (l *Loop) HealthRules() desired.HealthRules {
	if l == nil {
		return desired.DefaultHealthRules()
	}
	if repo := l.Current(); repo != nil {
		return repo.Config.HealthRules()
	}
	return desired.DefaultHealthRules()
}

// HealthRound is the figures of the last health round.
type HealthRound struct {
	At       time.Time     `json:"at"`
	Tenants  int           `json:"tenants"`
	Probe    time.Duration `json:"probe_ns"`
	Evaluate time.Duration `json:"evaluate_ns"`
	// Measured: the round read the sizes; SizeErrors counts the tenants
	// whose sizes it could not read in time.
	Measured   bool   `json:"measured"`
	SizeErrors int    `json:"size_errors,omitempty"`
	Alerts     int    `json:"alerts"`
	Resolved   int    `json:"resolved"`
	Error      string `json:"error,omitempty"`
}

// LastHealthRound returns the figures of the last health round.
func (l *Loop) LastHealthRound() HealthRound {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.healthRound0
}

// healthRound probes every tenant once, judges it by the rules, records
// the checks and sends the alerts whose episodes opened or closed.
func (l *Loop) healthRound(ctx context.Context, repo *desired.Repo, rules desired.HealthRules, now time.Time) {
	round := HealthRound{At: now}
	defer func() {
		l.mu.Lock()
		l.healthRound0 = round
		l.mu.Unlock()
		if round.Error != "" {
			l.log.Error("health round", "err", round.Error)
		}
	}()
	start := time.Now()
	measure := now.Sub(l.measured) >= rules.SizeInterval
	probes := l.rec.ProbeTenants(ctx, repo, reconciler.ProbeOptions{Timeout: rules.ProbeTimeout, Measure: measure, SizeTimeout: rules.SizeTimeout})
	round.Probe, round.Measured = time.Since(start), measure
	if measure {
		l.measured = now
	}
	for _, p := range probes {
		if p.SizeError != "" {
			round.SizeErrors++
		}
	}
	if ctx.Err() != nil {
		return
	}
	start = time.Now()
	rctx, cancel := context.WithTimeout(ctx, healthReadTimeout)
	defer cancel()
	in, err := l.healthInputs(rctx)
	if err != nil {
		round.Error = redact.Text(err.Error())
		return
	}
	var (
		checks []state.HealthCheck
		events []notify.Event
	)
	keep := map[string]bool{}
	for _, t := range repo.Tenants {
		if t.Lifecycle == desired.Decommissioned {
			continue
		}
		keep[t.Slug] = true
		c := evaluate(rules, t, probes, in, now)
		if !measure && c.Reachable && c.SizeBytes == nil {
			// A database never measured (new, or back): measure it next
			// round. A read that failed waits for the next interval.
			l.measured = time.Time{}
		}
		if e := episode(rules, &c, in.prev[t.Slug], now); e != nil {
			events = append(events, *e)
		}
		checks = append(checks, c)
	}
	round.Tenants = len(checks)
	round.Evaluate = time.Since(start)
	// Recorded first, notified after: a failed write sends nothing, and the
	// next round, seeing no episode recorded, opens it again.
	if err := l.store.SaveHealthChecks(rctx, checks, keep); err != nil {
		round.Error = redact.Text(err.Error())
		return
	}
	for _, e := range events {
		if e.Type == notify.HealthAlert {
			round.Alerts++
			l.log.Warn("tenant health alert", "tenant", e.Tenant, "health", e.Data.(notify.HealthData).Status)
		} else {
			round.Resolved++
			l.log.Info("tenant health alert resolved", "tenant", e.Tenant)
		}
		l.notify.Notify(e)
	}
}

// healthInputs is what the landlord database knows of every tenant.
type healthInputs struct {
	records  map[string]state.Tenant
	failures map[string]int
	drift    map[string]map[state.Severity]int
	backups  map[string]time.Time
	prev     map[string]state.HealthCheck
}

func (l *Loop) healthInputs(ctx context.Context) (*healthInputs, error) {
	in := &healthInputs{records: map[string]state.Tenant{}}
	tenants, err := l.store.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tenants {
		in.records[t.Slug] = t
	}
	if in.failures, err = l.store.FailuresInARow(ctx); err != nil {
		return nil, err
	}
	if in.drift, err = l.store.OpenDriftCounts(ctx); err != nil {
		return nil, err
	}
	if in.backups, err = l.store.LastBackups(ctx); err != nil {
		return nil, fmt.Errorf("read last backups: %w", err)
	}
	if in.prev, err = l.store.HealthChecks(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

// growthWindow is how long a size base stays before growth is measured
// from a new one; minGrowthWindow, how long before growth is measured at
// all.
const (
	growthWindow    = 24 * time.Hour
	minGrowthWindow = time.Hour
)

// evaluate judges one tenant by the rules.
func evaluate(rules desired.HealthRules, t *desired.Tenant, probes map[string]reconciler.TenantProbe, in *healthInputs, now time.Time) state.HealthCheck {
	prev, seen := in.prev[t.Slug]
	rec, recorded := in.records[t.Slug]
	c := state.HealthCheck{Tenant: t.Slug, ProbedAt: now, Reasons: []state.HealthReason{}}
	add := func(rule, level, format string, args ...any) {
		c.Reasons = append(c.Reasons, state.HealthReason{Rule: rule, Level: level, Message: fmt.Sprintf(format, args...)})
	}
	limit := func(rule string, l desired.Limit, v int64, format string, args ...any) {
		switch {
		case l.Unhealthy > 0 && v >= l.Unhealthy:
			add(rule, state.CheckUnhealthy, format, args...)
		case l.Degraded > 0 && v >= l.Degraded:
			add(rule, state.CheckDegraded, format, args...)
		}
	}
	p, probed := probes[t.Slug]
	switch {
	case !probed:
		add("unreachable", state.CheckUnknown, "not probed: %s", notProbed(t))
	case !p.Reachable:
		add("unreachable", rules.Unreachable, "server %q does not answer: %s", p.Server, p.Error)
	case !p.Exists && (!recorded || rec.DatabaseCreatedAt == nil):
		add("unreachable", state.CheckUnknown, "database %s not provisioned yet", t.Database)
	case !p.Exists:
		add("unreachable", rules.Unreachable, "database %s is missing on server %q", t.Database, p.Server)
	default:
		c.Reachable = true
		c.SizeBytes, c.Tables, c.SizeBase, c.SizeBaseAt, c.GrowthBytes = prev.SizeBytes, prev.Tables, prev.SizeBase, prev.SizeBaseAt, prev.GrowthBytes
		if p.Measured {
			size, tables := p.Size.Bytes, p.Size.Tables
			c.SizeBytes, c.Tables = &size, &tables
			if !seen || c.SizeBase == nil || c.SizeBaseAt == nil {
				c.SizeBase, c.SizeBaseAt, c.GrowthBytes = &size, &now, nil
			} else if age := now.Sub(*c.SizeBaseAt); age >= minGrowthWindow {
				g := int64(float64(size-*c.SizeBase) * float64(24*time.Hour) / float64(age))
				c.GrowthBytes = &g
				if age >= growthWindow {
					c.SizeBase, c.SizeBaseAt = &size, &now
				}
			}
		}
		if c.SizeBytes != nil {
			limit("size", rules.Size, *c.SizeBytes, "database size %s", desired.FormatBytes(*c.SizeBytes))
			limit("tables", rules.Tables, *c.Tables, "%d tables", *c.Tables)
		}
		if c.GrowthBytes != nil {
			limit("growth", rules.Growth, *c.GrowthBytes, "database grows by %s a day", desired.FormatBytes(*c.GrowthBytes))
		}
	}
	active := t.Lifecycle != desired.Suspended
	if active && recorded && rec.LastSyncedAt != nil {
		age := now.Sub(*rec.LastSyncedAt)
		limit("syncAge", rules.SyncAge, int64(age), "last successful reconcile %s ago", age.Round(time.Second))
	}
	if counts := in.drift[t.Slug]; len(counts) > 0 {
		highest, total := int64(0), 0
		var parts []string
		for _, sev := range []state.Severity{state.SeverityHigh, state.SeverityMedium, state.SeverityLow} {
			if n := counts[sev]; n > 0 {
				total += n
				parts = append(parts, fmt.Sprintf("%d %s", n, sev))
				highest = max(highest, int64(state.SeverityRank(sev)))
			}
		}
		limit("drift", rules.Drift, highest, "%d open drift finding(s): %s", total, strings.Join(parts, ", "))
	}
	if n := in.failures[t.Slug]; active && n > 0 {
		limit("failedRuns", rules.FailedRuns, int64(n), "%d failed reconcile(s) in a row", n)
	}
	if rules.BackupAge != (desired.Limit{}) {
		if at, ok := in.backups[t.Slug]; ok {
			age := now.Sub(at)
			limit("backupAge", rules.BackupAge, int64(age), "last complete backup %s ago", age.Round(time.Second))
		} else if recorded && rec.DatabaseCreatedAt != nil {
			age := now.Sub(*rec.DatabaseCreatedAt)
			limit("backupAge", rules.BackupAge, int64(age), "no complete backup in the %s since the database was created", age.Round(time.Second))
		}
	}
	worst, unknown := 0, false
	for _, r := range c.Reasons {
		if r.Level == state.CheckUnknown {
			unknown = true
		} else {
			worst = max(worst, state.CheckRank(r.Level))
		}
	}
	switch {
	case worst == 2:
		c.Status = state.CheckUnhealthy
	case worst == 1:
		c.Status = state.CheckDegraded
	case unknown:
		c.Status = state.CheckUnknown
	default:
		c.Status = state.CheckHealthy
	}
	sort.SliceStable(c.Reasons, func(i, j int) bool { return state.CheckRank(c.Reasons[i].Level) > state.CheckRank(c.Reasons[j].Level) })
	c.Since = now
	if seen && prev.Status == c.Status {
		c.Since = prev.Since
	}
	return c
}

// notProbed says why a tenant had no probe.
func notProbed(t *desired.Tenant) string {
	if t.Server == "" || t.Database == "" {
		return "its manifest names no server or database"
	}
	return "no probe of server " + t.Server
}

// episode carries the alert episode of prev into c and returns the event
// that opens or closes one, if any. An episode opens when the tenant falls
// to the alerting level and closes when it is back above it; a tenant
// whose health is unknown keeps its episode as it was.
func episode(rules desired.HealthRules, c *state.HealthCheck, prev state.HealthCheck, now time.Time) *notify.Event {
	c.Alert, c.AlertID, c.AlertSince = prev.Alert, prev.AlertID, prev.AlertSince
	if c.Status == state.CheckUnknown {
		return nil
	}
	alerting := state.CheckRank(c.Status) >= state.CheckRank(rules.AlertOn)
	switch {
	case alerting && c.Alert == "":
		id := notify.NewID()
		c.Alert, c.AlertID, c.AlertSince = c.Status, id, &now
		return &notify.Event{ID: id, Type: notify.HealthAlert, Tenant: c.Tenant, Time: now,
			Data: notify.HealthData{Status: c.Status, Reasons: c.Reasons, Since: now}}
	case alerting:
		// The same episode: a change of reasons or level sends nothing.
		if state.CheckRank(c.Status) > state.CheckRank(c.Alert) {
			c.Alert = c.Status
		}
		return nil
	case c.Alert != "":
		e := &notify.Event{Type: notify.HealthResolved, Tenant: c.Tenant, Time: now,
			Data: notify.HealthData{Status: c.Status, Reasons: c.Reasons, AlertID: c.AlertID, Since: deref(c.AlertSince)}}
		c.Alert, c.AlertID, c.AlertSince = "", "", nil
		return e
	}
	return nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
