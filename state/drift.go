package state

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// Severity says how serious a drift finding is.
type Severity string

// Drift severities, from least to most serious.
const (
	SeverityLow    Severity = "low"
	SeverityMedium Severity = "medium"
	SeverityHigh   Severity = "high"
)

// SeverityRank orders severities: 0 for none or unknown, then low, medium
// and high.
func SeverityRank(s Severity) int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	}
	return 0
}

// Drift is one object of a tenant's live schema that differs from its
// baseline snapshot, over the time it was seen.
type Drift struct {
	ID     int64  `json:"id,omitempty"`
	Tenant string `json:"tenant,omitempty"`
	// Object names the object for people: "members", "members.nickname".
	Object string `json:"object"`
	// Kind of object: table, column, index, foreign_key, check,
	// primary_key, schema or database.
	Kind   string `json:"kind"`
	Table  string `json:"table,omitempty"`
	Name   string `json:"name,omitempty"`
	Change string `json:"change"` // added, removed or modified
	// Severity is SeverityLow, SeverityMedium or SeverityHigh.
	Severity   Severity   `json:"severity"`
	Detail     string     `json:"detail,omitempty"`
	FirstSeen  *time.Time `json:"first_seen,omitempty"`
	LastSeen   *time.Time `json:"last_seen,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	// ResolvedRunID is the run that healed the drift; zero when it went
	// away otherwise.
	ResolvedRunID int64 `json:"resolved_run_id,omitempty"`
}

// key identifies the drifted object and how it drifted.
func (d Drift) key() string { return d.Kind + "\x00" + d.Table + "\x00" + d.Name + "\x00" + d.Change }

// DriftSummary is the open drift of a tenant.
type DriftSummary struct {
	Open int `json:"open"`
	// Highest is the highest severity open, empty when none is.
	Highest  Severity   `json:"highest,omitempty"`
	LastSeen *time.Time `json:"last_seen,omitempty"`
}

const driftColumns = "id, tenant, kind, table_name, object_name, change_kind, severity, detail, first_seen, last_seen, resolved_at, resolved_run_id"

func scanDrift(row interface{ Scan(...any) error }) (Drift, error) {
	var (
		d                     Drift
		first, last, resolved sql.NullTime
		run                   sql.NullInt64
	)
	err := row.Scan(&d.ID, &d.Tenant, &d.Kind, &d.Table, &d.Name, &d.Change, &d.Severity, &d.Detail, &first, &last, &resolved, &run)
	d.FirstSeen, d.LastSeen, d.ResolvedAt = timePtr(first), timePtr(last), timePtr(resolved)
	d.ResolvedRunID = run.Int64
	d.Object = objectName(d.Table, d.Name)
	return d, err
}

func objectName(table, name string) string {
	switch {
	case table == "":
		return name
	case name == "":
		return table
	}
	return table + "." + name
}

// RecordDrift records what a drift check of tenant found: a finding that is
// open already has its last sighting, severity and detail updated, a new
// one is opened, and an open one that was not found is resolved now, by
// runID when a run healed it (0 otherwise). It returns the open drift of the
// tenant afterwards, in the order of found.
func (s *Store) RecordDrift(ctx context.Context, tenant string, found []Drift, runID int64) ([]Drift, error) {
	var out []Drift
	err := s.tx(ctx, func(tx *sql.Tx) error {
		open, err := queryDrift(ctx, tx, "WHERE tenant = ? AND open_key IS NOT NULL", tenant)
		if err != nil {
			return err
		}
		byKey := make(map[string]Drift, len(open))
		for _, d := range open {
			byKey[d.key()] = d
		}
		at := now()
		seen := map[string]bool{}
		out = out[:0]
		for _, f := range found {
			k := f.key()
			if seen[k] {
				continue
			}
			seen[k] = true
			f.Tenant, f.Object, f.LastSeen, f.ResolvedAt, f.ResolvedRunID = tenant, objectName(f.Table, f.Name), &at, nil, 0
			if prev, ok := byKey[k]; ok {
				if _, err := tx.ExecContext(ctx, "UPDATE drift SET last_seen = ?, severity = ?, detail = ? WHERE id = ?", at, f.Severity, f.Detail, prev.ID); err != nil {
					return err
				}
				f.ID, f.FirstSeen = prev.ID, prev.FirstSeen
			} else {
				res, err := tx.ExecContext(ctx, `INSERT INTO drift (tenant, kind, table_name, object_name, change_kind, severity, detail, first_seen, last_seen, open_key)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tenant, f.Kind, f.Table, f.Name, f.Change, f.Severity, f.Detail, at, at, openKey(f))
				if err != nil {
					return err
				}
				if f.ID, err = res.LastInsertId(); err != nil {
					return err
				}
				f.FirstSeen = &at
			}
			out = append(out, f)
		}
		for k, d := range byKey {
			if seen[k] {
				continue
			}
			if _, err := tx.ExecContext(ctx, "UPDATE drift SET resolved_at = ?, resolved_run_id = ?, open_key = NULL WHERE id = ?",
				at, sql.NullInt64{Int64: runID, Valid: runID != 0}, d.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record drift of %s: %w", tenant, err)
	}
	return out, nil
}

// openKey is the unique key of an open drift row: at most one per object
// and change.
func openKey(d Drift) string {
	return d.Kind + ":" + d.Table + ":" + d.Name + ":" + d.Change
}

// OpenDrift returns the open drift of tenant, by table and object.
func (s *Store) OpenDrift(ctx context.Context, tenant string) ([]Drift, error) {
	out, err := queryDrift(ctx, s.db, "WHERE tenant = ? AND open_key IS NOT NULL ORDER BY table_name, kind, object_name", tenant)
	if err != nil {
		return nil, fmt.Errorf("read drift of %s: %w", tenant, err)
	}
	return out, nil
}

// DriftHistory returns every drift record of tenant, newest first, at most
// limit.
func (s *Store) DriftHistory(ctx context.Context, tenant string, limit int) ([]Drift, error) {
	out, err := queryDrift(ctx, s.db, "WHERE tenant = ? ORDER BY id DESC LIMIT ?", tenant, limit)
	if err != nil {
		return nil, fmt.Errorf("read drift of %s: %w", tenant, err)
	}
	return out, nil
}

// DriftSummaries returns the open drift of every tenant that has some.
func (s *Store) DriftSummaries(ctx context.Context) (map[string]DriftSummary, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT tenant, severity, last_seen FROM drift WHERE open_key IS NOT NULL")
	if err != nil {
		return nil, fmt.Errorf("read drift: %w", err)
	}
	defer rows.Close()
	out := map[string]DriftSummary{}
	for rows.Next() {
		var (
			tenant string
			sev    Severity
			last   sql.NullTime
		)
		if err := rows.Scan(&tenant, &sev, &last); err != nil {
			return nil, err
		}
		sum := out[tenant]
		sum.Open++
		if SeverityRank(sev) > SeverityRank(sum.Highest) {
			sum.Highest = sev
		}
		if l := timePtr(last); l != nil && (sum.LastSeen == nil || l.After(*sum.LastSeen)) {
			sum.LastSeen = l
		}
		out[tenant] = sum
	}
	return out, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func queryDrift(ctx context.Context, db querier, where string, args ...any) ([]Drift, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+driftColumns+" FROM drift "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Drift
	for rows.Next() {
		d, err := scanDrift(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// SortDrift orders findings by table, kind and name.
func SortDrift(ds []Drift) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
}
