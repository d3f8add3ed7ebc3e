package refdata

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/landlord/landlord/internal/fileerr"
)

// Limits of data files. A data file is not a manifest: it may hold many
// rows, so it is read as a stream of rows, each bounded on its own, and the
// rows of a table are bounded together.
const (
	// MaxRows bounds the rows one table may declare across a tenant's
	// layers: the declared rows are held in memory, compactly (about
	// 200 bytes and the values' text per row).
	MaxRows = 250_000
	// MaxTenantRows bounds the rows all a tenant's layers declare
	// together, so that many small tables cannot hold what one may not.
	MaxTenantRows = 1_000_000
	// MaxRowBytes bounds the text of one row of a YAML file (its item
	// of the list) and one line of a CSV file.
	MaxRowBytes = 64 << 10
	// MaxValueLength bounds one value, in bytes.
	MaxValueLength = 16 << 10
)

// File is one data file of a layer: data/<table>.yaml or data/<table>.csv.
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
	// Uniques are the columns of the table's unique indexes: a data file
	// may key its rows by one of them instead of the primary key.
	Uniques [][]string
	// Refs are the tables the table's foreign keys reference: their rows
	// are inserted first and deleted last.
	Refs []string
	// Integers are the columns that take integers only; Enums the values
	// each enum column takes.
	Integers map[string]bool
	Enums    map[string][]string
}

// Source is a data file of a layer.
type Source struct {
	Layer, File string
}

// Value is one declared column value; Null is SQL NULL. Set is false for
// a column the row does not declare.
type Value struct {
	S         string
	Src       *Source // where the value was declared
	Line      int32
	Null, Set bool
}

// Row is one declared row, by its key.
type Row struct {
	Key []string
	// Values by the position of their column in the table's columns
	// (Table.Columns).
	Values []Value
	// Where the row was first declared.
	Src  *Source
	Line int32
	idx  int32
}

// Set is the declared rows of a tenant, by table.
type Set struct {
	rows   int // declared, all tables together
	Tables map[string]*TableRows
	// Database, when set, qualifies the tables of planned statements
	// (MySQL and MariaDB); SQLite's statements name the table alone.
	Database string
}

// TableRows is the declared rows of one table, in declaration order.
type TableRows struct {
	set  *Set
	Name string
	// Def is the table; Def.Key is the key the rows are declared by (the
	// primary key or the unique key their files declare).
	Def   Table
	Rows  []*Row
	byKey map[string]*Row
	// keyFrom is the first file that declared the table's key.
	keyFrom string
	primary []string
	pos     map[string]int
}

// Value returns the value r declares for column c.
func (tr *TableRows) Value(r *Row, c string) (Value, bool) {
	i, ok := tr.pos[c]
	if !ok || !r.Values[i].Set {
		return Value{}, false
	}
	return r.Values[i], true
}

// Error is a problem of a data file, at its line and column.
type Error = fileerr.Error

// Errors are the problems of a tenant's data files.
type Errors = fileerr.Errors

// maxErrors bounds the errors one file reports: a file wrong on every
// row says so in its first ones.
const maxErrors = 50

// identPattern is the subset of landlord's identifier rule that data files
// may use for tables and columns.
var identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Compose decodes the data files of a tenant's layers, in apply order, for
// the tables it has (tables). A row for a table the tenant does not have,
// a column the table does not have, a row without its whole key, a key
// given twice in one layer: each is an error at its file and line. A later
// layer's row with the key of an earlier layer's overrides the columns it
// gives.
func Compose(files []File, tables map[string]Table) (*Set, error) {
	set := &Set{Tables: map[string]*TableRows{}}
	var errs Errors
	for _, f := range files {
		ext := path.Ext(f.Path)
		table := strings.TrimSuffix(path.Base(f.Path), ext)
		def, ok := tables[table]
		if !identPattern.MatchString(table) || !ok {
			errs = append(errs, &Error{File: f.Path, Msg: fmt.Sprintf("rows for table %q: no layer of this tenant declares it", table)})
			continue
		}
		tr := set.Tables[table]
		if tr == nil {
			tr = &TableRows{set: set, Name: table, Def: def, byKey: map[string]*Row{}, pos: map[string]int{}, primary: def.Key}
			for i, c := range def.Columns {
				tr.pos[c] = i
			}
			set.Tables[table] = tr
		}
		d := &decoder{tr: tr, src: &Source{Layer: f.Layer, File: f.Path}, seen: map[string]int32{}}
		if ext == ".csv" {
			d.csv(f.Data)
		} else {
			d.yaml(f.Data)
		}
		errs = append(errs, d.errs...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return set, nil
}

// decoder decodes the rows of one file into its table.
type decoder struct {
	tr     *TableRows
	src    *Source
	errs   Errors
	seen   map[string]int32 // keys of this file, by line
	keyed  bool             // the file's key is settled
	failed bool             // stop: too many errors or rows
}

func (d *decoder) fail(line, col int, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		d.failed = true
		return
	}
	d.errs = append(d.errs, &Error{File: d.src.File, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
	if len(d.errs) == maxErrors {
		d.errs = append(d.errs, &Error{File: d.src.File, Msg: fmt.Sprintf("more than %d errors: the rest of the file is not read", maxErrors)})
		d.failed = true
	}
}

// setKey settles the key the file declares its rows by: the table's
// primary key when key is nil, else the primary key or a unique key's
// columns. Every file of a table declares the same.
func (d *decoder) setKey(key []string, line, col int) bool {
	d.keyed = true
	tr := d.tr
	if key == nil {
		key = tr.primary
		if len(key) == 0 {
			d.fail(line, col, "table %s has no primary key: declare the unique key its rows are keyed by (key: column)", tr.Name)
			d.failed = true
			return false
		}
	}
	ok := sameColumns(key, tr.primary)
	for _, u := range tr.Def.Uniques {
		ok = ok || sameColumns(key, u)
	}
	switch {
	case !ok:
		d.fail(line, col, "key (%s) is neither the primary key nor a unique key of table %s", strings.Join(key, ", "), tr.Name)
	case tr.keyFrom != "" && !sameColumns(key, tr.Def.Key):
		d.fail(line, col, "rows of %s keyed by (%s), but %s keys them by (%s): every file of a table uses one key", tr.Name, strings.Join(key, ", "), tr.keyFrom, strings.Join(tr.Def.Key, ", "))
	case tr.keyFrom == "":
		tr.Def.Key = key
		tr.keyFrom = d.src.File
		return true
	default:
		return true
	}
	d.failed = true
	return false
}

func sameColumns(a, b []string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// field is one column value of a row being decoded.
type field struct {
	name         string
	val          Value
	line, column int // of the column's name
	vline, vcol  int // of its value
}

// add takes one decoded row: its fields, the line and column it starts at.
func (d *decoder) add(fields []field, line, col int) {
	tr := d.tr
	vals := make([]Value, len(tr.Def.Columns))
	bad := false
	for _, f := range fields {
		i, ok := tr.pos[f.name]
		if !ok || !identPattern.MatchString(f.name) {
			d.fail(f.line, f.column, "unknown column %q of table %s%s", f.name, tr.Name, suggest(f.name, tr.Def.Columns))
			bad = true
			continue
		}
		if vals[i].Set {
			d.fail(f.line, f.column, "column %s given twice in one row", f.name)
			bad = true
			continue
		}
		if len(f.val.S) > MaxValueLength {
			d.fail(f.vline, f.vcol, "column %s: a value of %d bytes, at most %d", f.name, len(f.val.S), MaxValueLength)
			bad = true
			continue
		}
		if !utf8.ValidString(f.val.S) {
			d.fail(f.vline, f.vcol, "column %s: not valid UTF-8", f.name)
			bad = true
			continue
		}
		if msg := tr.Def.check(f.name, f.val); msg != "" {
			d.fail(f.vline, f.vcol, "%s", msg)
			bad = true
			continue
		}
		vals[i] = f.val
	}
	if bad {
		return
	}
	key := make([]string, len(tr.Def.Key))
	for i, c := range tr.Def.Key {
		v := vals[tr.pos[c]]
		if !v.Set || v.Null {
			what := "key column"
			if sameColumns(tr.Def.Key, tr.primary) {
				what = "primary key column"
			}
			d.fail(line, col, "a row of %s without its %s %s", tr.Name, what, c)
			return
		}
		key[i] = v.S
	}
	k := strings.Join(key, "\x00")
	if first, dup := d.seen[k]; dup {
		d.fail(line, col, "duplicate key %s of %s: first at line %d", keyText(tr.Def.Key, key), tr.Name, first)
		return
	}
	d.seen[k] = int32(line)
	if prev, ok := tr.byKey[k]; ok {
		if prev.Src.Layer == d.src.Layer {
			d.fail(line, col, "key %s of %s is also declared by %s:%d in the same layer", keyText(tr.Def.Key, key), tr.Name, prev.Src.File, prev.Line)
			return
		}
		for i, v := range vals { // a later layer overrides
			if v.Set {
				prev.Values[i] = v
			}
		}
		return
	}
	if len(tr.Rows) >= MaxRows {
		d.fail(line, 0, "more than %d rows for %s", MaxRows, tr.Name)
		d.failed = true
		return
	}
	if tr.set.rows >= MaxTenantRows {
		d.fail(line, 0, "more than %d rows for the tenant's tables together", MaxTenantRows)
		d.failed = true
		return
	}
	tr.set.rows++
	r := &Row{Key: key, Values: vals, Src: d.src, Line: int32(line), idx: int32(len(tr.Rows))}
	tr.Rows = append(tr.Rows, r)
	tr.byKey[k] = r
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
		parts[i] = cols[i] + "=" + keyValue(vals[i])
	}
	return strings.Join(parts, ",")
}

// keyValue shows a key's value in plans, findings and reasons: as it is
// when it is short, printable and unambiguous, else quoted and clipped, so
// that no value of a data file brings control characters or pages of text
// into a terminal, a pull request comment or a drift record.
func keyValue(v string) string {
	if utf8.RuneCountInString(v) <= 60 && !strings.ContainsAny(v, `,="\`) && !strings.ContainsFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return v
	}
	return clip(strconv.Quote(v))
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
	used := make([]bool, len(tr.Def.Columns))
	for _, r := range tr.Rows {
		for i, v := range r.Values {
			if v.Set {
				used[i] = true
			}
		}
	}
	out := append([]string(nil), tr.Def.Key...)
	for i, c := range tr.Def.Columns {
		if used[i] && !slices.Contains(tr.Def.Key, c) {
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
// declared: the checksum of the same rows read back from a database
// (LiveChecksum) is equal once the rows are as declared. The rows are
// combined in no order (a sum of their hashes), so the live rows are
// hashed as they stream, without holding them.
func (tr *TableRows) Checksum() string {
	cols := tr.Columns()
	var sum rowSum
	row := make([]*string, len(cols))
	for _, r := range tr.Rows {
		for i, c := range cols {
			row[i] = nil
			if v := r.Values[tr.pos[c]]; v.Set && !v.Null {
				s := v.S
				row[i] = &s
			}
		}
		sum.add(row)
	}
	return sum.text(cols, len(tr.Rows))
}

// LiveChecksum hashes the live rows each calls fn with (as read by
// ReadQuery: the key columns first, then the others of Columns),
// restricted to the declared keys and columns: it equals Checksum when
// every declared row is as declared. A column a declared row leaves out is
// not compared; a row git never declared is left out.
func (tr *TableRows) LiveChecksum(each func(fn func([]*string) error) error) (string, error) {
	cols := tr.Columns()
	nkey := len(tr.Def.Key)
	var (
		sum  rowSum
		n    int
		key  = make([]string, nkey)
		seen = make([]bool, len(tr.Rows))
		row  = make([]*string, len(cols))
	)
	if each == nil {
		return sum.text(cols, 0), nil
	}
	err := each(func(lr []*string) error {
		k, ok := liveKey(lr, key)
		if !ok {
			return nil
		}
		r, ok := tr.byKey[k]
		if !ok || seen[r.idx] {
			return nil
		}
		seen[r.idx] = true
		for i, c := range cols {
			row[i] = nil
			if r.Values[tr.pos[c]].Set {
				row[i] = lr[i]
			}
		}
		sum.add(row)
		n++
		return nil
	})
	return sum.text(cols, n), err
}

// rowSum is an order-free combination of row hashes: their sum, lane by
// lane.
type rowSum [4]uint64

func (s *rowSum) add(row []*string) {
	h := sha256.New()
	var n [8]byte
	for _, v := range row {
		if v == nil {
			h.Write([]byte{0xff})
			continue
		}
		binary.BigEndian.PutUint64(n[:], uint64(len(*v)))
		h.Write(n[:])
		h.Write([]byte(*v))
	}
	d := h.Sum(nil)
	for i := range s {
		s[i] += binary.BigEndian.Uint64(d[i*8:])
	}
}

func (s *rowSum) text(cols []string, rows int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %d\n", cols, rows)
	for _, v := range s {
		binary.Write(h, binary.BigEndian, v)
	}
	return hex.EncodeToString(h.Sum(nil))
}
