package reconciler

import (
	"fmt"
	"strings"
)

// PlanGroup is a set of tenants whose plans are the same once each tenant's
// own database name is set aside: one plan to review for all of them.
type PlanGroup struct {
	Action Action
	// Tenants in slug order.
	Tenants []TenantResult
	// Changes of the plan. With more than one tenant, the SQL names no
	// database: a qualifier `db`. is removed and a lone `db` (CREATE
	// DATABASE) reads `<database>`.
	Changes []Change
}

// Destructive returns the group's destructive changes.
func (g PlanGroup) Destructive() []Change {
	var out []Change
	for _, c := range g.Changes {
		if c.Destructive {
			out = append(out, c)
		}
	}
	return out
}

// Slugs returns the slugs of the group's tenants.
func (g PlanGroup) Slugs() []string {
	out := make([]string, len(g.Tenants))
	for i, t := range g.Tenants {
		out[i] = t.Slug
	}
	return out
}

// DatabasePlaceholder stands for each tenant's database in the SQL of a
// group of several tenants.
const DatabasePlaceholder = "`<database>`"

// GroupPlans groups the tenants that have changes (to create, to update or
// blocked) by identical plan: same action, and the same statements with the
// same layer, file, line and destructiveness once the database name is
// normalized. Groups come in the order of their first tenant; tenants
// without changes are in no group.
func GroupPlans(tenants []TenantResult) []PlanGroup {
	var (
		groups []PlanGroup
		index  = map[string]int{}
	)
	for _, t := range tenants {
		if len(t.Changes) == 0 {
			continue
		}
		normalized := normalizeChanges(t.Changes, t.Database)
		var key strings.Builder
		key.WriteString(string(t.Action))
		for _, c := range normalized {
			fmt.Fprintf(&key, "\x00%s\x01%s\x01%s\x01%d\x01%t", c.SQL, c.Layer, c.File, c.Line, c.Destructive)
		}
		i, ok := index[key.String()]
		if !ok {
			i = len(groups)
			index[key.String()] = i
			groups = append(groups, PlanGroup{Action: t.Action, Changes: t.Changes})
		}
		groups[i].Tenants = append(groups[i].Tenants, t)
		if len(groups[i].Tenants) == 2 {
			groups[i].Changes = normalized
		}
	}
	return groups
}

// normalizeChanges returns the changes with the database name db taken out
// of their SQL.
func normalizeChanges(changes []Change, db string) []Change {
	out := make([]Change, len(changes))
	for i, c := range changes {
		c.SQL = NormalizeSQL(c.SQL, db)
		out[i] = c
	}
	return out
}

// NormalizeSQL removes the qualifier `db`. from sql and replaces a lone `db`
// by DatabasePlaceholder. Plans on MySQL and MariaDB qualify every name with
// the tenant's database; on SQLite they name none.
func NormalizeSQL(sql, db string) string {
	if db == "" {
		return sql
	}
	quoted := "`" + db + "`"
	sql = strings.ReplaceAll(sql, quoted+".", "")
	return strings.ReplaceAll(sql, quoted, DatabasePlaceholder)
}
