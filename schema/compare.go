package schema

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
)

// Kinds of schema objects.
const (
	KindTable      = "table"
	KindColumn     = "column"
	KindIndex      = "index"
	KindForeignKey = "foreign_key"
	KindCheck      = "check"
	KindPrimaryKey = "primary_key"
	// KindSchema is the database's own options (charset, collation).
	KindSchema = "schema"
	// KindDatabase is the database as a whole: it is missing.
	KindDatabase = "database"
)

// How an object differs.
const (
	Added    = "added"
	Removed  = "removed"
	Modified = "modified"
)

// Object names one schema object: a table (Kind table, no Name: the table
// itself or its options), a column, index, foreign key or check of a table,
// a table's primary key (no Name), the schema's options or the database.
type Object struct {
	Kind  string `json:"kind"`
	Table string `json:"table,omitempty"`
	Name  string `json:"name,omitempty"`
}

func (o Object) String() string {
	switch o.Kind {
	case KindTable:
		return fmt.Sprintf("table %s", o.Table)
	case KindPrimaryKey:
		return fmt.Sprintf("primary key of %s", o.Table)
	case KindSchema, KindDatabase:
		return o.Kind
	case KindUnmanaged:
		if o.Table == "" {
			return fmt.Sprintf("unmanaged %s", o.Name)
		}
	}
	return fmt.Sprintf("%s %s.%s", strings.ReplaceAll(o.Kind, "_", " "), o.Table, o.Name)
}

// Difference is one object that differs between a base schema and a live
// one.
type Difference struct {
	Object
	// Change is Added (in live, not in base), Removed (in base, not in
	// live) or Modified.
	Change string `json:"change"`
	// Detail describes the object, or for a modification its base and live
	// definitions.
	Detail string `json:"detail,omitempty"`
	// Narrowing says why a modified column can no longer hold every value
	// of its base type; empty when it can.
	Narrowing string `json:"narrowing,omitempty"`
	// Attributes that differ, each with its base and live value (when the
	// tables were compared by their DDL).
	Attributes []AttrDiff `json:"attributes,omitempty"`
	// Unmanaged is set when only attributes landlord does not manage
	// differ: a warning, never planned.
	Unmanaged bool `json:"unmanaged,omitempty"`
}

// Compare returns how live differs from base, object by object, in table
// order. A live database that does not exist is one Difference of kind
// database. When both schemas carry their tables' DDL (MySQL and MariaDB),
// tables are compared attribute by attribute as the server shows them,
// also for what Atlas's model lacks.
func (t *Target) Compare(ctx context.Context, base, live *Live) ([]Difference, error) {
	drv, done, err := t.driver(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	e, err := t.server.env(ctx, drv, t.querier())
	if err != nil {
		return nil, err
	}
	return compare(e, base, live)
}

// Compare returns how live differs from base; see Target.Compare.
func (o *Offline) Compare(base, live *Live) ([]Difference, error) {
	return compare(o.env, base, live)
}

func compare(e *env, base, live *Live) ([]Difference, error) {
	if base.engine != live.engine && !(isMySQLFamily(base.engine) && isMySQLFamily(live.engine)) {
		return nil, fmt.Errorf("compare a %s schema with a %s one", base.engine, live.engine)
	}
	switch {
	case !live.exists && !base.exists:
		return nil, nil
	case !live.exists:
		return []Difference{{Object: Object{Kind: KindDatabase}, Change: Removed, Detail: "the database does not exist"}}, nil
	}
	// The diff runs from live to base, the direction in which plans are
	// made (live to desired) and known to report no false changes; each
	// change is then read backwards: a table the diff would add was
	// removed from live.
	from, to, err := e.prepare(live.schema, base.schema, placeholder)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	changes, err := e.diff(from, to)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	if base.HasDDL() && live.HasDDL() {
		return othersDifferences(sortDifferences(compareDDL(changes, base.ddl, live.ddl)), live), nil
	}
	var out []Difference
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.AddTable:
			out = append(out, Difference{Object: Object{Kind: KindTable, Table: c.T.Name}, Change: Removed, Detail: describeTable(c.T)})
		case *atlas.DropTable:
			out = append(out, Difference{Object: Object{Kind: KindTable, Table: c.T.Name}, Change: Added, Detail: describeTable(c.T)})
		case *atlas.ModifySchema:
			out = append(out, Difference{Object: Object{Kind: KindSchema}, Change: Modified, Detail: describeAttrChanges(c.Changes)})
		case *atlas.ModifyTable:
			for _, sc := range c.Changes {
				out = append(out, tableDifference(live.engine, c.T.Name, sc))
			}
		default:
			out = append(out, Difference{Object: Object{Kind: KindSchema}, Change: Modified, Detail: fmt.Sprintf("%T", c)})
		}
	}
	return othersDifferences(sortDifferences(out), live), nil
}

// sortDifferences orders differences by table, kind and name.
func sortDifferences(out []Difference) []Difference {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	return out
}

// compareDDL returns how live differs from base by their tables' DDL,
// attribute by attribute, and the database's own options from changes (a
// diff from live to base).
func compareDDL(changes []atlas.Change, base, live map[string]*TableDDL) []Difference {
	var out []Difference
	for _, c := range changes {
		if c, ok := c.(*atlas.ModifySchema); ok {
			out = append(out, Difference{Object: Object{Kind: KindSchema}, Change: Modified, Detail: describeAttrChanges(c.Changes)})
		}
	}
	for _, name := range sortedKeys(base, live) {
		b, inBase := base[name]
		l, inLive := live[name]
		switch {
		case !inLive:
			out = append(out, Difference{Object: Object{Kind: KindTable, Table: name}, Change: Removed, Detail: describeDDL(b)})
		case !inBase:
			out = append(out, Difference{Object: Object{Kind: KindTable, Table: name}, Change: Added, Detail: describeDDL(l)})
		default:
			out = append(out, groupAttrDiffs(CompareDDL(b, l))...)
		}
	}
	return out
}

// groupAttrDiffs makes one Difference per object of attribute
// differences, naming each attribute with its base and live values.
func groupAttrDiffs(ds []AttrDiff) []Difference {
	var out []Difference
	index := map[Object]int{}
	for _, d := range ds {
		i, ok := index[d.Object]
		if !ok {
			i = len(out)
			index[d.Object] = i
			out = append(out, Difference{Object: d.Object, Change: d.Change, Unmanaged: true})
		}
		df := &out[i]
		df.Attributes = append(df.Attributes, d)
		df.Unmanaged = df.Unmanaged && !d.Managed
		var part string
		switch {
		case d.Attribute == "" && d.Change == Added:
			part = d.To
		case d.Attribute == "" && d.Change == Removed:
			part = d.From
		default:
			part = fmt.Sprintf("%s %s → %s", d.Attribute, orNone(d.From), orNone(d.To))
			if !d.Managed {
				part += " (not managed)"
			}
			if d.Attribute == "type" && d.From != "" && d.To != "" {
				if why := spellingNarrowing(d.From, d.To); why != "" {
					df.Narrowing = why
				}
			}
		}
		if df.Detail != "" {
			df.Detail += "; "
		}
		df.Detail += part
	}
	return out
}

// spellingNarrowing is narrowing for two type spellings of SHOW CREATE
// TABLE.
func spellingNarrowing(from, to string) string {
	clean := func(s string) string {
		s = strings.TrimSuffix(s, " compressed")
		return strings.TrimSuffix(s, " zerofill")
	}
	f, err1 := mysql.ParseType(clean(from))
	t, err2 := mysql.ParseType(clean(to))
	if err1 != nil || err2 != nil {
		return ""
	}
	return narrowing(f, t)
}

func describeDDL(t *TableDDL) string {
	return fmt.Sprintf("%d column(s), %d key(s), %d constraint(s)", len(t.Columns), len(t.Keys), len(t.Constraints))
}

// tableDifference reads one change of a live-to-base table diff backwards.
func tableDifference(engine Engine, table string, c atlas.Change) Difference {
	d := Difference{Object: changeObject(table, c)}
	switch c := c.(type) {
	case *atlas.AddColumn:
		d.Change, d.Detail = Removed, describeColumn(engine, c.C)
	case *atlas.DropColumn:
		d.Change, d.Detail = Added, describeColumn(engine, c.C)
	case *atlas.ModifyColumn:
		// From is the live column, To the base one.
		d.Change, d.Detail = Modified, describeColumn(engine, c.To)+" → "+describeColumn(engine, c.From)+columnChanges(c, c.To, c.From)
		if c.Change.Is(atlas.ChangeType) && c.From.Type != nil && c.To.Type != nil {
			d.Narrowing = narrowing(c.To.Type.Type, c.From.Type.Type)
		}
	case *atlas.AddIndex:
		d.Change, d.Detail = Removed, describeIndex(c.I)
	case *atlas.DropIndex:
		d.Change, d.Detail = Added, describeIndex(c.I)
	case *atlas.ModifyIndex:
		d.Change, d.Detail = Modified, describeIndex(c.To)+" → "+describeIndex(c.From)
	case *atlas.AddPrimaryKey:
		d.Change, d.Detail = Removed, describeIndex(c.P)
	case *atlas.DropPrimaryKey:
		d.Change, d.Detail = Added, describeIndex(c.P)
	case *atlas.ModifyPrimaryKey:
		d.Change, d.Detail = Modified, describeIndex(c.To)+" → "+describeIndex(c.From)
	case *atlas.AddForeignKey:
		d.Change, d.Detail = Removed, describeForeignKey(c.F)
	case *atlas.DropForeignKey:
		d.Change, d.Detail = Added, describeForeignKey(c.F)
	case *atlas.ModifyForeignKey:
		d.Change, d.Detail = Modified, describeForeignKey(c.To)+" → "+describeForeignKey(c.From)
	case *atlas.AddCheck:
		d.Change, d.Detail = Removed, c.C.Expr
	case *atlas.DropCheck:
		d.Change, d.Detail = Added, c.C.Expr
	case *atlas.ModifyCheck:
		d.Change, d.Detail = Modified, c.To.Expr+" → "+c.From.Expr
	case *atlas.AddAttr, *atlas.DropAttr, *atlas.ModifyAttr:
		d.Change, d.Detail = Modified, describeAttrChanges([]atlas.Change{c})
	case *optionChange:
		d.Change, d.Detail = Modified, c.Key+" "+orNone(c.To)+" → "+orNone(c.From)
	case *partitionChange:
		d.Change, d.Detail = Modified, "partitioning "+orNone(c.To)+" → "+orNone(c.From)
	default:
		d.Change, d.Detail = Modified, fmt.Sprintf("%T", c)
	}
	return d
}

// changeObject names the object a change inside a table modification is
// about. Changes to the table's own options name the table.
func changeObject(table string, c atlas.Change) Object {
	o := Object{Kind: KindTable, Table: table}
	switch c := c.(type) {
	case *atlas.AddColumn:
		o.Kind, o.Name = KindColumn, c.C.Name
	case *atlas.DropColumn:
		o.Kind, o.Name = KindColumn, c.C.Name
	case *atlas.ModifyColumn:
		o.Kind, o.Name = KindColumn, c.To.Name
	case *atlas.RenameColumn:
		o.Kind, o.Name = KindColumn, c.From.Name
	case *atlas.AddIndex:
		o.Kind, o.Name = KindIndex, c.I.Name
	case *atlas.DropIndex:
		o.Kind, o.Name = KindIndex, c.I.Name
	case *atlas.ModifyIndex:
		o.Kind, o.Name = KindIndex, c.To.Name
	case *atlas.RenameIndex:
		o.Kind, o.Name = KindIndex, c.From.Name
	case *atlas.AddPrimaryKey, *atlas.DropPrimaryKey, *atlas.ModifyPrimaryKey:
		o.Kind = KindPrimaryKey
	case *atlas.AddForeignKey:
		o.Kind, o.Name = KindForeignKey, c.F.Symbol
	case *atlas.DropForeignKey:
		o.Kind, o.Name = KindForeignKey, c.F.Symbol
	case *atlas.ModifyForeignKey:
		o.Kind, o.Name = KindForeignKey, c.To.Symbol
	case *atlas.AddCheck:
		o.Kind, o.Name = KindCheck, c.C.Name
	case *atlas.DropCheck:
		o.Kind, o.Name = KindCheck, c.C.Name
	case *atlas.ModifyCheck:
		o.Kind, o.Name = KindCheck, c.To.Name
	}
	return o
}

// leaveOut removes from changes every change to an object in leave, so the
// plan leaves those objects as they are. It returns what it left out of
// each modified table, by table.
func leaveOut(changes []atlas.Change, leave map[Object]bool) ([]atlas.Change, map[string][]string) {
	left := map[string][]string{}
	if len(leave) == 0 {
		return changes, left
	}
	var out []atlas.Change
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.AddTable:
			if leave[Object{Kind: KindTable, Table: c.T.Name}] {
				continue
			}
		case *atlas.DropTable:
			if leave[Object{Kind: KindTable, Table: c.T.Name}] {
				continue
			}
		case *atlas.ModifySchema:
			if leave[Object{Kind: KindSchema}] {
				continue
			}
		case *atlas.ModifyTable:
			var keep []atlas.Change
			for _, sc := range c.Changes {
				if o := changeObject(c.T.Name, sc); leave[o] {
					left[c.T.Name] = append(left[c.T.Name], o.String())
				} else {
					keep = append(keep, sc)
				}
			}
			if len(keep) == 0 {
				continue
			}
			if len(keep) < len(c.Changes) {
				out = append(out, &atlas.ModifyTable{T: c.T, Changes: keep})
				continue
			}
		}
		out = append(out, c)
	}
	return out, left
}

// markRebuilds marks destructive the table modifications that SQLite
// carries out by rebuilding the table from its desired definition (create a
// copy, copy the rows, drop, rename) when the plan leaves something of that
// table alone (drift under policy report, ignored columns): the rebuild
// would lose it.
func (as attributions) markRebuilds(changes []atlas.Change, left map[string][]string) {
	for _, c := range changes {
		mt, ok := c.(*atlas.ModifyTable)
		if !ok || len(left[mt.T.Name]) == 0 || sqliteAlterable(mt) {
			continue
		}
		a := as[mt]
		a.destructive = true
		a.reasons = append(a.reasons, fmt.Sprintf("SQLite rebuilds table %s from its desired definition and loses %s, which the plan leaves alone",
			mt.T.Name, strings.Join(left[mt.T.Name], ", ")))
		as[mt] = a
	}
}

// sqliteAlterable reports whether SQLite can make a table modification with
// ALTER TABLE rather than by rebuilding the table: the rule of Atlas's
// SQLite planner.
func sqliteAlterable(mt *atlas.ModifyTable) bool {
	for _, c := range mt.Changes {
		switch c := c.(type) {
		case *atlas.RenameColumn, *atlas.RenameIndex, *atlas.DropIndex, *atlas.AddIndex:
		case *atlas.AddColumn:
			if len(c.C.Indexes) > 0 || len(c.C.ForeignKeys) > 0 {
				return false
			}
			switch x := c.C.Default.(type) {
			case *atlas.Literal:
				switch strings.ToUpper(x.V) {
				case "CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP":
					return false
				}
			case *atlas.RawExpr:
				return false
			}
			for _, a := range c.C.Attrs {
				if _, ok := a.(*atlas.GeneratedExpr); ok {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

func describeTable(t *atlas.Table) string {
	return fmt.Sprintf("%d column(s), %d index(es), %d foreign key(s)", len(t.Columns), len(t.Indexes), len(t.ForeignKeys))
}

func describeColumn(engine Engine, c *atlas.Column) string {
	if c == nil || c.Type == nil {
		return "?"
	}
	s := columnType(engine, c.Type)
	if c.Type.Null {
		s += " NULL"
	} else {
		s += " NOT NULL"
	}
	switch d := c.Default.(type) {
	case *atlas.Literal:
		s += " DEFAULT " + d.V
	case *atlas.RawExpr:
		s += " DEFAULT " + d.X
	}
	return s
}

// columnChanges names the attributes of a column modification that its
// type, nullability and default do not show, with both values: base is
// the column the change reads back to, live the live one.
func columnChanges(c *atlas.ModifyColumn, base, live *atlas.Column) string {
	attr := func(col *atlas.Column, pick func(atlas.Attr) (string, bool)) string {
		for _, a := range col.Attrs {
			if v, ok := pick(a); ok {
				return v
			}
		}
		return ""
	}
	var out []string
	add := func(flag atlas.ChangeKind, name string, pick func(atlas.Attr) (string, bool)) {
		if c.Change.Is(flag) {
			out = append(out, fmt.Sprintf("%s %s → %s", name, orNone(attr(base, pick)), orNone(attr(live, pick))))
		}
	}
	add(atlas.ChangeCharset, "charset", func(a atlas.Attr) (string, bool) {
		x, ok := a.(*atlas.Charset)
		return valueOf(ok, func() string { return x.V })
	})
	add(atlas.ChangeCollate, "collation", func(a atlas.Attr) (string, bool) {
		x, ok := a.(*atlas.Collation)
		return valueOf(ok, func() string { return x.V })
	})
	add(atlas.ChangeComment, "comment", func(a atlas.Attr) (string, bool) {
		x, ok := a.(*atlas.Comment)
		return valueOf(ok, func() string { return fmt.Sprintf("%q", x.Text) })
	})
	add(atlas.ChangeGenerated, "generated", func(a atlas.Attr) (string, bool) {
		x, ok := a.(*atlas.GeneratedExpr)
		return valueOf(ok, func() string { return x.Expr + " " + x.Type })
	})
	if len(out) == 0 {
		return ""
	}
	return " (" + strings.Join(out, "; ") + ")"
}

func valueOf(ok bool, v func() string) (string, bool) {
	if !ok {
		return "", false
	}
	return v(), true
}

func columnType(engine Engine, ct *atlas.ColumnType) string {
	if ct.Raw != "" {
		return ct.Raw
	}
	var (
		s   string
		err error
	)
	if engine == SQLite {
		s, err = sqlite.FormatType(ct.Type)
	} else {
		s, err = mysql.FormatType(ct.Type)
	}
	if err != nil {
		return typeString(ct)
	}
	return s
}

func describeIndex(i *atlas.Index) string {
	if i == nil {
		return "?"
	}
	var parts []string
	for _, p := range i.Parts {
		switch {
		case p.C != nil:
			parts = append(parts, p.C.Name)
		case p.X != nil:
			parts = append(parts, fmt.Sprint(p.X))
		}
	}
	s := "(" + strings.Join(parts, ", ") + ")"
	if i.Unique {
		s = "unique " + s
	}
	if t := indexTypeOf(i); !strings.EqualFold(t, mysql.IndexTypeBTree) {
		s += " using " + strings.ToUpper(t)
	}
	var cm atlas.Comment
	if hasAttrInto(i.Attrs, &cm) {
		s += fmt.Sprintf(" comment %q", cm.Text)
	}
	return s
}

func describeForeignKey(f *atlas.ForeignKey) string {
	if f == nil {
		return "?"
	}
	names := func(cs []*atlas.Column) string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.Name
		}
		return strings.Join(out, ", ")
	}
	ref := "?"
	if f.RefTable != nil {
		ref = f.RefTable.Name
	}
	s := fmt.Sprintf("(%s) references %s (%s)", names(f.Columns), ref, names(f.RefColumns))
	if f.OnDelete != "" {
		s += " on delete " + strings.ToLower(string(f.OnDelete))
	}
	if f.OnUpdate != "" {
		s += " on update " + strings.ToLower(string(f.OnUpdate))
	}
	return s
}

func describeAttrChanges(cs []atlas.Change) string {
	var out []string
	for _, c := range cs {
		switch c := c.(type) {
		// The changes run from live to base: an attribute the diff adds is
		// one live dropped.
		case *atlas.AddAttr:
			out = append(out, "drops "+describeAttr(c.A))
		case *atlas.DropAttr:
			out = append(out, "adds "+describeAttr(c.A))
		case *atlas.ModifyAttr:
			out = append(out, describeAttr(c.To)+" → "+describeAttr(c.From))
		default:
			out = append(out, fmt.Sprintf("%T", c))
		}
	}
	return strings.Join(out, "; ")
}

func describeAttr(a atlas.Attr) string {
	switch a := a.(type) {
	case *atlas.Charset:
		return "charset " + a.V
	case *atlas.Collation:
		return "collation " + a.V
	case *atlas.Comment:
		return fmt.Sprintf("comment %q", a.Text)
	case *atlas.Check:
		return "check " + a.Expr
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", a), "*")
}

func objectSet(objs []Object) map[Object]bool {
	if len(objs) == 0 {
		return nil
	}
	m := make(map[Object]bool, len(objs))
	for _, o := range objs {
		m[o] = true
	}
	return m
}
