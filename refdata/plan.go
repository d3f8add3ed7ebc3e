package refdata

import (
	"fmt"
	"sort"
	"strings"
)

// BatchRows bounds the rows of one INSERT.
const BatchRows = 200

// Statement is one planned data statement. Its values are bound
// parameters (Args); its names were checked against the desired schema.
type Statement struct {
	SQL   string
	Args  []any
	Table string
	// Columns are the names the statement quotes, its table's included.
	Columns []string
	// Where the first row the statement writes was declared; for a
	// DELETE, the file that declared it at the revision last applied.
	Layer, File string
	Line        int
	Kind        string // insert, update or delete
	Rows        int
	Destructive bool
	Reason      string
}

// Finding is a declared row changed or deleted out of band: it differs
// from the declared row while the revision last applied declared it the
// same way.
type Finding struct {
	Table  string
	Key    string // col=value,...
	Column string // empty when the whole row is gone
	Change string // modified or removed
	Detail string
	// Left is set when the plan leaves the finding alone (policy report).
	Left bool
}

// Live is the rows of one table as a database holds them, by key
// (the key's values joined by NUL), each row's values in the order of
// TableRows.Columns. Absent marks a column the live table lacks.
type Live struct {
	Exists bool
	Rows   map[string][]*string
	Absent map[string]bool
}

// Plan returns the statements that make the declared rows of set true of
// live (by table), and the drift it found. prev is the set declared at the
// revision last applied, or nil when that is unknown: then nothing is drift
// and no row is deleted. Under leave (policy report), drift is reported and
// not planned.
func Plan(set, prev *Set, live map[string]*Live, leave bool) ([]Statement, []Finding) {
	var (
		out   []Statement
		found []Finding
	)
	for _, name := range set.Names() {
		tr := set.Tables[name]
		lv := live[name]
		if lv == nil {
			lv = &Live{}
		}
		var ptr *TableRows
		if prev != nil {
			ptr = prev.Tables[name]
		}
		cols := tr.Columns()
		var inserts []*Row
		for _, r := range tr.Rows {
			lr, ok := lv.Rows[strings.Join(r.Key, "\x00")]
			if !ok {
				if p := prevRow(ptr, r.Key); p != nil && lv.Exists {
					found = append(found, Finding{Table: name, Key: keyText(tr.Def.Key, r.Key), Change: "removed", Detail: "a declared row was deleted", Left: leave})
					if leave {
						continue
					}
				}
				inserts = append(inserts, r)
				continue
			}
			var set []string
			var args []any
			var first *Value
			for i, c := range cols[len(tr.Def.Key):] {
				v, declared := r.Values[c]
				if !declared {
					continue
				}
				lval := lr[len(tr.Def.Key)+i]
				if !lv.Absent[c] && same(v, lval) {
					continue
				}
				if p := prevRow(ptr, r.Key); p != nil && !lv.Absent[c] {
					if pv, ok := p.Values[c]; ok && pv.Null == v.Null && pv.S == v.S {
						f := Finding{Table: name, Key: keyText(tr.Def.Key, r.Key), Column: c, Change: "modified", Detail: fmt.Sprintf("%s is %s, declared %s", c, show(lval), showValue(v))}
						if leave {
							f.Left = true
							found = append(found, f)
							continue
						}
						found = append(found, f)
					}
				}
				set = append(set, quote(c)+" = ?")
				args = append(args, arg(v))
				if first == nil {
					vv := v
					first = &vv
				}
			}
			if len(set) == 0 {
				continue
			}
			where, wargs := keyWhere(tr.Def.Key, r.Key)
			out = append(out, Statement{
				SQL:  "UPDATE " + tr.qualified() + " SET " + strings.Join(set, ", ") + " WHERE " + where,
				Args: append(args, wargs...), Table: name, Columns: cols,
				Layer: first.Layer, File: first.File, Line: first.Line, Kind: "update", Rows: 1,
			})
		}
		out = append(out, insertBatches(tr, inserts)...)
	}
	if prev != nil {
		out = append(out, deletes(set, prev, live)...)
	}
	return out, found
}

func prevRow(ptr *TableRows, key []string) *Row {
	if ptr == nil {
		return nil
	}
	r, _ := ptr.Row(key)
	return r
}

// deletes are the rows prev declared that set no longer does and live
// still holds, in prev's order.
func deletes(set, prev *Set, live map[string]*Live) []Statement {
	var out []Statement
	names := prev.Names()
	for i := len(names) - 1; i >= 0; i-- { // rows that reference first
		name := names[i]
		ptr := prev.Tables[name]
		lv := live[name]
		if lv == nil || !lv.Exists {
			continue
		}
		tr := set.Tables[name]
		for _, r := range ptr.Rows {
			if tr != nil {
				if _, ok := tr.Row(r.Key); ok {
					continue
				}
			}
			if _, ok := lv.Rows[strings.Join(r.Key, "\x00")]; !ok {
				continue
			}
			where, args := keyWhere(ptr.Def.Key, r.Key)
			k := keyText(ptr.Def.Key, r.Key)
			out = append(out, Statement{
				SQL:  "DELETE FROM " + ptr.qualified() + " WHERE " + where,
				Args: args, Table: name, Columns: ptr.Def.Key,
				Layer: r.Layer, File: r.File, Line: r.Line, Kind: "delete", Rows: 1,
				Destructive: true, Reason: fmt.Sprintf("deletes the row %s of %s that git no longer declares", k, name),
			})
		}
	}
	return out
}

// insertBatches groups rows into multi-row INSERTs: consecutive rows of
// one file with the same columns, at most BatchRows each.
func insertBatches(tr *TableRows, rows []*Row) []Statement {
	var out []Statement
	for i := 0; i < len(rows); {
		cols := rowColumns(tr, rows[i])
		sig := strings.Join(cols, ",")
		j := i + 1
		for j < len(rows) && j-i < BatchRows && rows[j].File == rows[i].File && strings.Join(rowColumns(tr, rows[j]), ",") == sig {
			j++
		}
		quoted := make([]string, len(cols))
		for k, c := range cols {
			quoted[k] = quote(c)
		}
		tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		tuples := make([]string, 0, j-i)
		args := make([]any, 0, (j-i)*len(cols))
		for _, r := range rows[i:j] {
			tuples = append(tuples, tuple)
			for _, c := range cols {
				args = append(args, arg(r.Values[c]))
			}
		}
		out = append(out, Statement{
			SQL:  "INSERT INTO " + tr.qualified() + " (" + strings.Join(quoted, ", ") + ") VALUES " + strings.Join(tuples, ", "),
			Args: args, Table: tr.Name, Columns: cols,
			Layer: rows[i].Layer, File: rows[i].File, Line: rows[i].Line, Kind: "insert", Rows: j - i,
		})
		i = j
	}
	return out
}

// rowColumns are the columns a row declares, in the table's order.
func rowColumns(tr *TableRows, r *Row) []string {
	var cols []string
	for _, c := range tr.Def.Columns {
		if _, ok := r.Values[c]; ok {
			cols = append(cols, c)
		}
	}
	return cols
}

func keyWhere(cols, vals []string) (string, []any) {
	parts := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		parts[i] = quote(c) + " = ?"
		args[i] = vals[i]
	}
	return strings.Join(parts, " AND "), args
}

// ReadQuery is the query that reads the table's rows for Plan: the
// declared columns the live table has (have), key first.
func (tr *TableRows) ReadQuery(have func(column string) bool) (query string, cols []string) {
	for _, c := range tr.Columns() {
		if have(c) {
			cols = append(cols, c)
		}
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quote(c)
	}
	return "SELECT " + strings.Join(quoted, ", ") + " FROM " + tr.qualified(), cols
}

// qualified is the table's name as statements give it.
func (tr *TableRows) qualified() string {
	if tr.set != nil && tr.set.Database != "" {
		return quote(tr.set.Database) + "." + quote(tr.Name)
	}
	return quote(tr.Name)
}

// quote quotes a name already checked against identPattern and the desired
// schema; backquotes are MySQL's and MariaDB's, and SQLite reads them too.
func quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

func arg(v Value) any {
	if v.Null {
		return nil
	}
	return v.S
}

func same(v Value, live *string) bool {
	if v.Null || live == nil {
		return v.Null && live == nil
	}
	return v.S == *live
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *s)
}

func showValue(v Value) string {
	if v.Null {
		return "NULL"
	}
	return fmt.Sprintf("%q", v.S)
}

// Summary counts statements' rows per table and kind: "districts: 77
// insert".
func Summary(sts []Statement) []string {
	counts := map[string]map[string]int{}
	for _, s := range sts {
		if counts[s.Table] == nil {
			counts[s.Table] = map[string]int{}
		}
		counts[s.Table][s.Kind] += s.Rows
	}
	var out []string
	for t, m := range counts {
		var parts []string
		for _, k := range []string{"insert", "update", "delete"} {
			if m[k] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
			}
		}
		out = append(out, t+": "+strings.Join(parts, ", "))
	}
	sort.Strings(out)
	return out
}
