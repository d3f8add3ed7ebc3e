package refdata

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxRows bounds the rows one table may declare across a tenant's layers.
const MaxRows = 100_000

// File is one data file of a layer: data/<table>.yaml.
type File struct {
	Layer string
	Path  string // relative to the repository root
	Data  []byte
}

// Table is what refdata needs to know of a table the desired schema
// declares: its columns, and the columns of its primary key.
type Table struct {
	Columns []string
	Key     []string
	// Refs are the tables the table's foreign keys reference: their rows
	// are inserted first and deleted last.
	Refs []string
	// Integers are the columns that take integers only; Enums the values
	// each enum column takes.
	Integers map[string]bool
	Enums    map[string][]string
}

// Value is one declared column value; Null is SQL NULL.
type Value struct {
	S    string
	Null bool
	// Where the value was declared.
	Layer, File string
	Line        int
}

// Row is one declared row, by its primary key.
type Row struct {
	Key    []string
	Values map[string]Value
	// Where the row was first declared.
	Layer, File string
	Line        int
}

// Set is the declared rows of a tenant, by table.
type Set struct {
	Tables map[string]*TableRows
	// Database, when set, qualifies the tables of planned statements
	// (MySQL and MariaDB); SQLite's statements name the table alone.
	Database string
}

// TableRows is the declared rows of one table, in declaration order.
type TableRows struct {
	set   *Set
	Name  string
	Def   Table
	Rows  []*Row
	byKey map[string]*Row
}

// Error is a problem of a data file, at its line and column.
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors are the problems of a tenant's data files.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// identPattern is the subset of landlord's identifier rule that data files
// may use for tables and columns.
var identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Compose decodes the data files of a tenant's layers, in apply order, for
// the tables it has (tables). A row for a table the tenant does not have,
// a column the table does not have, a row without its whole primary key,
// a key given twice in one layer: each is an error at its file and line.
// A later layer's row with the key of an earlier layer's overrides the
// columns it gives.
func Compose(files []File, tables map[string]Table) (*Set, error) {
	set := &Set{Tables: map[string]*TableRows{}}
	var errs Errors
	// The layer and file of each key, to name both files of a conflict.
	for _, f := range files {
		table := strings.TrimSuffix(path.Base(f.Path), path.Ext(f.Path))
		def, ok := tables[table]
		if !identPattern.MatchString(table) || !ok {
			errs = append(errs, &Error{File: f.Path, Msg: fmt.Sprintf("rows for table %q: no layer of this tenant declares it", table)})
			continue
		}
		tr := set.Tables[table]
		if tr == nil {
			tr = &TableRows{set: set, Name: table, Def: def, byKey: map[string]*Row{}}
			set.Tables[table] = tr
		}
		errs = append(errs, tr.decode(f)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return set, nil
}

func (tr *TableRows) decode(f File) Errors {
	var root yaml.Node
	if err := yaml.Unmarshal(f.Data, &root); err != nil {
		return Errors{{File: f.Path, Msg: err.Error()}}
	}
	if root.Kind == 0 {
		return nil // an empty file
	}
	doc := root.Content[0]
	if doc.Kind != yaml.SequenceNode {
		return Errors{{File: f.Path, Line: doc.Line, Column: doc.Column, Msg: "want a list of rows (- column: value)"}}
	}
	cols := map[string]bool{}
	for _, c := range tr.Def.Columns {
		cols[c] = true
	}
	var errs Errors
	seen := map[string]int{} // keys of this file, by line
	for _, n := range doc.Content {
		if n.Kind != yaml.MappingNode {
			errs = append(errs, &Error{File: f.Path, Line: n.Line, Column: n.Column, Msg: "a row must be a mapping of column: value"})
			continue
		}
		vals := map[string]Value{}
		bad := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch {
			case k.Kind != yaml.ScalarNode || !identPattern.MatchString(k.Value) || !cols[k.Value]:
				errs = append(errs, &Error{File: f.Path, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("unknown column %q of table %s%s", k.Value, tr.Name, suggest(k.Value, tr.Def.Columns))})
				bad = true
				continue
			case v.Kind != yaml.ScalarNode:
				errs = append(errs, &Error{File: f.Path, Line: v.Line, Column: v.Column, Msg: fmt.Sprintf("column %s: want a single value", k.Value)})
				bad = true
				continue
			}
			if _, dup := vals[k.Value]; dup {
				errs = append(errs, &Error{File: f.Path, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("column %s given twice in one row", k.Value)})
				bad = true
				continue
			}
			val := scalar(v, f, k.Line)
			if msg := tr.Def.check(k.Value, val); msg != "" {
				errs = append(errs, &Error{File: f.Path, Line: v.Line, Column: v.Column, Msg: msg})
				bad = true
				continue
			}
			vals[k.Value] = val
		}
		if bad {
			continue
		}
		key := make([]string, len(tr.Def.Key))
		for i, c := range tr.Def.Key {
			v, ok := vals[c]
			if !ok || v.Null {
				errs = append(errs, &Error{File: f.Path, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf("a row of %s without its primary key column %s", tr.Name, c)})
				bad = true
				break
			}
			key[i] = v.S
		}
		if bad {
			continue
		}
		k := strings.Join(key, "\x00")
		if line, dup := seen[k]; dup {
			errs = append(errs, &Error{File: f.Path, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf("duplicate key %s of %s: first at line %d", keyText(tr.Def.Key, key), tr.Name, line)})
			continue
		}
		seen[k] = n.Line
		if prev, ok := tr.byKey[k]; ok {
			if prev.Layer == f.Layer {
				errs = append(errs, &Error{File: f.Path, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf("key %s of %s is also declared by %s:%d in the same layer", keyText(tr.Def.Key, key), tr.Name, prev.File, prev.Line)})
				continue
			}
			for c, v := range vals { // a later layer overrides
				prev.Values[c] = v
			}
			continue
		}
		if len(tr.Rows) >= MaxRows {
			errs = append(errs, &Error{File: f.Path, Line: n.Line, Msg: fmt.Sprintf("more than %d rows for %s", MaxRows, tr.Name)})
			return errs
		}
		r := &Row{Key: key, Values: vals, Layer: f.Layer, File: f.Path, Line: n.Line}
		tr.Rows = append(tr.Rows, r)
		tr.byKey[k] = r
	}
	return errs
}

var integerPattern = regexp.MustCompile(`^-?[0-9]{1,20}$`)

// check returns why v cannot be a value of column c, or "".
func (t Table) check(c string, v Value) string {
	if v.Null {
		return ""
	}
	if t.Integers[c] && !integerPattern.MatchString(v.S) {
		return fmt.Sprintf("column %s: %q is not an integer", c, v.S)
	}
	if values, ok := t.Enums[c]; ok {
		for _, e := range values {
			if e == v.S {
				return ""
			}
		}
		return fmt.Sprintf("column %s: %q is not one of %s", c, v.S, strings.Join(values, ", "))
	}
	return ""
}

func scalar(v *yaml.Node, f File, line int) Value {
	val := Value{S: v.Value, Layer: f.Layer, File: f.Path, Line: line}
	switch v.ShortTag() {
	case "!!null":
		val.S, val.Null = "", true
	case "!!bool":
		var b bool
		if v.Decode(&b) == nil {
			val.S = "0"
			if b {
				val.S = "1"
			}
		}
	}
	return val
}

func suggest(name string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(k, name) || strings.ReplaceAll(k, "_", "") == strings.ReplaceAll(strings.ToLower(name), "_", "") {
			return fmt.Sprintf(" (did you mean %s?)", k)
		}
	}
	return ""
}

func keyText(cols, vals []string) string {
	parts := make([]string, len(cols))
	for i := range cols {
		parts[i] = cols[i] + "=" + vals[i]
	}
	return strings.Join(parts, ",")
}

// Names returns the declared tables, a table after the tables its
// foreign keys reference, else by name.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	names := make([]string, 0, len(s.Tables))
	for n := range s.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	var (
		out  []string
		done = map[string]bool{}
		on   = map[string]bool{}
	)
	var visit func(n string)
	visit = func(n string) {
		if done[n] || on[n] { // a cycle of references: by name
			return
		}
		on[n] = true
		if tr := s.Tables[n]; tr != nil {
			refs := append([]string(nil), tr.Def.Refs...)
			sort.Strings(refs)
			for _, r := range refs {
				if _, ok := s.Tables[r]; ok {
					visit(r)
				}
			}
		}
		on[n] = false
		done[n] = true
		out = append(out, n)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}

// Columns returns the columns the table's rows declare, key first, in the
// table's column order.
func (tr *TableRows) Columns() []string {
	used := map[string]bool{}
	for _, r := range tr.Rows {
		for c := range r.Values {
			used[c] = true
		}
	}
	out := append([]string(nil), tr.Def.Key...)
	inKey := map[string]bool{}
	for _, c := range tr.Def.Key {
		inKey[c] = true
	}
	for _, c := range tr.Def.Columns {
		if used[c] && !inKey[c] {
			out = append(out, c)
		}
	}
	return out
}

// Row returns the declared row with key, if any.
func (tr *TableRows) Row(key []string) (*Row, bool) {
	r, ok := tr.byKey[strings.Join(key, "\x00")]
	return r, ok
}

// Checksum is a hash of the table's declared rows, each column as
// declared, in key order: the checksum of the same rows read back from a
// database (LiveChecksum) is equal once the rows are as declared.
func (tr *TableRows) Checksum() string {
	cols := tr.Columns()
	rows := make([][]*string, 0, len(tr.Rows))
	for _, r := range tr.Rows {
		row := make([]*string, len(cols))
		for i, c := range cols {
			if v, ok := r.Values[c]; ok && !v.Null {
				s := v.S
				row[i] = &s
			}
		}
		rows = append(rows, row)
	}
	return checksum(cols, rows, tr.Def.Key)
}

// LiveChecksum hashes live rows (as read by ReadQuery: the key columns
// first, then the others of Columns) restricted to the declared keys and
// columns: it equals Checksum when every declared row is as declared. A
// column a declared row leaves out is not compared.
func (tr *TableRows) LiveChecksum(live map[string][]*string) string {
	cols := tr.Columns()
	rows := make([][]*string, 0, len(tr.Rows))
	for _, r := range tr.Rows {
		lr, ok := live[strings.Join(r.Key, "\x00")]
		if !ok {
			rows = append(rows, nil)
			continue
		}
		row := make([]*string, len(cols))
		for i, c := range cols {
			if _, declared := r.Values[c]; declared {
				row[i] = lr[i]
			}
		}
		rows = append(rows, row)
	}
	return checksum(cols, rows, tr.Def.Key)
}

func checksum(cols []string, rows [][]*string, key []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q\n", cols)
	for _, r := range rows {
		if r == nil {
			h.Write([]byte("missing\n"))
			continue
		}
		for _, v := range r {
			if v == nil {
				h.Write([]byte{0xff, 0})
				continue
			}
			fmt.Fprintf(h, "%d:%s\x00", len(*v), *v)
		}
		h.Write([]byte("\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}
