package seed

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/landlord/landlord/internal/fileerr"
)

// MaxRows bounds the rows one seed generates, over all tables: generated
// rows are kept in memory until they are written, so that later tables
// can reference them.
const MaxRows = 1_000_000

// File is one layer's demo.yaml.
type File struct {
	Layer string
	Path  string // relative to the repository root
	Data  []byte
}

// Error is a problem of a demo file, at its line and column.
type Error = fileerr.Error

// Errors are the problems of a tenant's demo files.
type Errors = fileerr.Errors

// Origin is where something was declared.
type Origin struct {
	Layer, File  string
	Line, Column int
}

func (o Origin) errorf(format string, args ...any) *Error {
	return &Error{File: o.File, Line: o.Line, Column: o.Column, Msg: fmt.Sprintf(format, args...)}
}

// Spec is the demo data a tenant's layers declare: for each table, how
// many rows and how each column is generated.
type Spec struct {
	tables map[string]*Table // every table of the tenant
	gens   map[string]*tableGen
	order  []string // generated tables, a table after those it references
}

// tableGen is the declared generation of one table.
type tableGen struct {
	table    *Table
	rows     float64 // fixed
	perScale float64
	origin   Origin
	cols     map[string]*gen
	declared []string // columns with a generator, in declaration order
}

// gen is the generator of one column.
type gen struct {
	name string // person.name, int, oneof, ref, copy, ...
	// arguments, by generator
	strs       []string
	lo, hi     float64
	from, to   time.Time
	path       [2]string // copy: fk column, parent column; after: column
	null       float64   // the fraction of rows that get NULL (nulls:)
	origin     Origin
	placeholds [][2]string // format: column, parent column ("" for the row's own)
}

// parentPaths are the paths of g that read a parent row through a
// foreign key (format placeholders and a copy): fk column, parent column.
func (g *gen) parentPaths() [][2]string {
	var out [][2]string
	for _, p := range g.placeholds {
		if p[1] != "" {
			out = append(out, p)
		}
	}
	if g.name == "copy" && g.path[1] != "" {
		out = append(out, g.path)
	}
	return out
}

var identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Compose decodes the demo files of a tenant's layers, in apply order,
// against the tenant's tables. A later layer may change an earlier one's
// row counts and replace its generators, column by column.
func Compose(files []File, tables []Table) (*Spec, error) {
	s := &Spec{tables: map[string]*Table{}, gens: map[string]*tableGen{}}
	for i := range tables {
		s.tables[tables[i].Name] = &tables[i]
	}
	var errs Errors
	for _, f := range files {
		errs = append(errs, s.decode(f)...)
	}
	if len(errs) == 0 {
		errs = append(errs, s.resolve()...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

func (s *Spec) decode(f File) Errors {
	var root yaml.Node
	if err := yaml.Unmarshal(f.Data, &root); err != nil {
		return Errors{{File: f.Path, Msg: err.Error()}}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil
	}
	doc := root.Content[0]
	at := func(n *yaml.Node) Origin { return Origin{Layer: f.Layer, File: f.Path, Line: n.Line, Column: n.Column} }
	if doc.Kind != yaml.MappingNode {
		return Errors{at(doc).errorf("want a mapping of table: {rows, perScale, columns}")}
	}
	var errs Errors
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		t, ok := s.tables[k.Value]
		if k.Kind != yaml.ScalarNode || !identPattern.MatchString(k.Value) || !ok {
			errs = append(errs, at(k).errorf("generators for table %q: no layer of this tenant declares it", k.Value))
			continue
		}
		if v.Kind != yaml.MappingNode {
			errs = append(errs, at(v).errorf("table %s: want a mapping of rows, perScale and columns", t.Name))
			continue
		}
		tg := s.gens[t.Name]
		if tg == nil {
			tg = &tableGen{table: t, origin: at(k), cols: map[string]*gen{}}
			s.gens[t.Name] = tg
		}
		seen := map[string]bool{}
		for j := 0; j+1 < len(v.Content); j += 2 {
			kk, vv := v.Content[j], v.Content[j+1]
			if seen[kk.Value] {
				errs = append(errs, at(kk).errorf("%s given twice", kk.Value))
				continue
			}
			seen[kk.Value] = true
			switch kk.Value {
			case "rows", "perScale":
				n, err := strconv.ParseFloat(vv.Value, 64)
				if vv.Kind != yaml.ScalarNode || err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) || n > MaxRows {
					errs = append(errs, at(vv).errorf("%s of %s: want a number from 0 to %d", kk.Value, t.Name, MaxRows))
					continue
				}
				if kk.Value == "rows" {
					tg.rows = n
				} else {
					tg.perScale = n
				}
			case "columns":
				if vv.Kind != yaml.MappingNode {
					errs = append(errs, at(vv).errorf("columns of %s: want a mapping of column: generator", t.Name))
					continue
				}
				for c := 0; c+1 < len(vv.Content); c += 2 {
					ck, cv := vv.Content[c], vv.Content[c+1]
					col, ok := t.column(ck.Value)
					if ck.Kind != yaml.ScalarNode || !ok {
						errs = append(errs, at(ck).errorf("unknown column %q of table %s", ck.Value, t.Name))
						continue
					}
					g, err := decodeGen(cv, at(ck), col)
					if err != nil {
						errs = append(errs, err)
						continue
					}
					if _, again := tg.cols[col.Name]; !again {
						tg.declared = append(tg.declared, col.Name)
					} else if prev := tg.cols[col.Name]; prev.origin.File == f.Path {
						errs = append(errs, at(ck).errorf("column %s of %s given twice", col.Name, t.Name))
						continue
					}
					tg.cols[col.Name] = g
				}
			default:
				errs = append(errs, at(kk).errorf("unknown key %q of table %s: want rows, perScale or columns", kk.Value, t.Name))
			}
		}
	}
	return errs
}

// scalarGens are the generators given by name alone.
var scalarGens = map[string][]Kind{
	"person.name":          {String, Text},
	"person.name_ne":       {String, Text},
	"person.first_name":    {String, Text},
	"person.last_name":     {String, Text},
	"person.first_name_ne": {String, Text},
	"person.last_name_ne":  {String, Text},
	"person.gender":        {String, Enum},
	"person.email":         {String, Text},
	"person.phone":         {String},
	"text.word":            {String, Text},
	"text.title":           {String, Text},
	"text.sentence":        {String, Text},
	"text.paragraph":       {String, Text},
	"internet.url":         {String, Text},
	"internet.ipv4":        {String},
	"password_hash":        {String},
	"place.venue":          {String, Text},
	"ref":                  nil, // any: checked against the foreign key
}

var placeholderPattern = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\}`)

// decodeGen decodes a column's generator: a name, or a mapping of one
// generator with its arguments and, optionally, nulls: FRACTION (a
// mapping key "null" would be YAML's null, not a name).
func decodeGen(n *yaml.Node, o Origin, col *Column) (*gen, *Error) {
	o.Line, o.Column = n.Line, n.Column
	g := &gen{origin: o}
	if n.Kind == yaml.ScalarNode {
		kinds, ok := scalarGens[n.Value]
		if !ok {
			return nil, o.errorf("column %s: unknown generator %q: want one of %s, or a mapping such as {int: [1, 10]}", col.Name, n.Value, strings.Join(scalarNames(), ", "))
		}
		if kinds != nil && !hasKind(kinds, col.Kind) {
			return nil, o.errorf("column %s: generator %s makes no value of the column's type", col.Name, n.Value)
		}
		g.name = n.Value
		if g.name == "person.gender" && col.Kind == Enum {
			for _, v := range []string{"female", "male"} {
				if !contains(col.Values, v) {
					return nil, o.errorf("column %s: person.gender gives female and male, the column takes %s", col.Name, strings.Join(col.Values, ", "))
				}
			}
		}
		return g, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, o.errorf("column %s: want a generator name or a mapping", col.Name)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ko := o
		ko.Line, ko.Column = v.Line, v.Column
		if k.Value == "nulls" {
			f, err := strconv.ParseFloat(v.Value, 64)
			if v.Kind != yaml.ScalarNode || err != nil || f < 0 || f > 1 {
				return nil, ko.errorf("column %s: nulls: want a fraction from 0 to 1", col.Name)
			}
			if f > 0 && !col.Nullable {
				return nil, ko.errorf("column %s: nulls: the column is NOT NULL", col.Name)
			}
			g.null = f
			continue
		}
		if g.name != "" {
			return nil, ko.errorf("column %s: one generator per column (%s and %s)", col.Name, g.name, k.Value)
		}
		g.name = k.Value
		if err := g.args(k.Value, v, ko, col); err != nil {
			return nil, err
		}
	}
	if g.name == "" {
		return nil, o.errorf("column %s: no generator, only nulls", col.Name)
	}
	return g, nil
}

// args decodes the arguments of a mapping generator.
func (g *gen) args(name string, v *yaml.Node, o Origin, col *Column) *Error {
	list := func(n int) ([]string, *Error) {
		if v.Kind != yaml.SequenceNode || (n > 0 && len(v.Content) != n) || len(v.Content) == 0 {
			if n > 0 {
				return nil, o.errorf("column %s: %s: want a list of %d values", col.Name, name, n)
			}
			return nil, o.errorf("column %s: %s: want a list of values", col.Name, name)
		}
		out := make([]string, len(v.Content))
		for i, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return nil, o.errorf("column %s: %s: want single values", col.Name, name)
			}
			out[i] = e.Value
		}
		return out, nil
	}
	scalar := func() (string, *Error) {
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			return "", o.errorf("column %s: %s: want one value", col.Name, name)
		}
		return v.Value, nil
	}
	switch name {
	case "int", "decimal":
		vals, err := list(2)
		if err != nil {
			return err
		}
		lo, e1 := strconv.ParseFloat(vals[0], 64)
		hi, e2 := strconv.ParseFloat(vals[1], 64)
		if e1 != nil || e2 != nil || lo > hi {
			return o.errorf("column %s: %s: want [min, max], numbers with min <= max", col.Name, name)
		}
		if name == "int" && (lo != math.Trunc(lo) || hi != math.Trunc(hi)) {
			return o.errorf("column %s: int: want whole numbers", col.Name)
		}
		switch {
		case name == "int" && col.Kind == Int:
			if lo < float64(col.Min) || hi > float64(col.Max) {
				return o.errorf("column %s: int: [%v, %v] is out of the column's range [%d, %d]", col.Name, lo, hi, col.Min, col.Max)
			}
		case col.Kind == Decimal || col.Kind == Float:
			if col.Kind == Decimal && col.Precision > 0 && math.Max(math.Abs(lo), math.Abs(hi)) >= math.Pow10(col.Precision-col.Scale) {
				return o.errorf("column %s: %s: [%v, %v] does not fit decimal(%d, %d)", col.Name, name, lo, hi, col.Precision, col.Scale)
			}
		case col.Kind == String || col.Kind == Text:
		default:
			return o.errorf("column %s: generator %s makes no value of the column's type", col.Name, name)
		}
		g.lo, g.hi = lo, hi
	case "date", "datetime":
		vals, err := list(2)
		if err != nil {
			return err
		}
		from, e1 := parseTime(vals[0])
		to, e2 := parseTime(vals[1])
		if e1 != nil || e2 != nil || to.Before(from) {
			return o.errorf("column %s: %s: want [from, to], dates (YYYY-MM-DD) or times (YYYY-MM-DD HH:MM:SS), from not after to", col.Name, name)
		}
		if !hasKind([]Kind{Date, DateTime, String, Text}, col.Kind) {
			return o.errorf("column %s: generator %s makes no value of the column's type", col.Name, name)
		}
		g.from, g.to = from, to
	case "oneof", "cycle":
		vals, err := list(0)
		if err != nil {
			return err
		}
		for _, s := range vals {
			if msg := fits(col, s); msg != "" {
				return o.errorf("column %s: %s: %s", col.Name, name, msg)
			}
		}
		g.strs = vals
	case "const":
		s, err := scalar()
		if err != nil {
			return err
		}
		if msg := fits(col, s); msg != "" {
			return o.errorf("column %s: const: %s", col.Name, msg)
		}
		g.strs = []string{s}
	case "seq", "pattern", "format":
		s, err := scalar()
		if err != nil {
			return err
		}
		if !hasKind([]Kind{String, Text}, col.Kind) {
			return o.errorf("column %s: generator %s makes text, the column is not a string", col.Name, name)
		}
		switch name {
		case "seq":
			if strings.Count(s, "%") != 1 || !regexp.MustCompile(`%0?[1-9]?d`).MatchString(s) {
				return o.errorf("column %s: seq: want one %%d (or %%06d) in %q, for the row's number", col.Name, s)
			}
		case "format":
			for _, m := range placeholderPattern.FindAllStringSubmatch(s, -1) {
				g.placeholds = append(g.placeholds, [2]string{m[1], m[2]})
			}
		}
		g.strs = []string{s}
	case "ref":
		if v.Kind != yaml.ScalarNode {
			return o.errorf("column %s: ref: want the referenced table", col.Name)
		}
		g.strs = []string{v.Value}
	case "copy":
		s, err := scalar()
		if err != nil {
			return err
		}
		fk, parent, ok := strings.Cut(s, ".")
		if !ok || !identPattern.MatchString(fk) || !identPattern.MatchString(parent) {
			return o.errorf("column %s: copy: want FK_COLUMN.PARENT_COLUMN", col.Name)
		}
		g.path = [2]string{fk, parent}
	case "after":
		if v.Kind != yaml.MappingNode {
			return o.errorf("column %s: after: want {column: C, hours: [min, max]}", col.Name)
		}
		if !hasKind([]Kind{Date, DateTime}, col.Kind) {
			return o.errorf("column %s: after makes a date or time, the column is neither", col.Name)
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, a := v.Content[i], v.Content[i+1]
			switch k.Value {
			case "column":
				if !identPattern.MatchString(a.Value) {
					return o.errorf("column %s: after: column: want a column name", col.Name)
				}
				g.path[0] = a.Value
			case "hours", "days":
				if a.Kind != yaml.SequenceNode || len(a.Content) != 2 {
					return o.errorf("column %s: after: %s: want [min, max]", col.Name, k.Value)
				}
				lo, e1 := strconv.ParseFloat(a.Content[0].Value, 64)
				hi, e2 := strconv.ParseFloat(a.Content[1].Value, 64)
				if e1 != nil || e2 != nil || lo < 0 || lo > hi || hi > 36600 {
					return o.errorf("column %s: after: %s: want [min, max], 0 <= min <= max", col.Name, k.Value)
				}
				unit := 1.0
				if k.Value == "days" {
					unit = 24
				}
				g.lo, g.hi = lo*unit, hi*unit
			default:
				return o.errorf("column %s: after: unknown key %q: want column, hours or days", col.Name, k.Value)
			}
		}
		if g.path[0] == "" {
			return o.errorf("column %s: after: column is required", col.Name)
		}
	default:
		return o.errorf("column %s: unknown generator %q: want int, decimal, date, datetime, oneof, cycle, const, seq, pattern, format, ref, copy or after", col.Name, name)
	}
	return nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateTime, s)
}

// fits returns why s is not a value of col, or "".
func fits(col *Column, s string) string {
	switch col.Kind {
	case Enum:
		if !contains(col.Values, s) {
			return fmt.Sprintf("%q is not one of %s", s, strings.Join(col.Values, ", "))
		}
	case Int, Bool:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < col.Min || n > col.Max {
			return fmt.Sprintf("%q is not an integer from %d to %d", s, col.Min, col.Max)
		}
	case String:
		if col.Size > 0 && len([]rune(s)) > col.Size {
			return fmt.Sprintf("%q is longer than %d characters", s, col.Size)
		}
	}
	return ""
}

func hasKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func scalarNames() []string {
	var out []string
	for n := range scalarGens {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// resolve checks what needs every table at once: references, copies and
// formats, the order of generation.
func (s *Spec) resolve() Errors {
	var errs Errors
	names := make([]string, 0, len(s.gens))
	for n := range s.gens {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		tg := s.gens[n]
		t := tg.table
		if len(t.Key) == 0 {
			errs = append(errs, tg.origin.errorf("table %s has no primary key: seed can neither keep its rows unique nor clear them", t.Name))
			continue
		}
		before := map[string]bool{} // columns set before a declared one
		for _, c := range t.Columns {
			if tg.isRef(c.Name) {
				before[c.Name] = true
			}
		}
		for _, c := range tg.declared {
			g := tg.cols[c]
			switch g.name {
			case "ref":
				fk, ok := t.fkOf(c)
				if !ok || fk.RefTable != g.strs[0] && g.strs[0] != "" {
					errs = append(errs, g.origin.errorf("column %s: ref: %s has no foreign key from %s to %q", c, t.Name, c, g.strs[0]))
				}
			case "copy":
				if err := s.checkPath(t, g, g.path[0], g.path[1], before); err != nil {
					errs = append(errs, err)
				}
			case "format":
				for _, p := range g.placeholds {
					if p[1] == "" {
						if p[0] != "n" && !before[p[0]] {
							errs = append(errs, g.origin.errorf("column %s: format: {%s} is not a column set before this one (columns given earlier in the file, or foreign keys)", c, p[0]))
						}
						continue
					}
					if err := s.checkPath(t, g, p[0], p[1], before); err != nil {
						errs = append(errs, err)
					}
				}
			case "after":
				if !before[g.path[0]] {
					errs = append(errs, g.origin.errorf("column %s: after: %s is not a column set before this one", c, g.path[0]))
				} else if ac, _ := t.column(g.path[0]); ac.Kind != Date && ac.Kind != DateTime {
					errs = append(errs, g.origin.errorf("column %s: after: %s is not a date or time", c, g.path[0]))
				}
			}
			before[c] = true
		}
		for _, c := range t.Columns {
			if _, ok := tg.cols[c.Name]; ok || tg.isRef(c.Name) || c.Nullable || c.Default != nil || tg.isSeq(c.Name) {
				continue
			}
			if c.Kind == Other {
				errs = append(errs, tg.origin.errorf("column %s of %s: no generator for its type: declare one", c.Name, t.Name))
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	// A table after the generated tables it references.
	done, on := map[string]bool{}, map[string]bool{}
	var visit func(n string) *Error
	visit = func(n string) *Error {
		if done[n] {
			return nil
		}
		if on[n] {
			return s.gens[n].origin.errorf("the foreign keys of the generated tables form a cycle through %s", n)
		}
		on[n] = true
		for _, fk := range s.gens[n].table.ForeignKeys {
			if fk.RefTable != n && s.gens[fk.RefTable] != nil && s.gens[n].refs(fk) {
				if err := visit(fk.RefTable); err != nil {
					return err
				}
			}
		}
		on[n] = false
		done[n] = true
		s.order = append(s.order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return Errors{err}
		}
	}
	return nil
}

func (s *Spec) checkPath(t *Table, g *gen, fkCol, parentCol string, before map[string]bool) *Error {
	fk, ok := t.fkOf(fkCol)
	if !ok || len(fk.Columns) != 1 {
		return g.origin.errorf("%s.%s: %s is not a single-column foreign key of %s", fkCol, parentCol, fkCol, t.Name)
	}
	if !before[fkCol] {
		return g.origin.errorf("%s.%s: %s is not set before this column", fkCol, parentCol, fkCol)
	}
	pt := s.tables[fk.RefTable]
	if pt == nil {
		return g.origin.errorf("%s.%s: the table %s is not the tenant's", fkCol, parentCol, fk.RefTable)
	}
	if _, ok := pt.column(parentCol); !ok {
		return g.origin.errorf("%s.%s: %s has no column %s", fkCol, parentCol, fk.RefTable, parentCol)
	}
	return nil
}

// isRef reports whether a column takes its value from a referenced row:
// a column of a foreign key whose columns have no other generator.
func (tg *tableGen) isRef(col string) bool {
	fk, ok := tg.table.fkOf(col)
	return ok && tg.refs(*fk)
}

func (tg *tableGen) refs(fk ForeignKey) bool {
	for _, c := range fk.Columns {
		if g, ok := tg.cols[c]; ok && g.name != "ref" {
			return false
		}
	}
	return true
}

// isSeq reports whether a column is the table's integer primary key
// without a generator: numbered after the rows kept.
func (tg *tableGen) isSeq(col string) bool {
	t := tg.table
	if len(t.Key) != 1 || t.Key[0] != col {
		return false
	}
	if _, ok := tg.cols[col]; ok || tg.isRef(col) {
		return false
	}
	c, _ := t.column(col)
	return c.Kind == Int
}

// Tables returns the generated tables, each after the generated tables it
// references.
func (s *Spec) Tables() []string { return append([]string(nil), s.order...) }

// Count returns the rows a table gets at scale.
func (s *Spec) Count(table string, scale float64) int {
	tg := s.gens[table]
	if tg == nil {
		return 0
	}
	n := math.Round(tg.rows + tg.perScale*scale)
	if !(n <= MaxRows) { // beyond the bound, infinite or NaN
		return MaxRows + 1
	}
	return int(n)
}

// Origin returns where a generated table's generators were first declared.
func (s *Spec) Origin(table string) Origin {
	if tg := s.gens[table]; tg != nil {
		return tg.origin
	}
	return Origin{}
}

// Reads returns, for every table seed must read rows of, the columns it
// needs: the keys of the generated tables (to clear and number them),
// their unique keys (to keep them unique), and the columns of referenced
// tables that references, copies and formats use.
func (s *Spec) Reads() map[string][]string {
	need := map[string]map[string]bool{}
	add := func(table string, cols ...string) {
		if need[table] == nil {
			need[table] = map[string]bool{}
		}
		for _, c := range cols {
			need[table][c] = true
		}
	}
	for _, n := range s.order {
		tg := s.gens[n]
		t := tg.table
		add(n, t.Key...)
		for _, u := range t.Unique {
			add(n, u...)
		}
		for _, fk := range t.ForeignKeys {
			if tg.refs(fk) {
				add(fk.RefTable, fk.RefColumns...)
			}
		}
		for _, c := range tg.declared {
			for _, p := range tg.cols[c].parentPaths() {
				fk, _ := t.fkOf(p[0])
				add(fk.RefTable, fk.RefColumns...)
				add(fk.RefTable, p[1])
			}
		}
	}
	out := map[string][]string{}
	for table, cols := range need {
		t := s.tables[table]
		for _, c := range t.Columns { // in the table's order
			if cols[c.Name] {
				out[table] = append(out[table], c.Name)
			}
		}
	}
	return out
}

// Referencing returns the tables of the tenant that are not generated and
// have a foreign key to a generated table: clearing the generated tables
// would orphan or delete their rows.
func (s *Spec) Referencing() map[string][]string {
	out := map[string][]string{}
	for name, t := range s.tables {
		if s.gens[name] != nil {
			continue
		}
		for _, fk := range t.ForeignKeys {
			if s.gens[fk.RefTable] != nil {
				out[name] = append(out[name], fk.RefTable)
			}
		}
	}
	return out
}

// Key returns the primary key of a table of the tenant.
func (s *Spec) Key(table string) []string {
	if t := s.tables[table]; t != nil {
		return t.Key
	}
	return nil
}
