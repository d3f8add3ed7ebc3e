package seed

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

// Existing is rows a database holds, read with the columns Reads gave for
// its table: of a referenced table, or the rows a generated table keeps
// (the reference rows git declares).
type Existing struct {
	Columns []string
	Rows    [][]*string
}

// Rows is the rows generated for one table, every column in the table's
// order.
type Rows struct {
	Table   string
	Columns []string
	Rows    [][]*string
	Origin  Origin
}

// maxAttempts bounds the rows drawn again for one row whose unique key
// was taken.
const maxAttempts = 100

// The window of dates and times that generators without one draw from:
// fixed, so that the same seed gives the same rows whenever it runs.
var (
	windowFrom = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	windowTo   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// pool is the rows of a table that references may pick from.
type pool struct {
	cols  map[string]int
	rows  [][]*string
	index map[string]map[string]int // column, value: a row with it
}

func (p *pool) value(row int, col string) *string {
	i, ok := p.cols[col]
	if !ok {
		return nil
	}
	return p.rows[row][i]
}

// find returns a row whose col is v.
func (p *pool) find(col, v string) (int, bool) {
	if p.index == nil {
		p.index = map[string]map[string]int{}
	}
	idx, ok := p.index[col]
	if !ok || len(idx) == 0 {
		idx = map[string]int{}
		ci, has := p.cols[col]
		for r := len(p.rows) - 1; has && r >= 0; r-- {
			if v := p.rows[r][ci]; v != nil {
				idx[*v] = r
			}
		}
		p.index[col] = idx
	}
	r, ok := idx[v]
	return r, ok
}

func newPool(cols []string) *pool {
	p := &pool{cols: map[string]int{}}
	for i, c := range cols {
		p.cols[c] = i
	}
	return p
}

// Generate draws the rows of every generated table at scale from seed.
// existing holds, by table, the rows read with the columns of Reads. The
// same seed, scale and existing rows give the same rows.
func (s *Spec) Generate(seed uint64, scale float64, existing map[string]*Existing) ([]*Rows, error) {
	var out []*Rows
	err := s.generateEach(seed, scale, existing, false, func(r *Rows) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// GenerateEach is Generate that hands each table's rows to emit as soon as
// they are drawn, in the order of Tables, and then forgets the rows no
// later table references: what a seed holds is the rows later tables may
// reference, not every row it writes. emit must not keep the rows; an
// error of emit ends the generation with it.
func (s *Spec) GenerateEach(seed uint64, scale float64, existing map[string]*Existing, emit func(*Rows) error) error {
	return s.generateEach(seed, scale, existing, true, emit)
}

func (s *Spec) generateEach(seed uint64, scale float64, existing map[string]*Existing, forget bool, emit func(*Rows) error) error {
	total := 0
	for _, n := range s.order {
		c := s.Count(n, scale)
		if c < 0 || total+c > MaxRows {
			return fmt.Errorf("seed: more than %d rows at scale %v: lower --scale", MaxRows, scale)
		}
		total += c
	}
	// The last table of the order that references each table.
	last := map[string]int{}
	for i, n := range s.order {
		for _, ref := range s.gens[n].referenced() {
			last[ref] = i
		}
	}
	pools := map[string]*pool{}
	for table, e := range existing {
		p := newPool(e.Columns)
		p.rows = e.Rows
		pools[table] = p
	}
	for i, n := range s.order {
		tg := s.gens[n]
		cols := make([]string, len(tg.table.Columns))
		for i, c := range tg.table.Columns {
			cols[i] = c.Name
		}
		// The rows kept, in the table's columns, then the rows generated.
		own := newPool(cols)
		if e := existing[n]; e != nil {
			src := newPool(e.Columns)
			src.rows = e.Rows
			for r := range e.Rows {
				row := make([]*string, len(cols))
				for i, c := range cols {
					row[i] = src.value(r, c)
				}
				own.rows = append(own.rows, row)
			}
		}
		pools[n] = own
		rows, err := s.generate(tg, seed, s.Count(n, scale), own, pools)
		if err != nil {
			return err
		}
		if err := emit(&Rows{Table: n, Columns: cols, Rows: rows, Origin: tg.origin}); err != nil {
			return err
		}
		if forget {
			for t := range pools {
				if j, ok := last[t]; !ok || j <= i {
					delete(pools, t) // no later table references it
				}
			}
		}
	}
	return nil
}

// referenced returns the tables a table's rows take values from: the
// tables its references pick rows of, and those its copies and formats
// read through a foreign key.
func (tg *tableGen) referenced() []string {
	var out []string
	for _, fk := range tg.table.ForeignKeys {
		if tg.refs(fk) {
			out = append(out, fk.RefTable)
		}
	}
	for _, c := range tg.declared {
		for _, p := range tg.cols[c].parentPaths() {
			if fk, ok := tg.table.fkOf(p[0]); ok {
				out = append(out, fk.RefTable)
			}
		}
	}
	return out
}

// faker is the source of one table's values: its own stream of the seed,
// so that a table's rows do not change when another table's do.
func faker(seed uint64, table string) *gofakeit.Faker {
	h := fnv.New64a()
	h.Write([]byte(table))
	return gofakeit.NewFaker(rand.NewPCG(seed, h.Sum64()), false)
}

// rowGen is the state of one row being drawn.
type rowGen struct {
	f       *gofakeit.Faker
	tg      *tableGen
	n       int // the row's number, from 1
	row     []*string
	pos     map[string]int
	picked  map[string]*pickedRow // fk column: the referenced row
	person  *person
	pools   map[string]*pool
	ownPool *pool
	// seq is the next number of each seq column: it moves on at every
	// draw, so a number a kept row has is skipped, not drawn again.
	seq map[string]int
}

type pickedRow struct {
	p   *pool
	row int
}

type person struct {
	first, last name
	female      bool
}

func (s *Spec) generate(tg *tableGen, seed uint64, count int, own *pool, pools map[string]*pool) ([][]*string, error) {
	t := tg.table
	f := faker(seed, t.Name)
	pos := map[string]int{}
	for i, c := range t.Columns {
		pos[c.Name] = i
	}
	uniques := append([][]string{t.Key}, t.Unique...)
	seen := make([]map[string]bool, len(uniques))
	for i := range seen {
		seen[i] = map[string]bool{}
	}
	keyOf := func(row []*string, cols []string) (string, bool) {
		parts := make([]string, len(cols))
		for i, c := range cols {
			v := row[pos[c]]
			if v == nil {
				return "", false // NULL is never equal
			}
			parts[i] = *v
		}
		return strings.Join(parts, "\x00"), true
	}
	var next int64 = 1 // the next number of an integer key
	seqCol := ""
	for _, c := range t.Columns {
		if tg.isSeq(c.Name) {
			seqCol = c.Name
		}
	}
	for _, row := range own.rows {
		for i, u := range uniques {
			if k, ok := keyOf(row, u); ok {
				seen[i][k] = true
			}
		}
		if seqCol != "" {
			if v := row[pos[seqCol]]; v != nil {
				if n, err := strconv.ParseInt(*v, 10, 64); err == nil && n >= next {
					next = n + 1
				}
			}
		}
	}
	out := make([][]*string, 0, count)
	seq := map[string]int{}
	for n := 1; n <= count; n++ {
		var row []*string
		for attempt := 0; ; attempt++ {
			if attempt == maxAttempts {
				return nil, tg.origin.errorf("table %s: no unique row %d after %d attempts: fewer rows, or generators with more values, for its unique keys", t.Name, n, maxAttempts)
			}
			rg := &rowGen{f: f, tg: tg, n: n, row: make([]*string, len(t.Columns)), pos: pos, picked: map[string]*pickedRow{}, pools: pools, ownPool: own, seq: seq}
			if seqCol != "" {
				v := strconv.FormatInt(next, 10)
				rg.row[pos[seqCol]] = &v
			}
			if err := rg.fill(); err != nil {
				return nil, err
			}
			ok := true
			for i, u := range uniques {
				if k, has := keyOf(rg.row, u); has && seen[i][k] {
					ok = false
					break
				}
			}
			if ok {
				row = rg.row
				break
			}
		}
		for i, u := range uniques {
			if k, has := keyOf(row, u); has {
				seen[i][k] = true
			}
		}
		if seqCol != "" {
			c, _ := t.column(seqCol)
			if next > c.Max {
				return nil, tg.origin.errorf("table %s: %s %d is beyond the column's range", t.Name, seqCol, next)
			}
			next++
		}
		own.rows = append(own.rows, row) // a later row may reference it
		own.index = nil
		out = append(out, row)
	}
	return out, nil
}

// fill draws every column of the row: references first, then the
// declared generators in the order of the file, then the rest.
func (rg *rowGen) fill() error {
	t := rg.tg.table
	done := map[string]bool{}
	for i := range t.ForeignKeys {
		fk := &t.ForeignKeys[i]
		if !rg.tg.refs(*fk) {
			continue
		}
		if err := rg.reference(fk); err != nil {
			return err
		}
		for _, c := range fk.Columns {
			done[c] = true
		}
	}
	for _, c := range rg.tg.declared {
		if done[c] {
			continue
		}
		g := rg.tg.cols[c]
		col, _ := t.column(c)
		v, err := rg.value(g, col)
		if err != nil {
			return err
		}
		rg.row[rg.pos[c]] = v
		done[c] = true
	}
	for i := range t.Columns {
		col := &t.Columns[i]
		if done[col.Name] || rg.tg.isSeq(col.Name) {
			continue
		}
		rg.row[rg.pos[col.Name]] = rg.auto(col)
	}
	return nil
}

// reference picks the referenced row of a foreign key.
func (rg *rowGen) reference(fk *ForeignKey) error {
	t := rg.tg.table
	var null float64
	nullable := true
	for _, c := range fk.Columns {
		col, _ := t.column(c)
		nullable = nullable && col.Nullable
		if g, ok := rg.tg.cols[c]; ok && g.null > null {
			null = g.null
		}
	}
	if null > 0 && rg.f.Float64() < null {
		return nil
	}
	p := rg.pools[fk.RefTable]
	n := 0
	if p != nil {
		n = len(p.rows)
		if fk.RefTable == t.Name {
			n = len(rg.ownPool.rows) // the rows before this one
		}
	}
	if n == 0 {
		if nullable {
			return nil
		}
		return rg.tg.origin.errorf("table %s: no row of %s to reference (%s): reconcile the tenant's reference data, or generate rows of %s", t.Name, fk.RefTable, strings.Join(fk.Columns, ", "), fk.RefTable)
	}
	r := rg.f.IntN(n)
	for i, c := range fk.Columns {
		rg.row[rg.pos[c]] = p.value(r, fk.RefColumns[i])
		rg.picked[c] = &pickedRow{p: p, row: r}
	}
	return nil
}

// parent returns the value of col in the row that fkCol references.
func (rg *rowGen) parent(fkCol, col string) *string {
	if pr, ok := rg.picked[fkCol]; ok {
		return pr.p.value(pr.row, col)
	}
	v := rg.row[rg.pos[fkCol]]
	if v == nil {
		return nil
	}
	fk, _ := rg.tg.table.fkOf(fkCol)
	p := rg.pools[fk.RefTable]
	if p == nil {
		return nil
	}
	r, ok := p.find(fk.RefColumns[0], *v)
	if !ok {
		return nil
	}
	return p.value(r, col)
}

func (rg *rowGen) person_() *person {
	if rg.person == nil {
		p := &person{female: rg.f.IntN(2) == 0}
		if p.female {
			p.first = femaleNames[rg.f.IntN(len(femaleNames))]
		} else {
			p.first = maleNames[rg.f.IntN(len(maleNames))]
		}
		p.last = surnames[rg.f.IntN(len(surnames))]
		rg.person = p
	}
	return rg.person
}

func str(s string) *string { return &s }

// value draws a declared generator's value for col.
func (rg *rowGen) value(g *gen, col *Column) (*string, error) {
	f := rg.f
	if g.null > 0 && f.Float64() < g.null {
		return nil, nil
	}
	var v string
	switch g.name {
	case "person.name":
		p := rg.person_()
		v = p.first.en + " " + p.last.en
	case "person.name_ne":
		p := rg.person_()
		v = p.first.ne + " " + p.last.ne
	case "person.first_name":
		v = rg.person_().first.en
	case "person.last_name":
		v = rg.person_().last.en
	case "person.first_name_ne":
		v = rg.person_().first.ne
	case "person.last_name_ne":
		v = rg.person_().last.ne
	case "person.gender":
		v = "male"
		if rg.person_().female {
			v = "female"
		}
	case "person.email":
		p := rg.person_()
		v = fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(p.first.en), strings.ToLower(p.last.en), rg.n)
	case "person.phone":
		v = f.Numerify("98########")
	case "text.word":
		v = f.Word()
	case "text.title":
		v = strings.TrimSuffix(f.Sentence(), ".")
	case "text.sentence":
		v = f.Sentence()
	case "text.paragraph":
		v = f.Paragraph()
	case "internet.url":
		v = f.URL()
	case "internet.ipv4":
		v = f.IPv4Address()
	case "password_hash":
		// A bcrypt-shaped string that is no one's password: demo users
		// cannot log in with any password.
		const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, 53)
		for i := range b {
			b[i] = alphabet[f.IntN(len(alphabet))]
		}
		v = "$2y$10$" + string(b)
	case "place.venue":
		v = venues[f.IntN(len(venues))]
	case "int":
		v = strconv.FormatInt(int64(g.lo)+int64n(f, int64(g.hi)-int64(g.lo)+1), 10)
	case "decimal":
		x := g.lo + f.Float64()*(g.hi-g.lo)
		scale := col.Scale
		if col.Kind != Decimal {
			scale = 2
		}
		v = strconv.FormatFloat(x, 'f', scale, 64)
	case "date", "datetime":
		at := between(f, g.from, g.to)
		if g.name == "date" {
			at = time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
		}
		v = timeText(col, at)
	case "oneof":
		v = g.strs[f.IntN(len(g.strs))]
	case "cycle":
		v = g.strs[(rg.n-1)%len(g.strs)]
	case "const":
		v = g.strs[0]
	case "seq":
		rg.seq[col.Name]++
		v = fmt.Sprintf(g.strs[0], rg.seq[col.Name])
	case "pattern":
		v = f.Lexify(f.Numerify(g.strs[0]))
	case "copy":
		return rg.parent(g.path[0], g.path[1]), nil
	case "format":
		v = placeholderPattern.ReplaceAllStringFunc(g.strs[0], func(m string) string {
			sub := placeholderPattern.FindStringSubmatch(m)
			var p *string
			switch {
			case sub[2] != "":
				p = rg.parent(sub[1], sub[2])
			case sub[1] == "n":
				return strconv.Itoa(rg.n)
			default:
				p = rg.row[rg.pos[sub[1]]]
			}
			if p == nil {
				return ""
			}
			return *p
		})
	case "after":
		base := rg.row[rg.pos[g.path[0]]]
		if base == nil {
			return nil, nil
		}
		at, err := parseTime(*base)
		if err != nil {
			return nil, rg.tg.origin.errorf("table %s: after: %s is %q, not a date or time", rg.tg.table.Name, g.path[0], *base)
		}
		minutes := int64(g.lo*60) + int64n(f, int64((g.hi-g.lo)*60)+1)
		v = timeText(col, at.Add(time.Duration(minutes)*time.Minute))
	}
	return str(truncate(col, v)), nil
}

// auto draws a value for a column without a generator: its literal
// default, NULL when it may be, else a value of its type.
func (rg *rowGen) auto(col *Column) *string {
	f := rg.f
	switch {
	case col.Default != nil:
		return str(*col.Default)
	case col.Nullable:
		return nil
	}
	switch col.Kind {
	case Int:
		lo, hi := max(col.Min, 0), min(col.Max, 1000)
		return str(strconv.FormatInt(lo+int64n(f, hi-lo+1), 10))
	case Bool:
		return str(strconv.Itoa(f.IntN(2)))
	case Decimal, Float:
		hi := 1000.0
		scale := 2
		if col.Kind == Decimal {
			scale = col.Scale
			if col.Precision > 0 {
				hi = math.Min(hi, math.Pow10(col.Precision-col.Scale)-1)
			}
		}
		return str(strconv.FormatFloat(f.Float64()*hi, 'f', scale, 64))
	case Text:
		return str(truncate(col, f.Sentence()))
	case Date, DateTime:
		return str(timeText(col, between(f, windowFrom, windowTo)))
	case Time:
		return str(fmt.Sprintf("%02d:%02d:00", f.IntN(24), f.IntN(60)))
	case Enum:
		return str(col.Values[f.IntN(len(col.Values))])
	case JSON:
		return str("{}")
	}
	// String, and what resolve let through.
	return str(truncate(col, fmt.Sprintf("%s-%d", f.Word(), rg.n)))
}

func between(f *gofakeit.Faker, from, to time.Time) time.Time {
	span := to.Unix() - from.Unix()
	return time.Unix(from.Unix()+int64n(f, span+1), 0).UTC()
}

func timeText(col *Column, at time.Time) string {
	if col.Kind == Date {
		return at.Format(time.DateOnly)
	}
	return at.Format(time.DateTime)
}

// truncate cuts v to the column's characters.
func truncate(col *Column, v string) string {
	if col.Size > 0 {
		if r := []rune(v); len(r) > col.Size {
			return strings.TrimSpace(string(r[:col.Size]))
		}
	}
	return v
}

// int64n draws from [0, n).
func int64n(f *gofakeit.Faker, n int64) int64 {
	if n <= 1 {
		return 0
	}
	return int64(f.Uint64() % uint64(n))
}
