package schema

import (
	"strings"

	atlas "ariga.io/atlas/sql/schema"
)

// Without returns a copy of the live schema without the tables and columns
// for which drop reports true; drop is asked about each table with column
// "" and about each column of the tables it keeps. Indexes, the primary key
// and foreign keys that use a dropped column, and foreign keys that
// reference a dropped table or column, go with them. A nil drop returns l.
func (l *Live) Without(drop func(table, column string) bool) *Live {
	if drop == nil || l.schema == nil {
		return l
	}
	s := copySchema(l.schema, l.schema.Name)
	droppedTables := map[*atlas.Table]bool{}
	droppedColumns := map[*atlas.Column]bool{}
	hidden := map[string][]string{}
	byTable := map[string][]string{}
	var tables []*atlas.Table
	for _, t := range s.Tables {
		if drop(t.Name, "") {
			droppedTables[t] = true
			continue
		}
		var cols []*atlas.Column
		for _, c := range t.Columns {
			if drop(t.Name, c.Name) {
				droppedColumns[c] = true
				byTable[t.Name] = append(byTable[t.Name], c.Name)
				hidden[t.Name] = append(hidden[t.Name], Object{Kind: KindColumn, Table: t.Name, Name: c.Name}.String())
				continue
			}
			cols = append(cols, c)
		}
		t.Columns = cols
		tables = append(tables, t)
	}
	if len(droppedTables) == 0 && len(droppedColumns) == 0 {
		return l
	}
	s.Tables = tables
	usesDropped := func(idx *atlas.Index) bool {
		for _, p := range idx.Parts {
			if p.C != nil && droppedColumns[p.C] {
				return true
			}
		}
		return false
	}
	anyDropped := func(cs []*atlas.Column) bool {
		for _, c := range cs {
			if droppedColumns[c] {
				return true
			}
		}
		return false
	}
	for _, t := range tables {
		if t.PrimaryKey != nil && usesDropped(t.PrimaryKey) {
			t.PrimaryKey = nil
		}
		var idxs []*atlas.Index
		for _, idx := range t.Indexes {
			if !usesDropped(idx) {
				idxs = append(idxs, idx)
			}
		}
		t.Indexes = idxs
		var fks []*atlas.ForeignKey
		for _, fk := range t.ForeignKeys {
			if !anyDropped(fk.Columns) && !anyDropped(fk.RefColumns) && !droppedTables[fk.RefTable] {
				fks = append(fks, fk)
			}
		}
		t.ForeignKeys = fks
		// Columns point back at their indexes and foreign keys: keep only
		// the ones that remain.
		keptIdx := map[*atlas.Index]bool{}
		for _, idx := range idxs {
			keptIdx[idx] = true
		}
		keptFK := map[*atlas.ForeignKey]bool{}
		for _, fk := range fks {
			keptFK[fk] = true
		}
		for _, c := range t.Columns {
			var ci []*atlas.Index
			for _, idx := range c.Indexes {
				if keptIdx[idx] {
					ci = append(ci, idx)
				}
			}
			c.Indexes = ci
			var cf []*atlas.ForeignKey
			for _, fk := range c.ForeignKeys {
				if keptFK[fk] {
					cf = append(cf, fk)
				}
			}
			c.ForeignKeys = cf
		}
	}
	return &Live{engine: l.engine, exists: l.exists, schema: s, hidden: hidden, ddl: withoutDDL(l.ddl, droppedTables, byTable), others: l.others}
}

// withoutDDL returns the DDL of the tables and columns Without keeps: the
// dropped columns go, with the keys and constraints that name them.
func withoutDDL(ddl map[string]*TableDDL, tables map[*atlas.Table]bool, dropC map[string][]string) map[string]*TableDDL {
	if ddl == nil {
		return nil
	}
	dropT := map[string]bool{}
	for t := range tables {
		dropT[t.Name] = true
	}
	out := make(map[string]*TableDDL, len(ddl))
	for name, t := range ddl {
		if dropT[name] {
			continue
		}
		if len(dropC[name]) == 0 {
			out[name] = t
			continue
		}
		names := func(e Element) bool {
			for _, c := range dropC[name] {
				if e.Name == c && e.Kind == KindColumn || e.Kind != KindColumn && strings.Contains(e.Def, quoteIdent(c)) {
					return true
				}
			}
			return false
		}
		nt := &TableDDL{Name: t.Name, Options: t.Options, Partition: t.Partition}
		for _, es := range []struct {
			from []Element
			to   *[]Element
		}{{t.Columns, &nt.Columns}, {t.Keys, &nt.Keys}, {t.Constraints, &nt.Constraints}} {
			for _, e := range es.from {
				if !names(e) {
					*es.to = append(*es.to, e)
				}
			}
		}
		out[name] = nt
	}
	return out
}

// SnapshotDesired returns a schema read back from a snapshot as a desired
// schema: the target of a rollback to that snapshot, or of the plan between
// two snapshots. Every statement planned to it has origin.
func SnapshotDesired(l *Live, origin Origin) *Desired {
	return &Desired{
		engine:       l.engine,
		schema:       copySchema(l.schema, placeholder),
		origins:      map[objectKey]Origin{},
		schemaOrigin: origin,
		order:        map[string]int{origin.Layer: 0},
	}
}

// Has reports whether the desired schema declares a table (column "") or a
// column of a table.
func (d *Desired) Has(table, column string) bool {
	for _, t := range d.schema.Tables {
		if t.Name != table {
			continue
		}
		if column == "" {
			return true
		}
		_, ok := t.Column(column)
		return ok
	}
	return false
}
