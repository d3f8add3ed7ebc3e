package reconciler

import (
	"context"
	"fmt"
	"sort"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
)

// How a tenant differs between two revisions.
const (
	DiffAdded     = "added"     // only in head: its database is created
	DiffRemoved   = "removed"   // only in base: its database is left alone
	DiffRenamed   = "renamed"   // a new slug for the same database on the same server
	DiffMoved     = "moved"     // same slug, another server or database: a new database is created
	DiffChanged   = "changed"   // its desired schema differs
	DiffUnchanged = "unchanged" // same desired schema
	DiffInvalid   = "invalid"   // head cannot be reconciled: see Error
)

// TenantDiff is how one tenant differs from base to head.
type TenantDiff struct {
	Slug string `json:"slug"`
	// Status is one of the Diff constants.
	Status string `json:"status"`
	// RenamedFrom is the tenant's slug in base, for DiffRenamed.
	RenamedFrom string `json:"renamed_from,omitempty"`
	Server      string `json:"server"`
	// Engine is the engine of the head's server: what Changes are
	// written for.
	Engine   string `json:"engine,omitempty"`
	Database string `json:"database"`
	// Changes are the statements that turn the base's desired schema into
	// the head's, planned offline for the engine of the head's server.
	Changes []Change `json:"changes"`
	// Notes say what else changed in the manifest (lifecycle, database).
	Notes []string `json:"notes,omitempty"`
	Error string   `json:"error,omitempty"`
}

// DiffResult is how the tenants of two revisions differ.
type DiffResult struct {
	Base    string         `json:"base"`
	Head    string         `json:"head"`
	Tenants []TenantDiff   `json:"tenants"`
	Counts  map[string]int `json:"counts"`
}

// Differs reports whether any tenant differs between the revisions.
func (d *DiffResult) Differs() bool {
	for _, t := range d.Tenants {
		if t.Status != DiffUnchanged {
			return true
		}
	}
	return false
}

// Invalid reports whether any tenant of head cannot be reconciled.
func (d *DiffResult) Invalid() bool { return d.Counts[DiffInvalid] > 0 }

// Diff compares the tenants of two revisions of the repository without any
// database: for each tenant in either, it composes the desired schema of
// both revisions for the engine of the head's server and plans offline from
// base to head. A tenant whose manifest is gone while a new one names the
// same database on the same server is renamed, not removed and added: a
// reconcile of head keeps that database and manages it under the new slug.
func Diff(ctx context.Context, base, head *desired.Repo) (*DiffResult, error) {
	if len(head.Errors) > 0 {
		return nil, fmt.Errorf("head revision is invalid:\n%s", head.Errors.Error())
	}
	res := &DiffResult{Base: base.Revision, Head: head.Revision, Counts: map[string]int{}}
	inBase := map[string]*desired.Tenant{}
	for _, t := range base.Tenants {
		inBase[t.Slug] = t
	}
	inHead := map[string]*desired.Tenant{}
	for _, t := range head.Tenants {
		inHead[t.Slug] = t
	}
	// Renames: a base tenant gone from head whose database a new head
	// tenant takes.
	renamedFrom := map[string]*desired.Tenant{}
	renamed := map[string]bool{}
	for _, b := range base.Tenants {
		if inHead[b.Slug] != nil || b.Database == "" {
			continue
		}
		for _, h := range head.Tenants {
			if inBase[h.Slug] == nil && renamedFrom[h.Slug] == nil && h.Server == b.Server && h.Database == b.Database {
				renamedFrom[h.Slug], renamed[b.Slug] = b, true
				break
			}
		}
	}
	dc := &diffComposer{planners: map[schema.Engine]*schema.Offline{}, desired: map[string]*composed{}}
	defer dc.close()
	for _, h := range head.Tenants {
		td := TenantDiff{Slug: h.Slug, Server: h.Server, Database: h.Database}
		if e, err := ServerEngine(head.Config.Servers[h.Server]); err == nil {
			td.Engine = string(e)
		}
		b := inBase[h.Slug]
		switch {
		case b != nil:
			td.Status = DiffChanged
		case renamedFrom[h.Slug] != nil:
			b = renamedFrom[h.Slug]
			td.Status, td.RenamedFrom = DiffRenamed, b.Slug
		default:
			td.Status = DiffAdded
		}
		if b != nil && (b.Server != h.Server || b.Database != h.Database) && td.Status == DiffChanged {
			td.Status = DiffMoved
			td.Notes = append(td.Notes, fmt.Sprintf("database %s on %s becomes %s on %s: the new database is created, the old one is left alone",
				b.Database, b.Server, h.Database, h.Server))
		}
		if b != nil && b.Lifecycle != h.Lifecycle && b.Lifecycle != "" {
			td.Notes = append(td.Notes, fmt.Sprintf("lifecycle %s → %s", b.Lifecycle, h.Lifecycle))
		}
		if err := dc.plan(ctx, base, head, b, h, &td); err != nil {
			td.Status, td.Error = DiffInvalid, err.Error()
		}
		if td.Status == DiffChanged && len(td.Changes) == 0 {
			td.Status = DiffUnchanged
		}
		if td.Changes == nil {
			td.Changes = []Change{}
		}
		res.Tenants = append(res.Tenants, td)
	}
	for _, b := range base.Tenants {
		if inHead[b.Slug] == nil && !renamed[b.Slug] {
			res.Tenants = append(res.Tenants, TenantDiff{Slug: b.Slug, Status: DiffRemoved, Server: b.Server, Database: b.Database,
				Changes: []Change{}, Notes: []string{"landlord stops managing the database and never drops it"}})
		}
	}
	sort.SliceStable(res.Tenants, func(i, j int) bool { return res.Tenants[i].Slug < res.Tenants[j].Slug })
	for _, t := range res.Tenants {
		res.Counts[t.Status]++
	}
	return res, nil
}

// diffComposer composes each revision's desired schemas once per engine and
// layer set, and plans with one offline planner per engine.
type diffComposer struct {
	planners map[schema.Engine]*schema.Offline
	desired  map[string]*composed
}

type composed struct {
	d   *schema.Desired
	err error
}

func (dc *diffComposer) close() {
	for _, p := range dc.planners {
		p.Close()
	}
}

func (dc *diffComposer) compose(repo *desired.Repo, engine schema.Engine, t *desired.Tenant) (*schema.Desired, error) {
	key := fmt.Sprintf("%p\x01%s\x01%s", repo, engine, t.LayerKey())
	c, ok := dc.desired[key]
	if !ok {
		c = &composed{}
		c.d, c.err = compose(repo, engine, t)
		dc.desired[key] = c
	}
	return c.d, c.err
}

// plan fills td with the statements from b's desired schema in base (nil:
// none, a new database) to h's in head.
func (dc *diffComposer) plan(ctx context.Context, base, head *desired.Repo, b, h *desired.Tenant, td *TenantDiff) error {
	if !h.Valid() {
		return h.Errors
	}
	engine, err := ServerEngine(head.Config.Servers[h.Server])
	if err != nil {
		return fmt.Errorf("server %q: %w", h.Server, err)
	}
	to, err := dc.compose(head, engine, h)
	if err != nil {
		return err
	}
	from := schema.LiveFrom(engine, nil)
	if b != nil && td.Status != DiffMoved {
		if !b.Valid() || len(b.Layers) == 0 {
			td.Notes = append(td.Notes, "invalid in base: planned as a new database")
		} else if d, err := dc.compose(base, engine, b); err != nil {
			td.Notes = append(td.Notes, "base layers do not compose: planned as a new database")
		} else {
			from = schema.LiveFrom(engine, d)
			// What head drops is attributed to where base declared it.
			to = to.Since(d, base.Revision)
		}
	}
	off, ok := dc.planners[engine]
	if !ok {
		if off, err = schema.OpenOffline(engine, ""); err != nil {
			return err
		}
		dc.planners[engine] = off
	}
	p, err := off.Plan(ctx, from, to, h.Database)
	if err != nil {
		return err
	}
	td.Changes = changes(p)
	return nil
}
