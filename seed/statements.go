package seed

import (
	"iter"
	"strings"
)

// Statement is one statement of a seed: its values are bound parameters;
// its names are the table's and columns' of the desired schema.
type Statement struct {
	SQL   string
	Args  []any
	Table string
	// Columns are the names the statement quotes besides its table.
	Columns []string
	Kind    string // insert or delete
	Rows    int
}

// batchRows bounds the rows of one statement; maxArgs its parameters,
// under SQLite's limit (32766) and MySQL's (65535).
const (
	batchRows = 500
	maxArgs   = 30000
)

// Inserts returns the multi-row INSERTs of a table's generated rows, one
// at a time (each holds its rows' values); the database, when set,
// qualifies the table (MySQL and MariaDB).
func Inserts(database string, r *Rows) iter.Seq[Statement] {
	return func(yield func(Statement) bool) {
		inserts(database, r, yield)
	}
}

func inserts(database string, r *Rows, yield func(Statement) bool) {
	per := min(batchRows, maxArgs/max(1, len(r.Columns)))
	quoted := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		quoted[i] = quote(c)
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(r.Columns)), ", ") + ")"
	head := "INSERT INTO " + qualified(database, r.Table) + " (" + strings.Join(quoted, ", ") + ") VALUES "
	for i := 0; i < len(r.Rows); i += per {
		rows := r.Rows[i:min(i+per, len(r.Rows))]
		args := make([]any, 0, len(rows)*len(r.Columns))
		for _, row := range rows {
			for _, v := range row {
				if v == nil {
					args = append(args, nil)
				} else {
					args = append(args, *v)
				}
			}
		}
		if !yield(Statement{
			SQL:  head + strings.TrimSuffix(strings.Repeat(tuple+", ", len(rows)), ", "),
			Args: args, Table: r.Table, Columns: r.Columns, Kind: "insert", Rows: len(rows),
		}) {
			return
		}
	}
}

// Deletes returns the DELETEs of a table's rows by key (each key's values
// in the order of the key's columns), in batches.
func Deletes(database, table string, key []string, keys [][]string) []Statement {
	per := min(batchRows, maxArgs/max(1, len(key)))
	var out []Statement
	for i := 0; i < len(keys); i += per {
		batch := keys[i:min(i+per, len(keys))]
		args := make([]any, 0, len(batch)*len(key))
		var where string
		if len(key) == 1 {
			for _, k := range batch {
				args = append(args, k[0])
			}
			where = quote(key[0]) + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(batch)), ", ") + ")"
		} else {
			// A row value IN list: both engines find each row by the key's
			// index (an OR of conditions made SQLite scan the table).
			cols := make([]string, len(key))
			for j, c := range key {
				cols[j] = quote(c)
			}
			one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(key)), ", ") + ")"
			terms := make([]string, len(batch))
			for j, k := range batch {
				terms[j] = one
				for _, v := range k {
					args = append(args, v)
				}
			}
			where = "(" + strings.Join(cols, ", ") + ") IN (" + strings.Join(terms, ", ") + ")"
		}
		out = append(out, Statement{
			SQL:  "DELETE FROM " + qualified(database, table) + " WHERE " + where,
			Args: args, Table: table, Columns: key, Kind: "delete", Rows: len(batch),
		})
	}
	return out
}

func qualified(database, table string) string {
	if database != "" {
		return quote(database) + "." + quote(table)
	}
	return quote(table)
}

// quote quotes a name of the desired schema (checked by landlord's
// identifier rule when the layers were composed); backquotes are MySQL's
// and MariaDB's, and SQLite reads them too.
func quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// Select returns the query that reads cols of a table, ordered by key so
// that the same rows are read in the same order every time.
func Select(database, table string, cols, key []string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quote(c)
	}
	order := make([]string, len(key))
	for i, c := range key {
		order[i] = quote(c)
	}
	q := "SELECT " + strings.Join(quoted, ", ") + " FROM " + qualified(database, table)
	if len(order) > 0 {
		q += " ORDER BY " + strings.Join(order, ", ")
	}
	return q
}

// Clear returns the statements that delete a generated table's rows by
// key, last keys first; Empty those that delete every row of it, in one
// statement. Both first set to NULL the references of those rows to rows
// of the same table (a parent deleted before its child fails on MySQL and
// MariaDB, which check every row).
func (s *Spec) Clear(database, table string, keys [][]string) []Statement {
	t := s.tables[table]
	if t == nil || len(keys) == 0 {
		return nil
	}
	rev := make([][]string, len(keys))
	for i, k := range keys {
		rev[len(keys)-1-i] = k
	}
	return s.unlinked(database, t, Deletes(database, table, t.Key, rev))
}

// Empty returns the statements that delete every row of a generated
// table, which holds rows of them: see Clear.
func (s *Spec) Empty(database, table string, rows int) []Statement {
	t := s.tables[table]
	if t == nil || rows == 0 {
		return nil
	}
	return s.unlinked(database, t, []Statement{{SQL: "DELETE FROM " + qualified(database, table), Table: table, Kind: "delete", Rows: rows}})
}

// unlinked puts before deletes the UPDATEs, with the same conditions,
// that set the table's nullable references to itself to NULL. A
// reference that is NOT NULL is left: the rows go last keys first, so
// children go first when they were numbered after their parents.
func (s *Spec) unlinked(database string, t *Table, deletes []Statement) []Statement {
	var out []Statement
	for _, fk := range t.ForeignKeys {
		if fk.RefTable != t.Name {
			continue
		}
		nullable := true
		for _, c := range fk.Columns {
			col, _ := t.column(c)
			nullable = nullable && col.Nullable
		}
		if !nullable {
			continue
		}
		sets := make([]string, len(fk.Columns))
		for i, c := range fk.Columns {
			sets[i] = quote(c) + " = NULL"
		}
		for _, d := range deletes {
			d.SQL = "UPDATE " + qualified(database, t.Name) + " SET " + strings.Join(sets, ", ") + strings.TrimPrefix(d.SQL, "DELETE FROM "+qualified(database, t.Name))
			d.Columns = append(append([]string(nil), d.Columns...), fk.Columns...)
			d.Kind = "update"
			out = append(out, d)
		}
	}
	return append(out, deletes...)
}
