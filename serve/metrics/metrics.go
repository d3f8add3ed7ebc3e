package metrics

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/landlord/landlord/state"
)

// Set is the metrics of one serve process.
type Set struct {
	reg *prometheus.Registry

	// ReconcileDuration is the duration of runs, by trigger and outcome.
	ReconcileDuration *prometheus.HistogramVec
	// StatementsApplied counts statements applied to tenant databases.
	StatementsApplied prometheus.Counter
	// TenantFailures counts failed tenant reconciles by class (stalled,
	// transient).
	TenantFailures *prometheus.CounterVec
	// GitFetches counts fetches of the repository by result (ok, error).
	GitFetches *prometheus.CounterVec
	// GitFetchErrors counts failed fetches.
	GitFetchErrors prometheus.Counter
	// Triggers counts what woke the loop, by source.
	Triggers *prometheus.CounterVec
	// WebhookRequests counts webhook calls by hook and outcome.
	WebhookRequests *prometheus.CounterVec
	// Notifications counts notification deliveries by event type and
	// status (delivered, failed, abandoned, dropped).
	Notifications *prometheus.CounterVec
	// HTTPDuration is the duration of API requests by route and code.
	HTTPDuration *prometheus.HistogramVec
	// Leader is 1 while this replica runs the scheduled work.
	Leader prometheus.Gauge
	// ServerUp is 1 while a database server answers, by server name.
	ServerUp *prometheus.GaugeVec

	revisionsRejected prometheus.Counter
	lastGood          prometheus.Gauge
	lastGoodInfo      *prometheus.GaugeVec
	rejected          *prometheus.GaugeVec

	mu           sync.Mutex
	goodRevision string
	badRevision  string
}

// Sources are read at scrape time. Drift may be nil: the metric is then
// absent rather than a false zero.
type Sources struct {
	Tenants func(context.Context) ([]state.Tenant, error)
	// Drift returns the open drift findings by severity.
	Drift func(context.Context) (map[string]int, error)
	// Backups returns when each tenant's newest complete backup
	// finished; nil leaves landlord_backup_last_success_age_seconds out.
	Backups func(context.Context) (map[string]time.Time, error)
	// Health returns each tenant's health check; nil leaves the
	// landlord_tenant_health metrics out. MaxSeries bounds the tenants
	// exported one by one (nil: DefaultMaxSeries).
	Health    func(context.Context) (map[string]state.HealthCheck, error)
	MaxSeries func() int
}

// DefaultMaxSeries bounds the landlord_tenant_health series when
// Sources.MaxSeries is nil.
const DefaultMaxSeries = 100

// New registers the metrics, with the Go runtime and process collectors.
func New(src Sources) *Set {
	s := &Set{reg: prometheus.NewRegistry()}
	f := factory{s.reg}
	s.ReconcileDuration = f.histogram("landlord_reconcile_duration_seconds", "Duration of reconcile runs.",
		[]float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900}, "trigger", "outcome")
	s.StatementsApplied = f.counter("landlord_statements_applied_total", "Statements applied to tenant databases.")
	s.TenantFailures = f.counterVec("landlord_tenant_failures_total", "Failed tenant reconciles, by class: stalled (waits for a new revision) or transient (retried).", "class")
	s.GitFetches = f.counterVec("landlord_git_fetches_total", "Fetches of the desired-state repository, by result.", "result")
	s.GitFetchErrors = f.counter("landlord_git_fetch_errors_total", "Failed fetches of the desired-state repository.")
	s.Triggers = f.counterVec("landlord_triggers_total", "What woke the loop, by source: poll, schedule, github, generic, api, retry, leader, start.", "source")
	s.WebhookRequests = f.counterVec("landlord_webhook_requests_total", "Webhook calls, by hook and outcome (accepted, ignored, unauthorized, invalid, too_large, replayed, disabled).", "hook", "outcome")
	s.Notifications = f.counterVec("landlord_notifications_total", "Notification delivery attempts, by event and status (delivered, failed, abandoned, dropped).", "event", "status")
	s.HTTPDuration = f.histogram("landlord_http_request_duration_seconds", "Duration of HTTP requests, by route and status code.",
		prometheus.DefBuckets, "route", "code")
	s.Leader = f.gauge("landlord_leader", "1 while this replica runs the scheduled work (the lease is held).")
	s.ServerUp = f.gaugeVec("landlord_server_up", "1 while the database server answers (probed every 15s by default), by server name.", "server")
	s.revisionsRejected = f.counter("landlord_revisions_rejected_total", "Revisions rejected by validation.")
	s.lastGood = f.gauge("landlord_last_good_revision_timestamp_seconds", "When the revision in force was accepted (Unix time).")
	s.lastGoodInfo = f.gaugeVec("landlord_revision_info", "The revision in force: 1 for its revision.", "revision")
	s.rejected = f.gaugeVec("landlord_revision_rejected", "1 for the newest revision while it is rejected and a newer good one has not arrived.", "revision")
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src.Tenants != nil {
		s.reg.MustRegister(&dbCollector{src: src})
	}
	return s
}

// Handler serves the metrics in the Prometheus exposition format.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
}

// Accepted records the revision now in force.
func (s *Set) Accepted(revision string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.goodRevision != "" {
		s.lastGoodInfo.DeleteLabelValues(s.goodRevision)
	}
	if s.badRevision != "" {
		s.rejected.DeleteLabelValues(s.badRevision)
		s.badRevision = ""
	}
	s.goodRevision = revision
	s.lastGoodInfo.WithLabelValues(revision).Set(1)
	s.lastGood.Set(float64(at.UnixNano()) / 1e9)
}

// Rejected records a rejected revision.
func (s *Set) Rejected(revision string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.badRevision != "" {
		s.rejected.DeleteLabelValues(s.badRevision)
	}
	s.badRevision = revision
	s.rejected.WithLabelValues(revision).Set(1)
	s.revisionsRejected.Inc()
}

type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

// scrapeTimeout bounds the landlord database reads of one scrape.
const scrapeTimeout = 5 * time.Second

var (
	syncs    = []state.Sync{state.Synced, state.OutOfSync, state.Unknown, state.Pinned}
	healths  = []state.Health{state.Healthy, state.Progressing, state.Degraded, state.Missing, state.SuspendedHealth}
	tenantsD = prometheus.NewDesc("landlord_tenants", "Tenants in the repository, by sync and health (from the landlord database).", []string{"sync", "health"}, nil)
	driftD   = prometheus.NewDesc("landlord_drift_open", "Open drift findings, by severity (from the landlord database).", []string{"severity"}, nil)
	backupD  = prometheus.NewDesc("landlord_backup_last_success_age_seconds", "Seconds since each tenant's newest complete backup finished (from the landlord database).", []string{"tenant"}, nil)
	healthD  = prometheus.NewDesc("landlord_tenant_health", "1 for a tenant's health check status, by slug: the least healthy tenants first, up to health.maxSeries of landlord.yaml; landlord_tenant_health_count counts them all.", []string{"slug", "status"}, nil)
	healthND = prometheus.NewDesc("landlord_tenant_health_count", "Tenants by health check status (healthy, degraded, unhealthy, unknown), all of them.", []string{"status"}, nil)
	healthOD = prometheus.NewDesc("landlord_tenant_health_omitted", "Tenants left out of landlord_tenant_health by its series limit (counted in landlord_tenant_health_count).", nil, nil)
	errorsD  = prometheus.NewDesc("landlord_scrape_errors", "1 when a landlord database read of this scrape failed.", []string{"source"}, nil)
)

// dbCollector reads the tenant counts and open drift at scrape time.
type dbCollector struct{ src Sources }

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- tenantsD
	ch <- errorsD
	if c.src.Drift != nil {
		ch <- driftD
	}
	if c.src.Backups != nil {
		ch <- backupD
	}
	if c.src.Health != nil {
		ch <- healthD
		ch <- healthND
		ch <- healthOD
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if tenants, err := c.src.Tenants(ctx); err != nil {
		ch <- prometheus.MustNewConstMetric(errorsD, prometheus.GaugeValue, 1, "tenants")
	} else {
		collectTenants(ch, tenants)
	}
	if c.src.Backups != nil {
		if last, err := c.src.Backups(ctx); err != nil {
			ch <- prometheus.MustNewConstMetric(errorsD, prometheus.GaugeValue, 1, "backups")
		} else {
			now := time.Now()
			for tenant, at := range last {
				ch <- prometheus.MustNewConstMetric(backupD, prometheus.GaugeValue, now.Sub(at).Seconds(), tenant)
			}
		}
	}
	if c.src.Health != nil {
		if checks, err := c.src.Health(ctx); err != nil {
			ch <- prometheus.MustNewConstMetric(errorsD, prometheus.GaugeValue, 1, "health")
		} else {
			limit := DefaultMaxSeries
			if c.src.MaxSeries != nil {
				limit = c.src.MaxSeries()
			}
			collectHealth(ch, checks, limit)
		}
	}
	if c.src.Drift == nil {
		return
	}
	bySeverity, err := c.src.Drift(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(errorsD, prometheus.GaugeValue, 1, "drift")
		return
	}
	// Every severity, zeros included.
	for _, sev := range []string{string(state.SeverityLow), string(state.SeverityMedium), string(state.SeverityHigh)} {
		ch <- prometheus.MustNewConstMetric(driftD, prometheus.GaugeValue, float64(bySeverity[sev]), sev)
		delete(bySeverity, sev)
	}
	for sev, n := range bySeverity {
		ch <- prometheus.MustNewConstMetric(driftD, prometheus.GaugeValue, float64(n), sev)
	}
}

func collectTenants(ch chan<- prometheus.Metric, tenants []state.Tenant) {
	counts := map[[2]string]int{}
	for _, t := range tenants {
		if t.RemovedAt == nil {
			counts[[2]string{string(t.Sync), string(t.Health)}]++
		}
	}
	// Every combination, zeros included, so that a dashboard's series
	// exist before the first tenant is in them.
	for _, sy := range syncs {
		for _, h := range healths {
			key := [2]string{string(sy), string(h)}
			ch <- prometheus.MustNewConstMetric(tenantsD, prometheus.GaugeValue, float64(counts[key]), key[0], key[1])
			delete(counts, key)
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(tenantsD, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}

// collectHealth exports the count of tenants by health check status, and
// one series per tenant for at most limit tenants, the least healthy
// first: the series stay bounded whatever the size of the fleet.
func collectHealth(ch chan<- prometheus.Metric, checks map[string]state.HealthCheck, limit int) {
	counts := map[string]int{}
	all := make([]state.HealthCheck, 0, len(checks))
	for _, c := range checks {
		counts[c.Status]++
		all = append(all, c)
	}
	for _, st := range state.CheckStatuses {
		ch <- prometheus.MustNewConstMetric(healthND, prometheus.GaugeValue, float64(counts[st]), st)
	}
	sort.Slice(all, func(i, j int) bool {
		ri, rj := healthOrder(all[i].Status), healthOrder(all[j].Status)
		if ri != rj {
			return ri > rj
		}
		return all[i].Tenant < all[j].Tenant
	})
	shown := all[:min(limit, len(all))]
	for _, c := range shown {
		ch <- prometheus.MustNewConstMetric(healthD, prometheus.GaugeValue, 1, c.Tenant, c.Status)
	}
	ch <- prometheus.MustNewConstMetric(healthOD, prometheus.GaugeValue, float64(len(all)-len(shown)))
}

// healthOrder ranks statuses for the series limit: unhealthy, degraded,
// unknown, healthy.
func healthOrder(status string) int {
	switch status {
	case state.CheckUnhealthy:
		return 3
	case state.CheckDegraded:
		return 2
	case state.CheckHealthy:
		return 0
	}
	return 1
}
