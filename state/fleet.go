package state

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// FleetQuery asks for one page of the recorded tenants, filtered and
// sorted in the landlord database.
type FleetQuery struct {
	// Search matches a slug or name containing it, case-insensitively.
	Search string
	// Sync, Health and Server filter by equality when set.
	Sync, Health, Server string
	// Check filters by health check status (CheckStatuses); a tenant
	// never probed is CheckUnknown.
	Check string
	// Sort is one of FleetSorts; empty or unknown sorts by slug.
	Sort string
	// Offset and Limit select the page; Limit is capped at 500.
	Offset, Limit int
}

// FleetSorts are the orders FleetPage knows: by slug, sync, health or
// server (then slug), drift (worst first), updated (newest first).
var FleetSorts = []string{"slug", "sync", "health", "server", "drift", "updated"}

// FleetCount is a number of tenants with one value.
type FleetCount struct {
	Name string
	N    int
}

// FleetServer is what the tenants on one server add up to.
type FleetServer struct {
	Name                                string
	Tenants, OutOfSync, Degraded, Drift int
}

// Fleet is one page of tenants and the counts of the whole fleet.
type Fleet struct {
	// Rows are the statuses of the page, without OpenDrift.
	Rows []Status
	// Total tenants recorded; Matched by the query's filters.
	Total, Matched int
	// Sync and Health count every recorded tenant by value, by name.
	Sync, Health []FleetCount
	// Checks count every recorded tenant by health check status, in the
	// order of CheckStatuses.
	Checks []FleetCount
	// Servers are every server with tenants, by name.
	Servers []FleetServer
}

// maxFleetPage bounds FleetQuery.Limit.
const maxFleetPage = 500

// FleetPage returns one page of tenants with the counts of the fleet. The
// filtering, sorting and paging happen in the database, and only the
// page's tenants are read with their pins, drift, snapshots and last
// runs: the cost of a page grows with the page, not the fleet.
func (s *Store) FleetPage(ctx context.Context, q FleetQuery) (Fleet, error) {
	var f Fleet
	if err := s.fleetCounts(ctx, &f); err != nil {
		return f, err
	}
	where, args := fleetWhere(q)
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM tenants"+where, args...).Scan(&f.Matched); err != nil {
		return f, fmt.Errorf("count tenants: %w", err)
	}
	limit := min(max(q.Limit, 1), maxFleetPage)
	if q.Limit <= 0 {
		limit = 50
	}
	from, order := "tenants", "slug"
	switch q.Sort {
	case "sync":
		order = "sync_status, slug"
	case "health":
		order = "health_status, slug"
	case "server":
		order = "server, slug"
	case "updated":
		order = "updated_at DESC, slug"
	case "drift":
		// Worst open drift first: the rank as SeverityRank has it.
		from = `tenants LEFT JOIN (SELECT tenant, MAX(CASE severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END) AS drift_rank
			FROM drift WHERE open_key IS NOT NULL GROUP BY tenant) dr ON dr.tenant = tenants.slug`
		order = "COALESCE(dr.drift_rank, 0) DESC, slug"
	}
	// The page's slugs first, sorting only the columns of the order; then
	// their records.
	rows, err := s.db.QueryContext(ctx, "SELECT tenants.slug FROM "+from+where+" ORDER BY "+order+" LIMIT ? OFFSET ?",
		append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return f, fmt.Errorf("read tenants: %w", err)
	}
	defer rows.Close()
	var slugs []string
	for rows.Next() {
		var slug string
		if err := rows.Scan(&slug); err != nil {
			return f, fmt.Errorf("read tenants: %w", err)
		}
		slugs = append(slugs, slug)
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("read tenants: %w", err)
	}
	rows.Close()
	if len(slugs) == 0 {
		return f, nil
	}
	f.Rows = make([]Status, len(slugs))
	at := make(map[string]int, len(slugs))
	args = make([]any, len(slugs))
	for i, slug := range slugs {
		at[slug], args[i] = i, slug
	}
	trows, err := s.db.QueryContext(ctx, "SELECT "+tenantColumns+" FROM tenants WHERE slug IN (?"+strings.Repeat(", ?", len(slugs)-1)+")", args...)
	if err != nil {
		return f, fmt.Errorf("read tenants: %w", err)
	}
	defer trows.Close()
	for trows.Next() {
		t, err := scanTenant(trows)
		if err != nil {
			return f, fmt.Errorf("read tenants: %w", err)
		}
		f.Rows[at[t.Slug]].Tenant = t
	}
	if err := trows.Err(); err != nil {
		return f, fmt.Errorf("read tenants: %w", err)
	}
	return f, s.fillStatuses(ctx, f.Rows, slugs)
}

// fleetWhere is the WHERE clause of q's filters and its arguments.
func fleetWhere(q FleetQuery) (string, []any) {
	var conds []string
	var args []any
	for _, f := range []struct{ col, v string }{{"sync_status", q.Sync}, {"health_status", q.Health}, {"server", q.Server}} {
		if f.v != "" {
			conds = append(conds, "tenants."+f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if q.Check != "" {
		conds = append(conds, "COALESCE((SELECT h.status FROM tenant_health h WHERE h.tenant = tenants.slug), '"+CheckUnknown+"') = ?")
		args = append(args, q.Check)
	}
	if s := strings.TrimSpace(q.Search); s != "" {
		pat := "%" + likeEscaper.Replace(strings.ToLower(s)) + "%"
		conds = append(conds, "(LOWER(tenants.slug) LIKE ? ESCAPE '!' OR LOWER(tenants.name) LIKE ? ESCAPE '!')")
		args = append(args, pat, pat)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// fleetCounts counts every recorded tenant by sync, health and server.
func (s *Store) fleetCounts(ctx context.Context, f *Fleet) error {
	rows, err := s.db.QueryContext(ctx, `SELECT server, sync_status, health_status, COUNT(*) FROM tenants GROUP BY server, sync_status, health_status`)
	if err != nil {
		return fmt.Errorf("count tenants: %w", err)
	}
	defer rows.Close()
	syncs, healths := map[string]int{}, map[string]int{}
	servers := map[string]*FleetServer{}
	var order []string
	for rows.Next() {
		var server, sync, health string
		var n int
		if err := rows.Scan(&server, &sync, &health, &n); err != nil {
			return fmt.Errorf("count tenants: %w", err)
		}
		f.Total += n
		syncs[sync] += n
		healths[health] += n
		sv := servers[server]
		if sv == nil {
			sv = &FleetServer{Name: server}
			servers[server] = sv
			order = append(order, server)
		}
		sv.Tenants += n
		if Sync(sync) != Synced {
			sv.OutOfSync += n
		}
		if Health(health) == Degraded {
			sv.Degraded += n
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count tenants: %w", err)
	}
	rows.Close()
	drift, err := s.countBy(ctx, "count drift", `SELECT t.server, COUNT(DISTINCT d.tenant) FROM drift d JOIN tenants t ON t.slug = d.tenant
		WHERE d.open_key IS NOT NULL GROUP BY t.server`)
	if err != nil {
		return err
	}
	for server, n := range drift {
		if sv := servers[server]; sv != nil {
			sv.Drift = n
		}
	}
	f.Sync, f.Health = sortedCounts(syncs), sortedCounts(healths)
	checks, err := s.countBy(ctx, "count health checks", `SELECT COALESCE(h.status, '`+CheckUnknown+`'), COUNT(*) FROM tenants t
		LEFT JOIN tenant_health h ON h.tenant = t.slug GROUP BY COALESCE(h.status, '`+CheckUnknown+`')`)
	if err != nil {
		return err
	}
	for _, st := range CheckStatuses {
		f.Checks = append(f.Checks, FleetCount{st, checks[st]})
	}
	sort.Strings(order)
	for _, name := range order {
		f.Servers = append(f.Servers, *servers[name])
	}
	return nil
}

func sortedCounts(m map[string]int) []FleetCount {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]FleetCount, len(names))
	for i, k := range names {
		out[i] = FleetCount{k, m[k]}
	}
	return out
}

// fillStatuses adds to rows (whose slugs are slugs, in order) their pins,
// drift summaries, snapshot counts and last runs, each in one query over
// the page's slugs.
func (s *Store) fillStatuses(ctx context.Context, rows []Status, slugs []string) error {
	in := " IN (?" + strings.Repeat(", ?", len(slugs)-1) + ")"
	args := make([]any, len(slugs))
	at := make(map[string]*Status, len(slugs))
	for i, slug := range slugs {
		args[i] = slug
		at[slug] = &rows[i]
	}
	each := func(what, query string, scan func(*sql.Rows) error) error {
		r, err := s.db.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		defer r.Close()
		for r.Next() {
			if err := scan(r); err != nil {
				return fmt.Errorf("read %s: %w", what, err)
			}
		}
		return r.Err()
	}
	err := each("pins", "SELECT "+pinColumns+" FROM pins WHERE tenant"+in, func(r *sql.Rows) error {
		p, err := scanPin(r)
		if err == nil && at[p.Tenant] != nil {
			at[p.Tenant].Pin = &p
		}
		return err
	})
	if err == nil {
		err = each("drift", "SELECT tenant, severity, last_seen FROM drift WHERE open_key IS NOT NULL AND tenant"+in, func(r *sql.Rows) error {
			var (
				tenant string
				sev    Severity
				last   sql.NullTime
			)
			if err := r.Scan(&tenant, &sev, &last); err != nil {
				return err
			}
			st := at[tenant]
			st.Drift.Open++
			if SeverityRank(sev) > SeverityRank(st.Drift.Highest) {
				st.Drift.Highest = sev
			}
			if l := timePtr(last); l != nil && (st.Drift.LastSeen == nil || l.After(*st.Drift.LastSeen)) {
				st.Drift.LastSeen = l
			}
			return nil
		})
	}
	if err == nil {
		err = each("snapshots", "SELECT tenant, COUNT(*) FROM snapshots WHERE tenant"+in+" GROUP BY tenant", func(r *sql.Rows) error {
			var tenant string
			var n int
			if err := r.Scan(&tenant, &n); err != nil {
				return err
			}
			at[tenant].Snapshots = n
			return nil
		})
	}
	if err == nil {
		err = each("last runs", `SELECT rt.run_id, rt.tenant, rt.revision, rt.action, rt.outcome, rt.statements, rt.error,
				rt.started_at, rt.finished_at, r.trigger_kind
			FROM run_tenants rt
			JOIN (SELECT tenant, MAX(run_id) AS run_id FROM run_tenants WHERE tenant`+in+` GROUP BY tenant) latest
				ON latest.tenant = rt.tenant AND latest.run_id = rt.run_id
			JOIN runs r ON r.id = rt.run_id`, func(r *sql.Rows) error {
			lr := &LastRun{}
			var st, fin sql.NullTime
			if err := r.Scan(&lr.RunID, &lr.Tenant, &lr.Revision, &lr.Action, &lr.Outcome, &lr.Statements, &lr.Error, &st, &fin, &lr.Trigger); err != nil {
				return err
			}
			lr.StartedAt, lr.FinishedAt = st.Time.UTC(), fin.Time.UTC()
			at[lr.Tenant].LastRun = lr
			return nil
		})
	}
	if err == nil {
		err = each("health checks", "SELECT "+healthColumns+" FROM tenant_health WHERE tenant"+in, func(r *sql.Rows) error {
			c, err := scanHealth(r)
			if err == nil && at[c.Tenant] != nil {
				at[c.Tenant].Check = &c
			}
			return err
		})
	}
	return err
}

// Unrecorded returns the slugs, in their order, that have no tenant
// record.
func (s *Store) Unrecorded(ctx context.Context, slugs []string) ([]string, error) {
	var out []string
	for start := 0; start < len(slugs); start += maxFleetPage {
		chunk := slugs[start:min(start+maxFleetPage, len(slugs))]
		args := make([]any, len(chunk))
		for i, slug := range chunk {
			args[i] = slug
		}
		rows, err := s.db.QueryContext(ctx, "SELECT slug FROM tenants WHERE slug IN (?"+strings.Repeat(", ?", len(chunk)-1)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("read tenants: %w", err)
		}
		seen := map[string]bool{}
		for rows.Next() {
			var slug string
			if err := rows.Scan(&slug); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read tenants: %w", err)
			}
			seen[slug] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read tenants: %w", err)
		}
		for _, slug := range chunk {
			if !seen[slug] {
				out = append(out, slug)
			}
		}
	}
	return out, nil
}

// DriftFound returns when the newest limit drift findings were first
// seen, newest first.
func (s *Store) DriftFound(ctx context.Context, limit int) ([]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT first_seen FROM drift ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("read drift: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at sql.NullTime
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("read drift: %w", err)
		}
		out = append(out, at.Time.UTC())
	}
	return out, rows.Err()
}

// countBy runs query, which selects a key and a count per group, into a
// map; what names the query in its errors.
func (s *Store) countBy(ctx context.Context, what, query string) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var key string
		var n int
		if err := rows.Scan(&key, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out[key] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
