package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Health check statuses: what serve's probes and health rules make of a
// tenant (not to be confused with Health, the outcome of its reconciles).
const (
	CheckHealthy   = "healthy"
	CheckDegraded  = "degraded"
	CheckUnhealthy = "unhealthy"
	// CheckUnknown: not probed yet, or its probe could not be judged.
	CheckUnknown = "unknown"
)

// CheckStatuses lists the statuses, best first.
var CheckStatuses = []string{CheckHealthy, CheckDegraded, CheckUnhealthy, CheckUnknown}

// CheckRank orders statuses from healthy (0) to unhealthy (2); unknown is
// 1, as bad as degraded.
func CheckRank(status string) int {
	switch status {
	case CheckHealthy:
		return 0
	case CheckUnhealthy:
		return 2
	}
	return 1
}

// HealthCheck is a tenant's health as serve last judged it.
type HealthCheck struct {
	Tenant  string         `json:"tenant"`
	Status  string         `json:"status"`
	Reasons []HealthReason `json:"reasons"`
	// Reachable: the tenant's server answered and its database exists.
	Reachable bool `json:"reachable"`
	// SizeBytes and Tables are the database's size (data and indexes) and
	// table count; nil when unknown.
	SizeBytes *int64 `json:"size_bytes,omitempty"`
	Tables    *int64 `json:"tables,omitempty"`
	// GrowthBytes is how much the database grew per day since SizeBaseAt.
	GrowthBytes *int64     `json:"growth_bytes_per_day,omitempty"`
	SizeBase    *int64     `json:"-"`
	SizeBaseAt  *time.Time `json:"-"`
	ProbedAt    time.Time  `json:"probed_at"`
	// Since is when the tenant entered its status.
	Since time.Time `json:"since"`
	// Alert is the status of the alert episode open for the tenant (""
	// for none), AlertID the event that opened it.
	Alert      string     `json:"alert,omitempty"`
	AlertID    string     `json:"alert_id,omitempty"`
	AlertSince *time.Time `json:"alert_since,omitempty"`
}

// HealthReason is one rule a tenant breaks.
type HealthReason struct {
	// Rule is the rule's key in landlord.yaml (syncAge, drift,
	// unreachable...).
	Rule    string `json:"rule"`
	Level   string `json:"level"`
	Message string `json:"message"`
}

const healthColumns = `tenant, status, reasons, reachable, size_bytes, table_count, growth_bytes, size_base_bytes, size_base_at,
	probed_at, since, alert_status, alert_id, alert_since`

// healthBatch is the rows of one INSERT of SaveHealthChecks (14 values
// each: within the placeholders of both dialects).
const healthBatch = 1000

// SaveHealthChecks records the checks, in batches of multi-row upserts in
// one transaction, and forgets the checks of tenants not among keep (when
// keep is not nil): removed tenants.
func (s *Store) SaveHealthChecks(ctx context.Context, checks []HealthCheck, keep map[string]bool) error {
	one := s.upsert("tenant_health", healthColumns, "tenant")
	head, tail, _ := strings.Cut(one, ") VALUES (")
	marks, update, _ := strings.Cut(tail, ") ")
	return s.tx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(checks); start += healthBatch {
			batch := checks[start:min(start+healthBatch, len(checks))]
			q := head + ") VALUES (" + strings.TrimSuffix(strings.Repeat(marks+"), (", len(batch)), ", (") + " " + update
			args := make([]any, 0, len(batch)*14)
			for _, c := range batch {
				reasons, err := json.Marshal(c.Reasons)
				if err != nil {
					return err
				}
				if c.Reasons == nil {
					reasons = []byte("[]")
				}
				args = append(args, c.Tenant, c.Status, string(reasons), c.Reachable, nullInt(c.SizeBytes), nullInt(c.Tables), nullInt(c.GrowthBytes),
					nullInt(c.SizeBase), nullTime(c.SizeBaseAt), c.ProbedAt.UTC(), c.Since.UTC(), c.Alert, c.AlertID, nullTime(c.AlertSince))
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("record health checks: %w", err)
			}
		}
		if keep == nil {
			return nil
		}
		rows, err := tx.QueryContext(ctx, "SELECT tenant FROM tenant_health")
		if err != nil {
			return fmt.Errorf("read health checks: %w", err)
		}
		var gone []string
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return err
			}
			if !keep[t] {
				gone = append(gone, t)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read health checks: %w", err)
		}
		for start := 0; start < len(gone); start += maxFleetPage {
			chunk := gone[start:min(start+maxFleetPage, len(gone))]
			args := make([]any, len(chunk))
			for i, t := range chunk {
				args[i] = t
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM tenant_health WHERE tenant IN (?"+strings.Repeat(", ?", len(chunk)-1)+")", args...); err != nil {
				return fmt.Errorf("forget health of %d removed tenants: %w", len(chunk), err)
			}
		}
		return nil
	})
}

// HealthChecks returns every recorded health check, by tenant.
func (s *Store) HealthChecks(ctx context.Context) (map[string]HealthCheck, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+healthColumns+" FROM tenant_health")
	if err != nil {
		return nil, fmt.Errorf("read health checks: %w", err)
	}
	defer rows.Close()
	out := map[string]HealthCheck{}
	for rows.Next() {
		c, err := scanHealth(rows)
		if err != nil {
			return nil, fmt.Errorf("read health checks: %w", err)
		}
		out[c.Tenant] = c
	}
	return out, rows.Err()
}

// HealthCounts counts the recorded health checks by status, every status
// of CheckStatuses included (zero when none).
func (s *Store) HealthCounts(ctx context.Context) (map[string]int, error) {
	counts, err := s.countBy(ctx, "count health checks", "SELECT status, COUNT(*) FROM tenant_health GROUP BY status")
	if err != nil {
		return nil, err
	}
	for _, st := range CheckStatuses {
		counts[st] += 0
	}
	return counts, nil
}

// GetHealthCheck returns a tenant's health check; ok is false when it was
// never probed.
func (s *Store) GetHealthCheck(ctx context.Context, tenant string) (HealthCheck, bool, error) {
	c, err := scanHealth(s.db.QueryRowContext(ctx, "SELECT "+healthColumns+" FROM tenant_health WHERE tenant = ?", tenant))
	if err == sql.ErrNoRows {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read health of %s: %w", tenant, err)
	}
	return c, true, nil
}

func scanHealth(row interface{ Scan(...any) error }) (HealthCheck, error) {
	var (
		c                            HealthCheck
		reasons                      string
		size, tables, growth, base   sql.NullInt64
		baseAt, probed, since, alert sql.NullTime
	)
	if err := row.Scan(&c.Tenant, &c.Status, &reasons, &c.Reachable, &size, &tables, &growth, &base, &baseAt,
		&probed, &since, &c.Alert, &c.AlertID, &alert); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(reasons), &c.Reasons); err != nil {
		return c, fmt.Errorf("reasons of %s: %w", c.Tenant, err)
	}
	c.SizeBytes, c.Tables, c.GrowthBytes, c.SizeBase = intPtr(size), intPtr(tables), intPtr(growth), intPtr(base)
	c.SizeBaseAt, c.AlertSince = timePtr(baseAt), timePtr(alert)
	c.ProbedAt, c.Since = probed.Time.UTC(), since.Time.UTC()
	return c, nil
}

func nullInt(v *int64) sql.NullInt64 {
	if v == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *v, Valid: true}
}

func intPtr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

// FailuresInARow returns, for each recorded tenant whose newest run
// failed, how many of its runs failed since the last one that did not, in
// one query: the newest run of every tenant is an index lookup, and only
// the failing tenants' runs are counted.
func (s *Store) FailuresInARow(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.slug,
			(SELECT COUNT(*) FROM run_tenants f WHERE f.tenant = t.slug AND f.outcome = ? AND f.run_id >
				COALESCE((SELECT MAX(ok.run_id) FROM run_tenants ok WHERE ok.tenant = t.slug AND ok.outcome <> ?), 0))
		FROM tenants t
		WHERE (SELECT l.outcome FROM run_tenants l WHERE l.tenant = t.slug ORDER BY l.run_id DESC LIMIT 1) = ?`,
		OutcomeFailed, OutcomeFailed, OutcomeFailed)
	if err != nil {
		return nil, fmt.Errorf("count failures in a row: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			t string
			n int
		)
		if err := rows.Scan(&t, &n); err != nil {
			return nil, fmt.Errorf("count failures in a row: %w", err)
		}
		out[t] = n
	}
	return out, rows.Err()
}

// OpenDriftCounts returns each tenant's open drift findings by severity.
func (s *Store) OpenDriftCounts(ctx context.Context) (map[string]map[Severity]int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT tenant, severity, COUNT(*) FROM drift WHERE open_key IS NOT NULL GROUP BY tenant, severity")
	if err != nil {
		return nil, fmt.Errorf("read drift: %w", err)
	}
	defer rows.Close()
	out := map[string]map[Severity]int{}
	for rows.Next() {
		var (
			t   string
			sev Severity
			n   int
		)
		if err := rows.Scan(&t, &sev, &n); err != nil {
			return nil, fmt.Errorf("read drift: %w", err)
		}
		if out[t] == nil {
			out[t] = map[Severity]int{}
		}
		out[t][sev] = n
	}
	return out, rows.Err()
}
