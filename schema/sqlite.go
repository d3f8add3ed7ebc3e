package schema

import (
	"fmt"
	"strings"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
)

// adaptSQLite rewrites the desired schema, evaluated in the MySQL dialect,
// into what SQLite can hold, so one set of layer files serves both engines.
// The rules, documented in docs/repository.md ("Engines"):
//
//   - An AUTO_INCREMENT column must be the whole primary key; it becomes
//     INTEGER PRIMARY KEY AUTOINCREMENT (SQLite allows AUTOINCREMENT on no
//     other type).
//   - Integer widths and signedness, decimal, date and time types keep their
//     names (SQLite gives them the same affinity); unsigned is dropped.
//   - enum and the text family become text, binary types blob, json json.
//   - Charsets, collations, engines, comments, ON UPDATE, index types and
//     prefix lengths are MySQL-only and dropped.
//   - Index names are global in SQLite: two tables may not share one.
//   - Types without an SQLite form (bit, set, spatial types) are errors.
func (d *Desired) adaptSQLite() error {
	var errs SourceErrors
	fail := func(k objectKey, format string, args ...any) {
		o := d.origin(k)
		errs = append(errs, &SourceError{File: o.File, Line: o.Line, Msg: fmt.Sprintf(format, args...)})
	}
	s := d.schema
	s.Attrs = nil
	indexes := make(map[string]string)
	for _, t := range s.Tables {
		// Table options and partitioning are MySQL's: dropped too.
		t.Attrs = keepAttrs(t.Attrs, func(a atlas.Attr) bool {
			_, ok := a.(*atlas.Check)
			return ok
		})
		for _, c := range t.Columns {
			k := objectKey{Kind: "column", Table: t.Name, Name: c.Name}
			typ, err := sqliteType(plainType(c.Type.Type))
			if err != nil {
				fail(k, "column %q of table %q: %v", c.Name, t.Name, err)
				continue
			}
			auto := hasAttr[*mysql.AutoIncrement](c.Attrs)
			c.Attrs = keepAttrs(c.Attrs, func(a atlas.Attr) bool {
				_, ok := a.(*atlas.GeneratedExpr)
				return ok
			})
			if auto {
				pk := t.PrimaryKey
				if pk == nil || len(pk.Parts) != 1 || pk.Parts[0].C != c {
					fail(k, "column %q of table %q: SQLite allows AUTO_INCREMENT only on a column that is the whole primary key", c.Name, t.Name)
					continue
				}
				if _, ok := c.Type.Type.(*atlas.IntegerType); !ok {
					fail(k, "column %q of table %q: AUTO_INCREMENT needs an integer type", c.Name, t.Name)
					continue
				}
				typ = "integer"
				c.Attrs = append(c.Attrs, &sqlite.AutoIncrement{})
			}
			pt, err := sqlite.ParseType(typ)
			if err != nil {
				fail(k, "column %q of table %q: %v", c.Name, t.Name, err)
				continue
			}
			c.Type = &atlas.ColumnType{Type: pt, Raw: typ, Null: c.Type.Null}
		}
		adaptIndex := func(idx *atlas.Index) {
			idx.Attrs = nil
			for _, p := range idx.Parts {
				p.Attrs = nil
			}
		}
		if t.PrimaryKey != nil {
			adaptIndex(t.PrimaryKey)
		}
		for _, idx := range t.Indexes {
			adaptIndex(idx)
			if other, ok := indexes[idx.Name]; ok {
				fail(objectKey{Kind: "index", Table: t.Name, Name: idx.Name},
					"index %q of table %q: table %q has an index of that name, and SQLite index names are global", idx.Name, t.Name, other)
			}
			indexes[idx.Name] = t.Name
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// sqliteType returns the SQLite column type for a MySQL-dialect type.
func sqliteType(t atlas.Type) (string, error) {
	switch t := t.(type) {
	case *atlas.IntegerType:
		return strings.ToLower(t.T), nil
	case *atlas.BoolType:
		return "bool", nil
	case *atlas.StringType:
		switch strings.ToLower(t.T) {
		case "varchar", "char":
			if t.Size > 0 {
				return fmt.Sprintf("%s(%d)", strings.ToLower(t.T), t.Size), nil
			}
			return strings.ToLower(t.T), nil
		}
		return "text", nil
	case *atlas.EnumType:
		return "text", nil
	case *atlas.TimeType:
		switch strings.ToLower(t.T) {
		case "date", "time", "datetime", "timestamp":
			return strings.ToLower(t.T), nil
		case "year":
			return "integer", nil
		}
	case *atlas.DecimalType:
		if t.Precision > 0 {
			return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale), nil
		}
		return "decimal", nil
	case *atlas.FloatType:
		return "real", nil
	case *atlas.JSONType:
		return "json", nil
	case *atlas.BinaryType:
		return "blob", nil
	case *atlas.UUIDType:
		return "uuid", nil
	}
	name, err := mysql.FormatType(t)
	if err != nil {
		name = fmt.Sprintf("%T", t)
	}
	return "", fmt.Errorf("type %s has no SQLite equivalent", name)
}

func keepAttrs(attrs []atlas.Attr, keep func(atlas.Attr) bool) []atlas.Attr {
	var out []atlas.Attr
	for _, a := range attrs {
		if keep(a) {
			out = append(out, a)
		}
	}
	return out
}
