package reconciler

import (
	"fmt"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
)

// TableProvenance is where one table of a tenant's desired schema comes
// from: the layer and file that first define it, and the other layers'
// files that add columns to it.
type TableProvenance struct {
	Table    string          `json:"table"`
	Origin   schema.Origin   `json:"origin"`
	Extended []schema.Origin `json:"extended,omitempty"`
}

// Provenance composes t's desired schema for the engine of its server and
// returns every table with its provenance, by name.
func Provenance(repo *desired.Repo, t *desired.Tenant) ([]TableProvenance, error) {
	engine, err := ServerEngine(repo.Config.Servers[t.Server])
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", t.Server, err)
	}
	d, err := compose(repo, engine, t)
	if err != nil {
		return nil, err
	}
	var out []TableProvenance
	for _, table := range d.Tables() {
		tp := TableProvenance{Table: table}
		tp.Origin, _ = d.TableOrigin(table)
		cols, _, _ := d.TableColumns(table)
		seen := map[string]bool{tp.Origin.File: true}
		for _, c := range cols {
			if o, ok := d.ColumnOrigin(table, c); ok && !seen[o.File] {
				seen[o.File] = true
				tp.Extended = append(tp.Extended, o)
			}
		}
		out = append(out, tp)
	}
	return out, nil
}
