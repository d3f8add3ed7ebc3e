package schema

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
)

// ErrDestructive is returned when a plan holds destructive statements that
// the caller did not allow.
var ErrDestructive = errors.New("plan holds destructive changes")

// Statement is one planned SQL statement with where its change comes from.
type Statement struct {
	SQL string `json:"sql"`
	// Origin of the object the statement creates or changes. A statement
	// that drops an object names where an earlier revision declared it when
	// the desired schema knows (Desired.Since), else the table it belonged
	// to, or nothing when the whole table is gone.
	Origin
	// Table the statement touches, if any.
	Table string `json:"table,omitempty"`
	// Destructive is set when the statement can lose data: a dropped table,
	// column, index or foreign key, or a type change that can lose values.
	Destructive bool `json:"destructive"`
	// Reasons say, in words, what is destructive about the statement.
	Reasons []string `json:"reasons,omitempty"`

	args   []any
	source atlas.Change
	// data marks a statement on rows (AddData): consecutive ones run in
	// one transaction.
	data bool
}

// Plan is the ordered list of statements that turns a live schema into the
// desired one. It is plain data: it can be printed, stored and compared.
type Plan struct {
	// Database the plan is for.
	Database string
	// Create is set when the database does not exist yet.
	Create bool
	// Statements in the order they must run.
	Statements []Statement

	// intended are the names the plan's changes may write; a statement
	// naming any other is refused before it runs (guard.go).
	intended intended
}

// Destructive returns the destructive statements of the plan.
func (p *Plan) Destructive() []Statement {
	var out []Statement
	for _, s := range p.Statements {
		if s.Destructive {
			out = append(out, s)
		}
	}
	return out
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Statements) == 0 }

// env is what planning and comparing need of a server: its driver, and
// for MySQL and MariaDB its engine and character sets (nil on SQLite).
type env struct {
	drv    migrate.Driver
	engine Engine
	cs     *charsets
}

// prepare returns copies of the two schemas named name, ready to diff:
// character sets and collations resolved on both sides.
func (e *env) prepare(from, to *atlas.Schema, name string) (*atlas.Schema, *atlas.Schema, error) {
	f, t := copySchema(from, name), copySchema(to, name)
	if isMySQLFamily(e.engine) {
		normalizeDefaults(f)
		normalizeDefaults(t)
	} else {
		unwrapLiteralDefaults(f)
		unwrapLiteralDefaults(t)
	}
	if e.cs != nil {
		if err := resolveCharsets(f, e.cs); err != nil {
			return nil, nil, err
		}
		if err := resolveCharsets(t, e.cs); err != nil {
			return nil, nil, err
		}
	}
	return f, t, nil
}

// diff returns the changes from one prepared schema to another: Atlas's
// diff, completed by landlord's own comparisons on MySQL and MariaDB
// (supplement). The column types Atlas's diff rewrites in place are put
// back.
func (e *env) diff(from, to *atlas.Schema) ([]atlas.Change, error) {
	saved := saveTypes(from, to)
	changes, err := e.drv.SchemaDiff(from, to)
	saved.restore()
	if err != nil || e.cs == nil {
		return changes, err
	}
	return supplement(e.engine, changes, from, to), nil
}

// savedTypes are the column types of schemas before a diff.
type savedTypes map[*atlas.ColumnType]atlas.Type

func saveTypes(ss ...*atlas.Schema) savedTypes {
	m := savedTypes{}
	for _, s := range ss {
		for _, t := range s.Tables {
			for _, c := range t.Columns {
				if c.Type != nil {
					m[c.Type] = copyType(c.Type.Type)
				}
			}
		}
	}
	return m
}

func (m savedTypes) restore() {
	for ct, t := range m {
		ct.Type = t
	}
}

// plan diffs live against desired and plans the statements, in the schema
// named name. Changes to the objects in leave are left out.
func plan(ctx context.Context, e *env, name string, live *Live, d *Desired, leave map[Object]bool) (*Plan, error) {
	if live.engine != d.engine && !(isMySQLFamily(live.engine) && isMySQLFamily(d.engine)) {
		return nil, fmt.Errorf("desired schema is for %s, live database is %s", d.engine, live.engine)
	}
	if err := checkOthers(live, d); err != nil {
		return nil, err
	}
	from, to, err := e.prepare(live.schema, d.schema, name)
	if err != nil {
		var oe *objectError
		if errors.As(err, &oe) {
			if o := d.origin(oe.key); o.File != "" {
				return nil, fmt.Errorf("%s:%d: desired schema: %w", o.File, o.Line, err)
			}
		}
		return nil, fmt.Errorf("desired schema: %w", err)
	}
	var changes []atlas.Change
	switch {
	case !live.exists && isMySQLFamily(live.engine):
		// A new database: AddSchema (CREATE DATABASE with the charset and
		// collation) followed by AddTable for every table.
		to.Realm = &atlas.Realm{Schemas: []*atlas.Schema{to}}
		changes, err = e.drv.RealmDiff(&atlas.Realm{}, to.Realm)
	default:
		changes, err = e.diff(from, to)
	}
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", name, err)
	}
	changes, left := leaveOut(changes, leave)
	for t, objs := range live.hidden {
		left[t] = append(left[t], objs...)
	}
	changes, attr := d.attribute(changes)
	if live.engine == SQLite {
		attr.markRebuilds(changes, left)
	}
	p := &Plan{Database: name, Create: !live.exists, intended: intended{name: true}}
	for _, c := range changes {
		p.intended.add(c, from, to)
	}
	if len(changes) == 0 {
		return p, nil
	}
	var own map[string][]atlas.Change
	if isMySQLFamily(live.engine) {
		changes, own = prepareRender(changes)
	}
	mp, err := e.drv.PlanChanges(ctx, "", changes)
	if err != nil {
		return nil, planError(ctx, e, d, attr, name, changes, err)
	}
	for _, c := range mp.Changes {
		st := Statement{SQL: c.Cmd, args: c.Args, source: c.Source}
		if isMySQLFamily(live.engine) {
			st.SQL = spellIndexTypes(st.SQL, c.Source)
		}
		if a, ok := attr.of(c.Source); ok {
			st.Origin, st.Table, st.Destructive, st.Reasons = a.origin, a.table, a.destructive, a.reasons
		} else {
			// Changes Atlas derives itself (indexes of a new SQLite table,
			// foreign keys detached from a cycle of new tables) are
			// attributed to their object, or else to their table.
			k := sourceKey(c.Source)
			st.Table, st.Origin = k.Table, d.origin(k)
			st.Reasons = destructiveReasons(c.Source)
			st.Destructive = len(st.Reasons) > 0
		}
		p.Statements = append(p.Statements, st)
	}
	if isMySQLFamily(live.engine) {
		p.Statements = mergeAlters(name, p.Statements, own, func(table string) attribution {
			return attr[tableKey(table)]
		})
	}
	return p, nil
}

// attributions maps the changes a plan is made of, and the schema objects
// they touch, to their origin. Atlas's planner rebuilds table modifications
// (an ALTER's Source is a new ModifyTable holding our sub-changes, and a
// modified index or foreign key becomes a drop and an add of the same
// objects), so lookups go by change and by object.
type attributions map[any]attribution

// planError is the error of Atlas's planner refusing changes (a
// generated column made STORED in place, ...), at the file and line of
// the change it refuses: each change, and each change of a table, is
// planned alone until one fails the same way.
func planError(ctx context.Context, e *env, d *Desired, attr attributions, name string, changes []atlas.Change, err error) error {
	for _, c := range changes {
		parts := []atlas.Change{c}
		if mt, ok := c.(*atlas.ModifyTable); ok && len(mt.Changes) > 1 {
			parts = parts[:0]
			for _, sc := range mt.Changes {
				parts = append(parts, &atlas.ModifyTable{T: mt.T, Changes: []atlas.Change{sc}})
			}
		}
		for _, part := range parts {
			if _, perr := e.drv.PlanChanges(ctx, "", []atlas.Change{part}); perr == nil || perr.Error() != err.Error() {
				continue
			}
			o := d.origin(sourceKey(part))
			if a, ok := attr.of(part); ok && a.origin.File != "" {
				o = a.origin
			}
			if o.File != "" {
				return fmt.Errorf("%s:%d: plan %s: %w", o.File, o.Line, name, err)
			}
		}
	}
	return fmt.Errorf("plan %s: %w", name, err)
}

// of returns the attribution of a planned change's Source.
func (as attributions) of(src atlas.Change) (attribution, bool) {
	if a, ok := as[src]; ok {
		return a, true
	}
	mt, ok := src.(*atlas.ModifyTable)
	if !ok {
		return attribution{}, false
	}
	for _, sc := range mt.Changes {
		var key any = sc
		switch sc := sc.(type) {
		case *atlas.DropIndex:
			if _, ok := as[sc]; !ok {
				key = sc.I
				if _, ok := as[key]; !ok {
					key = "fk:" + mt.T.Name + "." + sc.I.Name
				}
			}
		case *atlas.AddIndex:
			if _, ok := as[sc]; !ok {
				key = sc.I
			}
		case *atlas.DropForeignKey:
			if _, ok := as[sc]; !ok {
				key = sc.F
			}
		case *atlas.AddForeignKey:
			if _, ok := as[sc]; !ok {
				key = sc.F
			}
		}
		if a, ok := as[key]; ok {
			return a, true
		}
	}
	return attribution{}, false
}

type attribution struct {
	origin      Origin
	table       string
	destructive bool
	reasons     []string
}

// attribute splits each table modification into one change per origin (and
// per destructive or not), so every planned statement carries a single layer
// and file and the destructive ones stand apart. Groups keep layer order.
func (d *Desired) attribute(changes []atlas.Change) ([]atlas.Change, attributions) {
	origins := make(attributions, len(changes))
	var out []atlas.Change
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.ModifyTable:
			type group struct {
				attribution
				changes []atlas.Change
			}
			var groups []*group
			for _, sc := range c.Changes {
				o := d.origin(subjectKey(c.T.Name, sc))
				reasons := destructiveReasons(sc)
				destructive := len(reasons) > 0
				var g *group
				for _, og := range groups {
					if og.origin == o && og.destructive == destructive {
						g = og
						break
					}
				}
				if g == nil {
					g = &group{attribution: attribution{origin: o, table: c.T.Name, destructive: destructive}}
					groups = append(groups, g)
				}
				g.reasons = append(g.reasons, reasons...)
				g.changes = append(g.changes, sc)
			}
			// Destructive groups first (they free names that additions may
			// reuse), then by layer order; stable within.
			sort.SliceStable(groups, func(i, j int) bool {
				if groups[i].destructive != groups[j].destructive {
					return groups[i].destructive
				}
				return d.order[groups[i].origin.Layer] < d.order[groups[j].origin.Layer]
			})
			// SQLite makes most table modifications by rebuilding the
			// table from its whole desired definition: split, the first
			// rebuild would copy columns that later groups add. One
			// modification, attributed to its first group, with every
			// reason.
			// MySQL and MariaDB: one ALTER TABLE per table, with every
			// change (one table copy on a big table, not one per layer),
			// named by the change of the earliest layer.
			if isMySQLFamily(d.engine) && len(groups) > 1 {
				sort.SliceStable(groups, func(i, j int) bool {
					return d.order[groups[i].origin.Layer] < d.order[groups[j].origin.Layer]
				})
				first := groups[0]
				for _, g := range groups[1:] {
					first.destructive = first.destructive || g.destructive
					first.reasons = append(first.reasons, g.reasons...)
					first.changes = append(first.changes, g.changes...)
				}
				groups = groups[:1]
			}
			if d.engine == SQLite && len(groups) > 1 && !sqliteAlterable(c) {
				first := groups[0]
				for _, g := range groups[1:] {
					first.destructive = first.destructive || g.destructive
					first.reasons = append(first.reasons, g.reasons...)
					first.changes = append(first.changes, g.changes...)
				}
				groups = groups[:1]
			}
			for _, g := range groups {
				mt := &atlas.ModifyTable{T: c.T, Changes: g.changes}
				origins[mt] = g.attribution
				for _, sc := range g.changes {
					origins[sc] = g.attribution
					switch sc := sc.(type) {
					case *atlas.ModifyIndex:
						origins[sc.From], origins[sc.To] = g.attribution, g.attribution
					case *atlas.ModifyForeignKey:
						origins[sc.From], origins[sc.To] = g.attribution, g.attribution
						origins["fk:"+c.T.Name+"."+sc.From.Symbol] = g.attribution
					}
				}
				out = append(out, mt)
			}
			if len(groups) > 0 {
				origins[tableKey(c.T.Name)] = groups[0].attribution
			}
		case *atlas.AddSchema, *atlas.ModifySchema:
			origins[c] = attribution{origin: d.schemaOrigin}
			out = append(out, c)
		default:
			table := changedTable(c)
			reasons := destructiveReasons(c)
			a := attribution{table: table, destructive: len(reasons) > 0, reasons: reasons}
			if _, drop := c.(*atlas.DropTable); !drop {
				a.origin = d.origin(objectKey{Kind: "table", Table: table})
			} else if o, ok := d.removed[objectKey{Kind: "table", Table: table}]; ok {
				a.origin = o
			}
			origins[c] = a
			out = append(out, c)
		}
	}
	return out, origins
}

// subjectKey names the object a change inside a table modification is about.
func subjectKey(table string, c atlas.Change) objectKey {
	k := objectKey{Table: table, Kind: "table"}
	switch c := c.(type) {
	case *atlas.AddColumn:
		k.Kind, k.Name = "column", c.C.Name
	case *atlas.ModifyColumn:
		k.Kind, k.Name = "column", c.To.Name
	case *atlas.AddIndex:
		k.Kind, k.Name = "index", c.I.Name
	case *atlas.ModifyIndex:
		k.Kind, k.Name = "index", c.To.Name
	case *atlas.AddForeignKey:
		k.Kind, k.Name = "foreign_key", c.F.Symbol
	case *atlas.ModifyForeignKey:
		k.Kind, k.Name = "foreign_key", c.To.Symbol
	case *atlas.AddPrimaryKey, *atlas.ModifyPrimaryKey:
		k.Kind = "primary_key"
	case *atlas.AddCheck:
		k.Kind, k.Name = "check", c.C.Name
	case *atlas.ModifyCheck:
		k.Kind, k.Name = "check", c.To.Name
	// Drops: the object is no longer declared; Desired.origin finds where
	// an earlier revision declared it, if it knows.
	case *atlas.DropColumn:
		k.Kind, k.Name = "column", c.C.Name
	case *atlas.DropIndex:
		k.Kind, k.Name = "index", c.I.Name
	case *atlas.DropForeignKey:
		k.Kind, k.Name = "foreign_key", c.F.Symbol
	case *atlas.DropCheck:
		k.Kind, k.Name = "check", c.C.Name
	}
	return k
}

// sourceKey names the object of a change that Atlas derived while planning.
func sourceKey(c atlas.Change) objectKey {
	switch c := c.(type) {
	case *atlas.AddIndex:
		if c.I.Table != nil {
			return objectKey{Kind: "index", Table: c.I.Table.Name, Name: c.I.Name}
		}
	case *atlas.AddForeignKey:
		if c.F.Table != nil {
			return objectKey{Kind: "foreign_key", Table: c.F.Table.Name, Name: c.F.Symbol}
		}
	}
	return objectKey{Kind: "table", Table: changedTable(c)}
}

func changedTable(c atlas.Change) string {
	switch c := c.(type) {
	case *atlas.AddTable:
		return c.T.Name
	case *atlas.DropTable:
		return c.T.Name
	case *atlas.ModifyTable:
		return c.T.Name
	case *atlas.RenameTable:
		return c.To.Name
	}
	return ""
}

// destructiveReasons says why a change can lose data, or nothing when it
// cannot. Atlas's own destructive analyzer covers dropped tables and columns
// only; landlord also counts dropped indexes and foreign keys and type
// changes that can lose values.
func destructiveReasons(c atlas.Change) []string {
	switch c := c.(type) {
	case *atlas.DropTable:
		return []string{fmt.Sprintf("drops table %s", c.T.Name)}
	case *atlas.DropColumn:
		return []string{fmt.Sprintf("drops column %s", c.C.Name)}
	case *atlas.DropIndex:
		return []string{fmt.Sprintf("drops index %s", c.I.Name)}
	case *atlas.DropForeignKey:
		return []string{fmt.Sprintf("drops foreign key %s", c.F.Symbol)}
	case *atlas.DropPrimaryKey:
		return []string{"drops the primary key"}
	case *atlas.ModifyPrimaryKey:
		return []string{fmt.Sprintf("changes the primary key from (%s) to (%s): rows may collide or be rekeyed", indexColumns(c.From), indexColumns(c.To))}
	case *atlas.AddPrimaryKey:
		return []string{fmt.Sprintf("adds the primary key (%s) to an existing table: duplicate or NULL keys fail or are lost", indexColumns(c.P))}
	case *atlas.ModifyColumn:
		var out []string
		if c.Change.Is(atlas.ChangeNull) && c.From.Type != nil && c.To.Type != nil && c.From.Type.Null && !c.To.Type.Null && c.To.Default == nil {
			out = append(out, fmt.Sprintf("changes column %s from NULL to NOT NULL without a default: its NULL values have no value to take", c.To.Name))
		}
		if hasAttr[*mysql.OnUpdate](c.From.Attrs) && !hasAttr[*mysql.OnUpdate](c.To.Attrs) {
			out = append(out, fmt.Sprintf("drops ON UPDATE of column %s: rows stop recording their updates", c.To.Name))
		}
		if c.Change.Is(atlas.ChangeType) && c.From.Type != nil && c.To.Type != nil {
			if why := narrowing(c.From.Type.Type, c.To.Type.Type); why != "" {
				out = append(out, fmt.Sprintf("changes the type of column %s from %s to %s: %s", c.To.Name, typeString(c.From.Type), typeString(c.To.Type), why))
			}
		}
		if c.Change.Is(atlas.ChangeCharset) {
			var from, to atlas.Charset
			if hasAttrInto(c.From.Attrs, &from) && hasAttrInto(c.To.Attrs, &to) {
				if why := charsetNarrowing(from.V, to.V); why != "" {
					out = append(out, fmt.Sprintf("changes the character set of column %s from %s to %s: %s", c.To.Name, from.V, to.V, why))
				}
			}
		}
		return out
	case *atlas.ModifyTable:
		var out []string
		for _, sc := range c.Changes {
			out = append(out, destructiveReasons(sc)...)
		}
		return out
	}
	return nil
}

// indexColumns names the columns (or expressions) of an index.
func indexColumns(idx *atlas.Index) string {
	if idx == nil {
		return ""
	}
	var names []string
	for _, p := range idx.Parts {
		switch {
		case p.C != nil:
			names = append(names, p.C.Name)
		case p.X != nil:
			names = append(names, "expression")
		}
	}
	return strings.Join(names, ", ")
}

// typeString returns a column type as SQL: the MySQL spelling (landlord's
// spelled types included), else SQLite's, else the inspected raw type.
func typeString(ct *atlas.ColumnType) string {
	if s, err := mysql.FormatType(ct.Type); err == nil {
		return s
	}
	if s, err := sqlite.FormatType(ct.Type); err == nil {
		return s
	}
	if ct.Raw != "" {
		return ct.Raw
	}
	return fmt.Sprintf("%T", ct.Type)
}

var (
	intRank  = map[string]int{"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4, "bigint": 5}
	intBytes = map[string]int{"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4, "bigint": 8}
)

// narrowing returns why a change of column type from one type to another
// can lose values, or "" when every old value fits the new type.
func narrowing(from, to atlas.Type) string {
	from, to = plainType(from), plainType(to)
	switch f := from.(type) {
	case *atlas.IntegerType:
		t, ok := to.(*atlas.IntegerType)
		if !ok {
			if d, ok := to.(*atlas.DecimalType); ok && d.Scale == 0 && d.Precision >= 20 {
				return ""
			}
			return "an integer column changes to another kind of type"
		}
		fr, tr := intRank[strings.ToLower(f.T)], intRank[strings.ToLower(t.T)]
		switch {
		case tr < fr:
			return "a smaller integer type"
		case f.Unsigned && !t.Unsigned && tr == fr:
			return "signed of the same width cannot hold the largest unsigned values"
		case !f.Unsigned && t.Unsigned:
			return "unsigned cannot hold negative values"
		}
	case *atlas.StringType:
		t, ok := to.(*atlas.StringType)
		if !ok {
			return "a string column changes to another kind of type"
		}
		fl, tl := stringCapacity(f), stringCapacity(t)
		if tl < fl {
			return "shorter strings"
		}
	case *atlas.EnumType:
		switch t := to.(type) {
		case *atlas.EnumType:
			if r := removedValue(f.Values, t.Values); r != "" {
				return r
			}
		case *atlas.StringType:
			longest := 0
			for _, v := range f.Values {
				longest = max(longest, len(v))
			}
			if stringCapacity(t) < longest {
				return "shorter strings"
			}
		default:
			return "an enum column changes to another kind of type"
		}
	case *atlas.DecimalType:
		t, ok := to.(*atlas.DecimalType)
		if !ok {
			return "a decimal column changes to another kind of type"
		}
		if t.Scale < f.Scale || t.Precision-t.Scale < f.Precision-f.Scale {
			return "fewer digits"
		}
		if !f.Unsigned && t.Unsigned {
			return "unsigned cannot hold negative values"
		}
	case *atlas.TimeType:
		t, ok := to.(*atlas.TimeType)
		if !ok {
			return "a time column changes to another kind of type"
		}
		ft, tt := strings.ToLower(f.T), strings.ToLower(t.T)
		if ft != tt && !(ft == "date" && (tt == "datetime" || tt == "timestamp")) && !(ft == "timestamp" && tt == "datetime") {
			return fmt.Sprintf("%s values do not all fit %s", ft, tt)
		}
		if precision(t.Precision) < precision(f.Precision) {
			return "less fractional-second precision"
		}
	case *atlas.FloatType:
		t, ok := to.(*atlas.FloatType)
		if !ok {
			return "a floating-point column changes to another kind of type"
		}
		if strings.ToLower(t.T) == "float" && strings.ToLower(f.T) != "float" {
			return "less precision"
		}
	case *mysql.SetType:
		t, ok := to.(*mysql.SetType)
		if !ok {
			if s, ok := to.(*atlas.StringType); ok {
				longest := 0
				for _, v := range f.Values {
					longest += len(v) + 1
				}
				if stringCapacity(s) >= longest {
					return ""
				}
			}
			return "a set column changes to another kind of type"
		}
		if r := removedValue(f.Values, t.Values); r != "" {
			return r
		}
	case *mysql.BitType:
		t, ok := to.(*mysql.BitType)
		if !ok {
			if i, ok := to.(*atlas.IntegerType); ok && (f.Size <= 8*intBytes[strings.ToLower(i.T)] && (i.Unsigned || f.Size < 8*intBytes[strings.ToLower(i.T)])) {
				return ""
			}
			return "a bit column changes to another kind of type"
		}
		if t.Size < f.Size {
			return "fewer bits"
		}
	case *atlas.BinaryType:
		t, ok := to.(*atlas.BinaryType)
		if !ok {
			return "a binary column changes to another kind of type"
		}
		if f.Size != nil && t.Size != nil && *t.Size < *f.Size {
			return "shorter values"
		}
	case *atlas.JSONType:
		if _, ok := to.(*atlas.JSONType); !ok {
			if s, ok := to.(*atlas.StringType); !ok || stringCapacity(s) < 1<<32-1 {
				return "json values may not fit"
			}
		}
	case *atlas.BoolType:
		switch t := to.(type) {
		case *atlas.BoolType, *atlas.IntegerType:
			return ""
		case *atlas.StringType:
			if stringCapacity(t) >= 1 {
				return ""
			}
		}
		return "a boolean column changes to another kind of type"
	}
	return ""
}

func precision(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// stringCapacity is the number of characters a string type holds.
func stringCapacity(t *atlas.StringType) int {
	switch strings.ToLower(t.T) {
	case "varchar", "char", "nvarchar", "nchar", "character", "varying character":
		if t.Size == 0 {
			return 1 << 31 // SQLite: unbounded.
		}
		return t.Size
	case "tinytext":
		return 255
	case "text", "clob":
		if t.Size > 0 {
			return t.Size
		}
		return 65535
	case "mediumtext":
		return 1<<24 - 1
	}
	return 1<<32 - 1 // longtext
}

// removedValue names the first enum or set value of from that to lacks, or
// is "" when to keeps them all.
func removedValue(from, to []string) string {
	have := make(map[string]bool, len(to))
	for _, v := range to {
		have[v] = true
	}
	for _, v := range from {
		if !have[v] {
			return fmt.Sprintf("value %q is removed", v)
		}
	}
	return ""
}
