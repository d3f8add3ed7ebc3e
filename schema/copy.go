package schema

import (
	"reflect"

	atlas "ariga.io/atlas/sql/schema"
)

// copySchema returns a deep copy of s named name. Atlas's diff mutates both
// of its inputs (it drops implicit foreign-key indexes, adds default
// charsets, and strips the display width of integer types in place), so
// every diff gets fresh copies. Column types are copied too: tenants that
// share a desired schema are planned at once. Attribute slices are new,
// and attributes that diffs are known to rewrite (Charset, Collation,
// Check) are copied.
func copySchema(s *atlas.Schema, name string) *atlas.Schema {
	out := &atlas.Schema{Name: name, Attrs: copyAttrs(s.Attrs)}
	tables := make(map[*atlas.Table]*atlas.Table, len(s.Tables))
	columns := make(map[*atlas.Column]*atlas.Column)
	for _, t := range s.Tables {
		nt := &atlas.Table{Name: t.Name, Schema: out, Attrs: copyAttrs(t.Attrs)}
		for _, c := range t.Columns {
			nc := &atlas.Column{Name: c.Name, Default: c.Default, Attrs: copyAttrs(c.Attrs)}
			if c.Type != nil {
				ct := *c.Type
				ct.Type = copyType(ct.Type)
				nc.Type = &ct
			}
			columns[c] = nc
			nt.Columns = append(nt.Columns, nc)
		}
		tables[t] = nt
		out.Tables = append(out.Tables, nt)
	}
	copyIndex := func(idx *atlas.Index, nt *atlas.Table) *atlas.Index {
		if idx == nil {
			return nil
		}
		ni := &atlas.Index{Name: idx.Name, Unique: idx.Unique, Table: nt, Attrs: copyAttrs(idx.Attrs)}
		for _, p := range idx.Parts {
			np := &atlas.IndexPart{SeqNo: p.SeqNo, Desc: p.Desc, X: p.X, Attrs: copyAttrs(p.Attrs)}
			if p.C != nil {
				np.C = columns[p.C]
				if np.C == nil {
					np.C = p.C
				}
			}
			ni.Parts = append(ni.Parts, np)
		}
		return ni
	}
	for _, t := range s.Tables {
		nt := tables[t]
		nt.PrimaryKey = copyIndex(t.PrimaryKey, nt)
		for _, idx := range t.Indexes {
			ni := copyIndex(idx, nt)
			nt.Indexes = append(nt.Indexes, ni)
			for _, p := range ni.Parts {
				if p.C != nil {
					p.C.Indexes = append(p.C.Indexes, ni)
				}
			}
		}
		for _, fk := range t.ForeignKeys {
			nfk := &atlas.ForeignKey{Symbol: fk.Symbol, Table: nt, OnUpdate: fk.OnUpdate, OnDelete: fk.OnDelete, Attrs: copyAttrs(fk.Attrs)}
			nfk.RefTable = tables[fk.RefTable]
			if nfk.RefTable == nil {
				nfk.RefTable = fk.RefTable
			}
			for _, c := range fk.Columns {
				nc := columns[c]
				nfk.Columns = append(nfk.Columns, nc)
				nc.ForeignKeys = append(nc.ForeignKeys, nfk)
			}
			for _, c := range fk.RefColumns {
				if nc, ok := columns[c]; ok {
					nfk.RefColumns = append(nfk.RefColumns, nc)
				} else {
					nfk.RefColumns = append(nfk.RefColumns, c)
				}
			}
			nt.ForeignKeys = append(nt.ForeignKeys, nfk)
		}
	}
	return out
}

func copyAttrs(attrs []atlas.Attr) []atlas.Attr {
	if attrs == nil {
		return nil
	}
	out := make([]atlas.Attr, len(attrs))
	for i, a := range attrs {
		switch a := a.(type) {
		case *atlas.Charset:
			c := *a
			out[i] = &c
		case *atlas.Collation:
			c := *a
			out[i] = &c
		case *atlas.Check:
			c := *a
			c.Attrs = copyAttrs(a.Attrs)
			out[i] = &c
		case *atlas.Comment:
			c := *a
			out[i] = &c
		default:
			out[i] = a
		}
	}
	return out
}

// copyType returns a shallow copy of a column type (every Atlas type is a
// pointer to a struct), so that a diff rewriting it (mysql's typeChanged
// sets IntegerType.T) writes to its own copy.
func copyType(t atlas.Type) atlas.Type {
	v := reflect.ValueOf(t)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return t
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	out, ok := c.Interface().(atlas.Type)
	if !ok {
		return t
	}
	return out
}
