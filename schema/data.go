package schema

import (
	"context"
	"database/sql"
	"fmt"

	atlas "ariga.io/atlas/sql/schema"
)

// TableColumns returns the columns of a table the desired schema declares,
// in order, and the columns of its primary key.
func (d *Desired) TableColumns(table string) (columns, key []string, ok bool) {
	t, ok := d.schema.Table(table)
	if !ok {
		return nil, nil, false
	}
	for _, c := range t.Columns {
		columns = append(columns, c.Name)
	}
	if t.PrimaryKey != nil {
		for _, p := range t.PrimaryKey.Parts {
			if p.C != nil {
				key = append(key, p.C.Name)
			}
		}
	}
	return columns, key, true
}

// Columns returns the columns of a live table, and whether it exists.
func (l *Live) Columns(table string) ([]string, bool) {
	if l.schema == nil {
		return nil, false
	}
	t, ok := l.schema.Table(table)
	if !ok {
		return nil, false
	}
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out, true
}

// Qualifier is the name that qualifies the target's tables in statements:
// the database on MySQL and MariaDB, none on SQLite.
func (t *Target) Qualifier() string {
	if t.server.engine == SQLite {
		return ""
	}
	return t.database
}

// ReadRows runs query (a SELECT of names the caller checked) on the
// target's database and calls fn with each row's values as text, nil for
// NULL. A database that does not exist has no rows.
func (t *Target) ReadRows(ctx context.Context, query string, fn func([]*string) error) error {
	if !t.exists {
		return nil
	}
	var (
		rows *sql.Rows
		err  error
	)
	switch {
	case t.db != nil:
		rows, err = t.db.QueryContext(ctx, query)
	case t.w != nil:
		rows, err = t.w.QueryContext(ctx, query)
	default:
		return nil // a missing SQLite file, read without a lock
	}
	if err != nil {
		return fmt.Errorf("read rows: %w", err)
	}
	defer rows.Close()
	return stringRows(rows, func(vals []sql.NullString) error {
		out := make([]*string, len(vals))
		for i, v := range vals {
			if v.Valid {
				s := v.String
				out[i] = &s
			}
		}
		return fn(out)
	})
}

// stringRows scans every row of rows as strings (NULL not Valid) and
// calls fn with each, reusing one slice; the first error of fn or of the
// scan stops it.
func stringRows(rows *sql.Rows, fn func([]sql.NullString) error) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read rows: %w", err)
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DataStatement is a statement on a table's rows for AddData.
type DataStatement struct {
	SQL  string
	Args []any
	// Table and Names are the table and every column the statement
	// quotes: the guard refuses any other name.
	Table       string
	Names       []string
	Origin      Origin
	Destructive bool
	Reason      string
}

// AddData appends statements on rows after the plan's schema changes.
// Their values are bound parameters; their names join what the plan
// intended, so the guard reads them back as it does every statement.
func (p *Plan) AddData(sts []DataStatement) {
	if p.intended == nil {
		p.intended = intended{}
	}
	if p.Database != "" {
		p.intended[p.Database] = true
	}
	for _, s := range sts {
		p.intended[s.Table] = true
		for _, n := range s.Names {
			p.intended[n] = true
		}
		st := Statement{SQL: s.SQL, Origin: s.Origin, Table: s.Table, Destructive: s.Destructive, args: s.Args, data: true}
		if s.Reason != "" {
			st.Reasons = []string{s.Reason}
		}
		p.Statements = append(p.Statements, st)
	}
}

// TableUniques returns the columns of a table's unique indexes (of
// columns only: an index of an expression is left out).
func (d *Desired) TableUniques(table string) [][]string {
	t, ok := d.schema.Table(table)
	if !ok {
		return nil
	}
	var out [][]string
	for _, idx := range t.Indexes {
		if !idx.Unique {
			continue
		}
		var cols []string
		for _, p := range idx.Parts {
			if p.C == nil {
				cols = nil
				break
			}
			cols = append(cols, p.C.Name)
		}
		if len(cols) > 0 {
			out = append(out, cols)
		}
	}
	return out
}

// TableReferences returns the tables that a table's foreign keys
// reference, itself left out.
func (d *Desired) TableReferences(table string) []string {
	t, ok := d.schema.Table(table)
	if !ok {
		return nil
	}
	var out []string
	for _, fk := range t.ForeignKeys {
		if fk.RefTable != nil && fk.RefTable.Name != table {
			out = append(out, fk.RefTable.Name)
		}
	}
	return out
}

// ColumnValues returns, for the columns of a table that take only some
// values, what they take: "integer" for integer and boolean columns, or
// the values of an enum.
func (d *Desired) ColumnValues(table string) (integers map[string]bool, enums map[string][]string) {
	t, ok := d.schema.Table(table)
	if !ok {
		return nil, nil
	}
	integers, enums = map[string]bool{}, map[string][]string{}
	for _, c := range t.Columns {
		if c.Type == nil {
			continue
		}
		switch ty := c.Type.Type.(type) {
		case *atlas.IntegerType, *atlas.BoolType:
			integers[c.Name] = true
		case *atlas.EnumType:
			enums[c.Name] = ty.Values
		}
	}
	return integers, enums
}
