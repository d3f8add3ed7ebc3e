package refdata

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// BatchRows bounds the rows of one INSERT, and MaxArgs its values (bound
// parameters: SQLite takes at most 32,766, MySQL 65,535).
const (
	BatchRows = 200
	MaxArgs   = 30_000
)

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
	// Sample describes the first rows the statement writes (at most
	// SampleRows), for plans: the key, and the values or changes.
	Sample []string
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

// Live is what a database holds of one table: whether the table exists,
// the declared columns it lacks, and its rows as a stream.
type Live struct {
	Exists bool
	Absent map[string]bool
	// Each calls fn with every live row, its values in the order of
	// TableRows.Columns (nil for NULL and for an absent column), in any
	// order. Nil: no rows.
	Each func(fn func(row []*string) error) error
}

// SampleRows bounds the rows a statement describes for plans (Sample).
const SampleRows = 5

// Plan returns the statements that make the declared rows of set true of
// live (by table), and the drift it found. The live rows stream past once
// and are not held: each is looked up among the declared rows. prev is
// the set declared at the revision last applied, or nil when that is
// unknown: then nothing is drift and no row is deleted. Under leave
// (policy report), drift is reported and not planned.
func Plan(set, prev *Set, live map[string]*Live, leave bool) ([]Statement, []Finding, error) {
	var (
		out   []Statement
		found []Finding
		dels  = map[string][]*Row{}
	)
	for _, name := range set.Names() {
		tr := set.Tables[name]
		lv := live[name]
		if lv == nil {
			lv = &Live{}
		}
		ptr := prevTable(prev, tr)
		cols := tr.Columns()
		nkey := len(tr.Def.Key)
		seen := make([]bool, len(tr.Rows))
		type update struct {
			idx   int32
			st    *Statement
			found []Finding
		}
		var updates []update
		key := make([]string, nkey)
		err := lv.each(func(lr []*string) error {
			k, ok := liveKey(lr, key)
			if !ok {
				return nil
			}
			r := tr.byKey[k]
			if r == nil {
				if pr := prevByKey(ptr, k); pr != nil {
					dels[name] = append(dels[name], pr)
				}
				return nil
			}
			if seen[r.idx] {
				return nil
			}
			seen[r.idx] = true
			st, fs := compareRow(tr, ptr, r, cols, lr, lv.Absent, leave)
			if st != nil || len(fs) > 0 {
				updates = append(updates, update{r.idx, st, fs})
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		sort.Slice(updates, func(i, j int) bool { return updates[i].idx < updates[j].idx })
		var inserts []*Row
		u := 0
		for i, r := range tr.Rows {
			for ; u < len(updates) && updates[u].idx <= int32(i); u++ {
				found = append(found, updates[u].found...)
				if updates[u].st != nil {
					out = append(out, *updates[u].st)
				}
			}
			if seen[i] {
				continue
			}
			if lv.Exists && prevByKey(ptr, strings.Join(r.Key, "\x00")) != nil {
				found = append(found, Finding{Table: name, Key: keyText(tr.Def.Key, r.Key), Change: "removed", Detail: "a declared row was deleted", Left: leave})
				if leave {
					continue
				}
			}
			inserts = append(inserts, r)
		}
		out = append(out, insertBatches(tr, inserts)...)
	}
	if prev == nil {
		return out, found, nil
	}
	// Tables prev declared rows for and set declares none: every live row
	// prev declared is deleted.
	for _, name := range prev.Names() {
		if _, ok := set.Tables[name]; ok {
			continue
		}
		ptr := prev.Tables[name]
		lv := live[name]
		if lv == nil {
			continue
		}
		key := make([]string, len(ptr.Def.Key))
		err := lv.each(func(lr []*string) error {
			if k, ok := liveKey(lr, key); !ok {
				return nil
			} else if pr := ptr.byKey[k]; pr != nil {
				dels[name] = append(dels[name], pr)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	names := prev.Names()
	for i := len(names) - 1; i >= 0; i-- { // rows that reference first
		out = append(out, deletes(prev.Tables[names[i]], dels[names[i]])...)
	}
	return out, found, nil
}

func (lv *Live) each(fn func([]*string) error) error {
	if !lv.Exists || lv.Each == nil {
		return nil
	}
	return lv.Each(fn)
}

// liveKey is the key of a live row, its first len(key) values, as the
// declared rows are looked up by; key is scratch. A row with NULL in its
// key is no declared row (declared keys are never NULL; a unique key may
// hold NULLs), and ok is false: it must not pass for a row keyed "".
func liveKey(lr []*string, key []string) (k string, ok bool) {
	for i := range key {
		if lr[i] == nil {
			return "", false
		}
		key[i] = *lr[i]
	}
	return strings.Join(key, "\x00"), true
}

// prevTable is the table of prev declaring tr's rows by the same key, or
// nil: rows keyed otherwise tell nothing of tr's.
func prevTable(prev *Set, tr *TableRows) *TableRows {
	if prev == nil {
		return nil
	}
	ptr := prev.Tables[tr.Name]
	if ptr == nil || !slices.Equal(ptr.Def.Key, tr.Def.Key) {
		return nil
	}
	return ptr
}

func prevByKey(ptr *TableRows, k string) *Row {
	if ptr == nil {
		return nil
	}
	return ptr.byKey[k]
}

// compareRow compares a declared row with its live row: the UPDATE of
// the columns that differ (nil when none is planned) and the drift found.
func compareRow(tr, ptr *TableRows, r *Row, cols []string, lr []*string, absent map[string]bool, leave bool) (*Statement, []Finding) {
	var (
		set    []string
		args   []any
		first  *Value
		found  []Finding
		sample []string
	)
	nkey := len(tr.Def.Key)
	var p *Row
	if ptr != nil {
		p = ptr.byKey[strings.Join(r.Key, "\x00")]
	}
	for i, c := range cols[nkey:] {
		v := r.Values[tr.pos[c]]
		if !v.Set {
			continue
		}
		lval := lr[nkey+i]
		if !absent[c] && same(v, lval) {
			continue
		}
		if p != nil && !absent[c] {
			if pv, ok := ptr.Value(p, c); ok && pv.Null == v.Null && pv.S == v.S {
				f := Finding{Table: tr.Name, Key: keyText(tr.Def.Key, r.Key), Column: c, Change: "modified", Detail: fmt.Sprintf("%s is %s, declared %s", c, show(lval), showValue(v)), Left: leave}
				found = append(found, f)
				if leave {
					continue
				}
			}
		}
		set = append(set, quote(c)+" = ?")
		args = append(args, arg(v))
		if absent[c] {
			sample = append(sample, c+" = "+clip(showValue(v)))
		} else {
			sample = append(sample, c+": "+clip(show(lval))+" → "+clip(showValue(v)))
		}
		if first == nil {
			vv := v
			first = &vv
		}
	}
	if len(set) == 0 {
		return nil, found
	}
	where, wargs := keyWhere(tr.Def.Key, r.Key)
	return &Statement{
		SQL:  "UPDATE " + tr.qualified() + " SET " + strings.Join(set, ", ") + " WHERE " + where,
		Args: append(args, wargs...), Table: tr.Name, Columns: cols,
		Layer: first.Src.Layer, File: first.Src.File, Line: int(first.Line), Kind: "update", Rows: 1,
		Sample: []string{fmt.Sprintf("%s: %s (%s:%d)", keyText(tr.Def.Key, r.Key), strings.Join(sample, ", "), first.Src.File, first.Line)},
	}, found
}

// deletes are the DELETEs of rows, one per row, in prev's order.
func deletes(ptr *TableRows, rows []*Row) []Statement {
	sort.Slice(rows, func(i, j int) bool { return rows[i].idx < rows[j].idx })
	var out []Statement
	for i, r := range rows {
		if i > 0 && rows[i-1] == r {
			continue
		}
		where, args := keyWhere(ptr.Def.Key, r.Key)
		k := keyText(ptr.Def.Key, r.Key)
		out = append(out, Statement{
			SQL:  "DELETE FROM " + ptr.qualified() + " WHERE " + where,
			Args: args, Table: ptr.Name, Columns: ptr.Def.Key,
			Layer: r.Src.Layer, File: r.Src.File, Line: int(r.Line), Kind: "delete", Rows: 1,
			Destructive: true, Reason: fmt.Sprintf("deletes the row %s of %s that git no longer declares", k, ptr.Name),
			Sample: []string{fmt.Sprintf("%s (%s:%d)", k, r.Src.File, r.Line)},
		})
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
		max := min(BatchRows, MaxArgs/len(cols))
		for j < len(rows) && j-i < max && rows[j].Src == rows[i].Src && strings.Join(rowColumns(tr, rows[j]), ",") == sig {
			j++
		}
		quoted := make([]string, len(cols))
		for k, c := range cols {
			quoted[k] = quote(c)
		}
		tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		tuples := make([]string, 0, j-i)
		args := make([]any, 0, (j-i)*len(cols))
		var sample []string
		for _, r := range rows[i:j] {
			tuples = append(tuples, tuple)
			for _, c := range cols {
				args = append(args, arg(r.Values[tr.pos[c]]))
			}
			if len(sample) < SampleRows {
				sample = append(sample, tr.describe(r, cols))
			}
		}
		out = append(out, Statement{
			SQL:  "INSERT INTO " + tr.qualified() + " (" + strings.Join(quoted, ", ") + ") VALUES " + strings.Join(tuples, ", "),
			Args: args, Table: tr.Name, Columns: cols,
			Layer: rows[i].Src.Layer, File: rows[i].Src.File, Line: int(rows[i].Line), Kind: "insert", Rows: j - i,
			Sample: sample,
		})
		i = j
	}
	return out
}

// rowColumns are the columns a row declares, in the table's order.
func rowColumns(tr *TableRows, r *Row) []string {
	var cols []string
	for i, c := range tr.Def.Columns {
		if r.Values[i].Set {
			cols = append(cols, c)
		}
	}
	return cols
}

// describe is a row as plans show it: its key, then its other values.
func (tr *TableRows) describe(r *Row, cols []string) string {
	var vals []string
	for _, c := range cols {
		if slices.Contains(tr.Def.Key, c) || !r.Values[tr.pos[c]].Set {
			continue
		}
		vals = append(vals, c+"="+clip(showValue(r.Values[tr.pos[c]])))
	}
	return fmt.Sprintf("%s: %s (%s:%d)", keyText(tr.Def.Key, r.Key), strings.Join(vals, ", "), r.Src.File, r.Line)
}

// clip shortens a value shown in a plan.
func clip(s string) string {
	const most = 60
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	return string([]rune(s)[:most]) + "…"
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

// TableChanges are the changes a plan makes to the rows of one table:
// how many rows of each kind, and the first rows of each kind.
type TableChanges struct {
	Table  string `json:"table"`
	Insert int    `json:"insert,omitempty"`
	Update int    `json:"update,omitempty"`
	Delete int    `json:"delete,omitempty"`
	// Rows describe the first SampleRows rows of each kind, in plan
	// order, each with its kind and where git declares it: "insert
	// id=5: name_en=\"Gandaki\" (layers/basic/data/provinces.yaml:19)".
	Rows []string `json:"rows,omitempty"`
}

// Summarise counts statements' rows per table and kind, tables in the
// order the statements first touch them.
func Summarise(sts []Statement) []TableChanges {
	var out []TableChanges
	at := map[string]int{}
	shown := map[string]int{}
	for _, s := range sts {
		i, ok := at[s.Table]
		if !ok {
			i = len(out)
			at[s.Table] = i
			out = append(out, TableChanges{Table: s.Table})
		}
		tc := &out[i]
		switch s.Kind {
		case "insert":
			tc.Insert += s.Rows
		case "update":
			tc.Update += s.Rows
		case "delete":
			tc.Delete += s.Rows
		}
		for _, row := range s.Sample {
			k := s.Table + "\x00" + s.Kind
			if shown[k] >= SampleRows {
				break
			}
			shown[k]++
			tc.Rows = append(tc.Rows, s.Kind+" "+row)
		}
	}
	return out
}

// String is the counts of a table's changes: "districts: 77 insert".
func (tc TableChanges) String() string {
	var parts []string
	for _, k := range []struct {
		n    int
		kind string
	}{{tc.Insert, "insert"}, {tc.Update, "update"}, {tc.Delete, "delete"}} {
		if k.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", k.n, k.kind))
		}
	}
	return tc.Table + ": " + strings.Join(parts, ", ")
}
