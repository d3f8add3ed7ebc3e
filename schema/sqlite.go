package schema

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
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

// CheckSQLite applies a desired schema composed for SQLite to an empty
// in-memory SQLite database, as an apply to a new tenant would: validate
// and plans for an SQLite server then fail exactly when an apply would (a
// MariaDB-spelled default such as current_timestamp(), an expression
// SQLite cannot parse). The error names the layer file and line of the
// statement SQLite refused.
func CheckSQLite(ctx context.Context, d *Desired) error {
	if d.engine != SQLite {
		return nil
	}
	mem, closeMem, err := memoryDriver(ctx)
	if err != nil {
		return err
	}
	defer closeMem()
	p, err := plan(ctx, &env{drv: mem, engine: SQLite}, "main", &Live{engine: SQLite, exists: true, schema: &atlas.Schema{Name: "main"}}, d, nil)
	if err != nil {
		return err
	}
	if i, err := p.check(SQLite); err != nil {
		st := p.Statements[i]
		return SourceErrors{{File: st.File, Line: st.Line, Msg: fmt.Sprintf("%s: %v", firstLine(st.SQL), err)}}
	}
	for _, st := range p.Statements {
		if _, err := mem.ExecContext(ctx, st.SQL, st.args...); err != nil {
			return SourceErrors{{File: st.File, Line: st.Line, Msg: fmt.Sprintf("SQLite refuses %s: %v", firstLine(st.SQL), err)}}
		}
	}
	return nil
}

// sqlitePrimaryKeyOrder puts the parts of each composite primary key in
// the key's order: Atlas's SQLite inspection lists them in column order,
// and a key declared (b, a) over columns a, b was planned again, a table
// rebuild, on every reconcile. PRAGMA table_info's pk column is each
// column's position in the key.
func sqlitePrimaryKeyOrder(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, s *atlas.Schema) error {
	for _, t := range s.Tables {
		if t.PrimaryKey == nil || len(t.PrimaryKey.Parts) < 2 {
			continue
		}
		rows, err := db.QueryContext(ctx, "SELECT name, pk FROM pragma_table_info(?)", t.Name)
		if err != nil {
			return fmt.Errorf("primary key of %s: %w", t.Name, err)
		}
		pos := map[string]int{}
		for rows.Next() {
			var name string
			var pk int
			if err := rows.Scan(&name, &pk); err != nil {
				rows.Close()
				return err
			}
			pos[name] = pk
		}
		rows.Close()
		parts := t.PrimaryKey.Parts
		sort.SliceStable(parts, func(i, j int) bool {
			pi, pj := parts[i], parts[j]
			if pi.C == nil || pj.C == nil {
				return false
			}
			return pos[pi.C.Name] < pos[pj.C.Name]
		})
		for i, p := range parts {
			p.SeqNo = i + 1
		}
	}
	return nil
}

// unwrapLiteralDefaults removes the parentheses around a literal default
// (DEFAULT (2024), how Atlas writes MariaDB's literal defaults): SQLite
// stores what it was given, and a default written one way and read the
// other compared unequal, a table rebuild on every reconcile.
func unwrapLiteralDefaults(s *atlas.Schema) {
	for _, t := range s.Tables {
		for _, c := range t.Columns {
			x, ok := c.Default.(*atlas.RawExpr)
			if !ok {
				continue
			}
			v := strings.TrimSpace(x.X)
			for strings.HasPrefix(v, "(") && strings.HasSuffix(v, ")") && balanced(v[1:len(v)-1]) {
				v = strings.TrimSpace(v[1 : len(v)-1])
			}
			if _, err := strconv.ParseFloat(v, 64); err == nil || len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
				c.Default = &atlas.Literal{V: v}
			}
		}
	}
}
