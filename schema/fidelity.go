package schema

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
)

// Atlas's diff compares what its model holds, and in its own way; landlord
// completes it for MySQL and MariaDB (supplement):
//
//   - column types by their whole spelling (typeSpelling), which Atlas
//     compares without display widths, zerofill or float scale;
//   - CHECK expressions as the server stores them (normExpr), which Atlas
//     compares by name only;
//   - the table options Atlas has no place for (ROW_FORMAT, CHECKSUM, ...)
//     and partitioning;
//   - MariaDB's unique HASH indexes, which the server turns into BTREE
//     ones whenever it rebuilds a table: an ALTER of such a table declares
//     them again, so they stay what git says.

// optionChange is a change of one table option; partitionChange of the
// partitioning. Both are rendered by landlord, not by Atlas's planner.
type (
	optionChange struct {
		atlas.Change
		Key, From, To string
	}
	partitionChange struct {
		atlas.Change
		From, To string
	}
)

// supplement adds to changes (a diff from one schema to another) what
// Atlas's diff misses, and drops the type changes that are none.
func supplement(engine Engine, changes []atlas.Change, from, to *atlas.Schema) []atlas.Change {
	modified := map[string]*atlas.ModifyTable{}
	for _, c := range changes {
		if mt, ok := c.(*atlas.ModifyTable); ok {
			modified[mt.T.Name] = mt
		}
	}
	for _, tt := range to.Tables {
		ft, ok := from.Table(tt.Name)
		if !ok {
			continue
		}
		mt := modified[tt.Name]
		var extra []atlas.Change
		// Column types.
		for _, tc := range tt.Columns {
			fc, ok := ft.Column(tc.Name)
			if !ok || fc.Type == nil || tc.Type == nil {
				continue
			}
			differ := typeSpelling(engine, fc.Type.Type) != typeSpelling(engine, tc.Type.Type)
			var mc *atlas.ModifyColumn
			if mt != nil {
				for _, sc := range mt.Changes {
					if m, ok := sc.(*atlas.ModifyColumn); ok && m.To.Name == tc.Name {
						mc = m
					}
				}
			}
			switch {
			case mc != nil && differ:
				mc.Change |= atlas.ChangeType
			case mc != nil:
				mc.Change &^= atlas.ChangeType
			case differ:
				mc = &atlas.ModifyColumn{From: fc, To: tc, Change: atlas.ChangeType}
				extra = append(extra, mc)
			}
			// Generated columns: Atlas compares their expressions as
			// written; the server stores them quoted and spaced its way.
			if mc != nil && mc.Change.Is(atlas.ChangeGenerated) && sameGenerated(fc, tc) {
				mc.Change &^= atlas.ChangeGenerated
			}
			// Raw defaults: the server stores them its way (curdate() for
			// CURDATE()).
			if mc != nil && mc.Change.Is(atlas.ChangeDefault) && sameRawDefault(fc, tc) {
				mc.Change &^= atlas.ChangeDefault
			}
			// MariaDB's generated columns are all nullable: it has no
			// NOT NULL for them, and a layer need not say null = true.
			if mc != nil && engine == MariaDB && mc.Change.Is(atlas.ChangeNull) && generatedOf(tc) != nil && fc.Type.Null {
				mc.Change &^= atlas.ChangeNull
			}
			// ON UPDATE: Atlas's diff does not see it dropped.
			// AUTO_INCREMENT: it sees it neither added to a column nor
			// dropped from one.
			autoIncrement := isMySQLFamily(engine) && hasAttr[*mysql.AutoIncrement](fc.Attrs) != hasAttr[*mysql.AutoIncrement](tc.Attrs)
			if onUpdateOf(fc) != onUpdateOf(tc) || autoIncrement {
				if mc == nil {
					extra = append(extra, &atlas.ModifyColumn{From: fc, To: tc, Change: atlas.ChangeAttr})
				} else {
					mc.Change |= atlas.ChangeAttr
				}
			}
		}
		// CHECK expressions.
		fchecks, tchecks := checksOf(ft), checksOf(tt)
		for name, tc := range tchecks {
			fc, ok := fchecks[name]
			if !ok || normExpr(fc.Expr) == normExpr(tc.Expr) || hasCheckChange(mt, name) {
				continue
			}
			extra = append(extra, &atlas.DropCheck{C: fc}, &atlas.AddCheck{C: tc})
		}
		// Foreign keys to another table: Atlas's diff compares the key's
		// own table where it means the referenced one, so a key moved to
		// another table by columns of the same names is no change to it.
		for _, tfk := range tt.ForeignKeys {
			ffk, ok := ft.ForeignKey(tfk.Symbol)
			if !ok || ffk.RefTable == nil || tfk.RefTable == nil || ffk.RefTable.Name == tfk.RefTable.Name {
				continue
			}
			if m := foreignKeyChange(mt, tfk.Symbol); m != nil {
				m.Change |= atlas.ChangeRefTable
			} else if !hasForeignKeyChange(mt, tfk.Symbol) {
				extra = append(extra, &atlas.ModifyForeignKey{From: ffk, To: tfk, Change: atlas.ChangeRefTable})
			}
		}
		// Table options and partitioning.
		fo, to := optionsOf(ft), optionsOf(tt)
		for _, k := range sortedKeys(fo, to) {
			if effectiveOption(k, fo[k]) != effectiveOption(k, to[k]) {
				extra = append(extra, &optionChange{Key: k, From: fo[k], To: to[k]})
			}
		}
		if fp, tp := partitionOf(ft), partitionOf(tt); normPartition(fp) != normPartition(tp) {
			extra = append(extra, &partitionChange{From: fp, To: tp})
		}
		if mt == nil && len(extra) > 0 {
			mt = &atlas.ModifyTable{T: tt}
			modified[tt.Name] = mt
			changes = append(changes, mt)
		}
		if mt == nil {
			continue
		}
		mt.Changes = append(mt.Changes, extra...)
		mt.Changes = dropNoChange(mt.Changes)
		if engine == MariaDB && len(mt.Changes) > 0 && !memoryEngine(tt) {
			mt.Changes = append(mt.Changes, keepHashIndexes(ft, tt, mt.Changes)...)
		}
	}
	// Drop the table modifications left with nothing to do.
	out := changes[:0]
	for _, c := range changes {
		if mt, ok := c.(*atlas.ModifyTable); ok && len(mt.Changes) == 0 {
			continue
		}
		out = append(out, c)
	}
	return out
}

// dropNoChange removes column modifications that change nothing.
func dropNoChange(cs []atlas.Change) []atlas.Change {
	out := cs[:0]
	for _, c := range cs {
		if mc, ok := c.(*atlas.ModifyColumn); ok && mc.Change == atlas.NoChange {
			continue
		}
		out = append(out, c)
	}
	return out
}

// foreignKeyChange returns the modification of the foreign key name in
// mt, or nil.
func foreignKeyChange(mt *atlas.ModifyTable, name string) *atlas.ModifyForeignKey {
	if mt == nil {
		return nil
	}
	for _, c := range mt.Changes {
		if m, ok := c.(*atlas.ModifyForeignKey); ok && m.To.Symbol == name {
			return m
		}
	}
	return nil
}

// hasForeignKeyChange reports whether mt adds or drops the foreign key
// name.
func hasForeignKeyChange(mt *atlas.ModifyTable, name string) bool {
	if mt == nil {
		return false
	}
	for _, c := range mt.Changes {
		switch c := c.(type) {
		case *atlas.AddForeignKey:
			if c.F.Symbol == name {
				return true
			}
		case *atlas.DropForeignKey:
			if c.F.Symbol == name {
				return true
			}
		}
	}
	return false
}

func hasCheckChange(mt *atlas.ModifyTable, name string) bool {
	if mt == nil {
		return false
	}
	for _, c := range mt.Changes {
		switch c := c.(type) {
		case *atlas.ModifyCheck:
			if c.To.Name == name {
				return true
			}
		case *atlas.AddCheck:
			if c.C.Name == name {
				return true
			}
		case *atlas.DropCheck:
			if c.C.Name == name {
				return true
			}
		}
	}
	return false
}

// keepHashIndexes returns, for a MariaDB table that an ALTER changes, the
// re-declaration of its unique HASH indexes that the change leaves alone:
// MariaDB rebuilds a unique HASH index that fits a BTREE as a BTREE on any
// ALTER of its table, so the ALTER declares it again (DROP INDEX, ADD
// UNIQUE ... USING HASH in the same statement), and the index stays what
// git says.
func keepHashIndexes(ft, tt *atlas.Table, cs []atlas.Change) []atlas.Change {
	touched := map[string]bool{}
	for _, c := range cs {
		switch c := c.(type) {
		case *atlas.ModifyIndex:
			touched[c.To.Name] = true
		case *atlas.AddIndex:
			touched[c.I.Name] = true
		case *atlas.DropIndex:
			touched[c.I.Name] = true
		}
	}
	var out []atlas.Change
	for _, ti := range tt.Indexes {
		if !ti.Unique || touched[ti.Name] || !strings.EqualFold(indexTypeOf(ti), mysql.IndexTypeHash) {
			continue
		}
		fi, ok := ft.Index(ti.Name)
		if !ok || !strings.EqualFold(indexTypeOf(fi), mysql.IndexTypeHash) {
			continue
		}
		out = append(out, &atlas.ModifyIndex{From: fi, To: ti, Change: atlas.ChangeAttr})
	}
	return out
}

func indexTypeOf(idx *atlas.Index) string {
	for _, a := range idx.Attrs {
		if t, ok := a.(*mysql.IndexType); ok {
			return t.T
		}
	}
	return mysql.IndexTypeBTree
}

func checksOf(t *atlas.Table) map[string]*atlas.Check {
	m := map[string]*atlas.Check{}
	for _, a := range t.Attrs {
		if c, ok := a.(*atlas.Check); ok && c.Name != "" {
			m[c.Name] = c
		}
	}
	return m
}

func optionsOf(t *atlas.Table) map[string]string {
	for _, a := range t.Attrs {
		if o, ok := a.(*tableOptions); ok {
			return o.V
		}
	}
	return nil
}

func partitionOf(t *atlas.Table) string {
	for _, a := range t.Attrs {
		if p, ok := a.(*partitioning); ok {
			return p.V
		}
	}
	return ""
}

// effectiveOption is an option's value as compared: its reset value is
// the same as not setting it (the server then shows nothing).
func effectiveOption(key, v string) string {
	if v == "DEFAULT" || v == resetValue(key) {
		return ""
	}
	return v
}

// resetValue is the value that takes a table option back to the server's
// default.
func resetValue(key string) string {
	switch key {
	case "CHECKSUM", "DELAY_KEY_WRITE", "KEY_BLOCK_SIZE", "MIN_ROWS", "MAX_ROWS", "AVG_ROW_LENGTH":
		return "0"
	case "INSERT_METHOD":
		return "NO"
	}
	return "DEFAULT"
}

// optionClauses renders the options of a table for CREATE TABLE, sorted.
func optionClauses(opts map[string]string) string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + opts[k]
	}
	return strings.Join(parts, " ")
}

// canonicalLiteral returns the string literal lit, quoted with ' or " and
// read as the server reads it (landlord's sql_mode: a doubled quote or a
// backslash escape stands for one character), in one spelling: single
// quotes, a quote doubled, a backslash doubled. A literal it cannot read
// (no closing quote) is returned as it is.
func canonicalLiteral(lit string) string {
	if len(lit) < 2 || lit[len(lit)-1] != lit[0] {
		return lit
	}
	q, body := lit[0], lit[1:len(lit)-1]
	var v strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			switch e := body[i]; e {
			case 'n':
				v.WriteByte('\n')
			case 't':
				v.WriteByte('\t')
			case 'r':
				v.WriteByte('\r')
			case '0':
				v.WriteByte(0)
			case 'b':
				v.WriteByte('\b')
			case 'Z':
				v.WriteByte(26)
			case '%', '_':
				// Kept with their backslash (for LIKE).
				v.WriteByte('\\')
				v.WriteByte(e)
			default:
				v.WriteByte(e)
			}
		case c == q && i+1 < len(body) && body[i+1] == q:
			v.WriteByte(q)
			i++
		default:
			v.WriteByte(c)
		}
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(v.String(), `\`, `\\`), "'", "''") + "'"
}

// normExpr normalizes an SQL expression for comparison, as MySQL and
// MariaDB store CHECK constraints, defaults and partitioning: identifiers
// unquoted, keywords and names in lower case, no whitespace, no charset
// introducers (_utf8mb4'x'), != as <>, the operators the server writes
// as words as those words (% MOD, || OR, && AND, RLIKE REGEXP), the
// functions it renames by their stored names (exprAliases), and no
// parentheses around the whole. String literals are compared by value
// (canonicalLiteral): the server stores 'it”s' and "it's" as 'it\'s'.
func normExpr(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') && (i == 0 || !isWordByte(s[i-1])):
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '$') {
				j++
			}
			w := strings.ToLower(s[i:j])
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\n' || s[k] == '\t' || s[k] == '\r') {
				k++
			}
			if a, ok := exprAliases[w]; ok && k < len(s) && s[k] == '(' {
				w = a
			} else if w == "rlike" {
				w = "regexp"
			}
			b.WriteString(w)
			i = j - 1
		case c == '%':
			b.WriteString("mod")
		case (c == '|' || c == '&') && i+1 < len(s) && s[i+1] == c:
			if c == '|' {
				b.WriteString("or")
			} else {
				b.WriteString("and")
			}
			i++
		case c == '\'' || c == '"':
			j := skipQuoted(s, i)
			b.WriteString(canonicalLiteral(s[i:j]))
			i = j - 1
		case c == '`':
			j := skipQuoted(s, i)
			b.WriteString(strings.ToLower(strings.ReplaceAll(s[i+1:max(i+1, j-1)], "``", "`")))
			i = j - 1
		case c == '_' && (i == 0 || !isWordByte(s[i-1])):
			// A charset introducer: _name immediately before a quote.
			j := i + 1
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '\'' {
				i = j - 1
				continue
			}
			b.WriteString(strings.ToLower(s[i:j]))
			i = j - 1
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
		case c == '!' && i+1 < len(s) && s[i+1] == '=':
			b.WriteString("<>")
			i++
		default:
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
	}
	out := b.String()
	for strings.HasPrefix(out, "(") && strings.HasSuffix(out, ")") && balanced(out[1:len(out)-1]) {
		out = out[1 : len(out)-1]
	}
	return out
}

// normPartition normalizes a partitioning clause for comparison as
// normExpr does, and as the server writes it: each partition's engine is
// the table's (the server names it in every partition; the table's engine
// is compared apart), and `COMMENT = 'x'` is `COMMENT 'x'`.
func normPartition(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '\'' && s[j] != '"' && s[j] != '`' {
			j++
		}
		plain := partitionEngine.ReplaceAllString(s[i:j], " ")
		b.WriteString(partitionComment.ReplaceAllString(plain, " COMMENT "))
		if j == len(s) {
			break
		}
		k := skipQuoted(s, j)
		b.WriteString(s[j:k])
		i = k
	}
	return normExpr(b.String())
}

// exprAliases are the functions MariaDB and MySQL store under another of
// their names (SHOW CREATE TABLE, information_schema.CHECK_CONSTRAINTS).
var exprAliases = map[string]string{
	"upper":            "ucase",
	"lower":            "lcase",
	"substring":        "substr",
	"mid":              "substr",
	"character_length": "char_length",
	"length":           "octet_length",
	"power":            "pow",
	"ceil":             "ceiling",
	"day":              "dayofmonth",
}

var (
	partitionEngine  = regexp.MustCompile(`(?i)\b(?:STORAGE\s+)?ENGINE(?:\s*=\s*[A-Za-z_][A-Za-z0-9_]*|\s+(?:InnoDB|MyISAM|Aria|MEMORY|HEAP|ARCHIVE|CSV|BLACKHOLE|MRG_MyISAM|MERGE|ROCKSDB|NDB|NDBCLUSTER)\b)`)
	partitionComment = regexp.MustCompile(`(?i)\bCOMMENT\s*=`)
)

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// balanced reports whether the parentheses of s (outside literals) pair
// up without closing below zero.
func balanced(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			i = skipQuoted(s, i) - 1
		case '(':
			depth++
		case ')':
			if depth--; depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// sameGenerated reports whether two columns are generated alike: both
// not, or both by the same expression (normExpr) and both STORED or both
// VIRTUAL (the server's PERSISTENT is STORED, no kind VIRTUAL).
func sameGenerated(a, b *atlas.Column) bool {
	ga, gb := generatedOf(a), generatedOf(b)
	switch {
	case ga == nil || gb == nil:
		return ga == nil && gb == nil
	case normExpr(ga.Expr) != normExpr(gb.Expr):
		return false
	}
	return storedKind(ga.Type) == storedKind(gb.Type)
}

// sameRawDefault reports whether two columns have raw defaults (function
// calls) equal by normExpr.
func sameRawDefault(a, b *atlas.Column) bool {
	ra, ok1 := a.Default.(*atlas.RawExpr)
	rb, ok2 := b.Default.(*atlas.RawExpr)
	return ok1 && ok2 && normExpr(ra.X) == normExpr(rb.X)
}

func generatedOf(c *atlas.Column) *atlas.GeneratedExpr {
	for _, a := range c.Attrs {
		if g, ok := a.(*atlas.GeneratedExpr); ok {
			return g
		}
	}
	return nil
}

func storedKind(t string) string {
	switch strings.ToUpper(t) {
	case "STORED", "PERSISTENT":
		return "STORED"
	}
	return "VIRTUAL"
}

// onUpdateOf returns a column's ON UPDATE expression, normalized.
func onUpdateOf(c *atlas.Column) string {
	for _, a := range c.Attrs {
		if u, ok := a.(*mysql.OnUpdate); ok {
			x := normExpr(strings.ToLower(u.A))
			for _, synonym := range []string{"localtimestamp", "localtime", "now"} {
				if rest, ok := strings.CutPrefix(x, synonym); ok && (rest == "" || rest[0] == '(') {
					x = "current_timestamp" + rest
				}
			}
			return strings.TrimSuffix(x, "()")
		}
	}
	return ""
}

// prepareRender readies changes for Atlas's MySQL planner and takes out
// the changes landlord renders itself, by table: table options and
// partitioning of existing tables. New tables get their options and
// partitioning as CreateOptions, which Atlas writes after the column list.
// A CHECK modification becomes a drop and an add of the constraint (both
// servers take DROP CONSTRAINT; MariaDB has no DROP CHECK). A foreign key
// modified is dropped and added, its index left to the diff.
func prepareRender(changes []atlas.Change) ([]atlas.Change, map[string][]atlas.Change) {
	own := map[string][]atlas.Change{}
	out := changes[:0]
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.AddTable:
			var tail []string
			if o := optionsOf(c.T); len(o) > 0 {
				tail = append(tail, optionClauses(o))
			}
			if p := partitionOf(c.T); p != "" {
				tail = append(tail, p)
			}
			if len(tail) > 0 {
				c.T.Attrs = append(c.T.Attrs, &mysql.CreateOptions{V: strings.Join(tail, " ")})
			}
			for _, col := range c.T.Columns {
				spellInvisibleCharset(c.T, col)
			}
		case *atlas.ModifyTable:
			var keep []atlas.Change
			for _, sc := range c.Changes {
				switch sc := sc.(type) {
				case *optionChange, *partitionChange:
					own[c.T.Name] = append(own[c.T.Name], sc)
					continue
				case *atlas.ModifyCheck:
					keep = append(keep, &atlas.DropCheck{C: sc.From}, &atlas.AddCheck{C: sc.To})
					continue
				case *atlas.ModifyForeignKey:
					// Atlas's planner adds DROP INDEX of the key's name
					// to a key that references another table or other
					// columns (for the index the server would have made
					// for it), whether or not the table has one: the
					// key's index is a matter of the diff, not of the key.
					if sc.Change.Is(atlas.ChangeRefTable | atlas.ChangeRefColumn) {
						sc.Change = sc.Change&^(atlas.ChangeRefTable|atlas.ChangeRefColumn) | atlas.ChangeColumn
					}
				case *atlas.AddColumn:
					spellInvisibleCharset(c.T, sc.C)
				case *atlas.ModifyColumn:
					spellInvisibleCharset(c.T, sc.To)
				}
				keep = append(keep, sc)
			}
			if len(keep) == 0 {
				continue
			}
			c.Changes = keep
		}
		out = append(out, c)
	}
	return out, own
}

// spellInvisibleCharset moves the character set of an invisible column
// into its type's spelling: the server takes CHARACTER SET only right
// after the type, and Atlas writes it after the type's name, which holds
// INVISIBLE.
func spellInvisibleCharset(t *atlas.Table, c *atlas.Column) {
	if c.Type == nil || !strings.HasSuffix(typeName(c.Type.Type), " invisible") {
		return
	}
	var cs, tcs atlas.Charset
	if !hasAttrInto(c.Attrs, &cs) || hasAttrInto(t.Attrs, &tcs) && tcs.V == cs.V {
		return
	}
	name := strings.TrimSuffix(typeName(c.Type.Type), " invisible") + " character set " + cs.V + " invisible"
	if nt, err := spelledType(strings.TrimSuffix(name, " invisible"), true); err == nil && nt != nil {
		c.Type = &atlas.ColumnType{Type: nt, Raw: c.Type.Raw, Null: c.Type.Null}
		c.Attrs = keepAttrs(c.Attrs, func(a atlas.Attr) bool {
			_, ok := a.(*atlas.Charset)
			return !ok
		})
	}
}

// typeName returns the name (T) of a column type, or "".
func typeName(t atlas.Type) string {
	switch t := t.(type) {
	case *atlas.IntegerType:
		return t.T
	case *atlas.FloatType:
		return t.T
	case *atlas.StringType:
		return t.T
	case *atlas.BinaryType:
		return t.T
	case *atlas.TimeType:
		return t.T
	case *atlas.JSONType:
		return t.T
	case *atlas.SpatialType:
		return t.T
	}
	return ""
}

func hasAttrInto[T any, P interface {
	*T
	atlas.Attr
}](attrs []atlas.Attr, into P) bool {
	for _, a := range attrs {
		if v, ok := a.(P); ok {
			*into = *v
			return true
		}
	}
	return false
}

// mergeAlters makes the statements of a MySQL or MariaDB plan one ALTER
// TABLE per table: Atlas's planner writes a modified index or foreign key
// as a drop in one statement and an add in the next; both go into one
// statement, except a foreign key dropped and added again under the same
// name, which the servers refuse in one statement (MariaDB: errno 121
// "Duplicate key on write or update"). The options and partitioning that
// landlord renders itself (own) end the table's statement.
func mergeAlters(db string, sts []Statement, own map[string][]atlas.Change, attrOf func(table string) attribution) []Statement {
	prefix := func(table string) string { return "ALTER TABLE " + quoteIdent(db) + "." + quoteIdent(table) + " " }
	var out []Statement
	last := map[string]int{}
	for _, st := range sts {
		mt, ok := st.source.(*atlas.ModifyTable)
		if !ok {
			out = append(out, st)
			continue
		}
		pre := prefix(mt.T.Name)
		if i, seen := last[mt.T.Name]; seen && i == len(out)-1 && strings.HasPrefix(st.SQL, pre) && strings.HasPrefix(out[i].SQL, pre) &&
			!reAddsForeignKey(out[i].source, mt) {
			prev := &out[i]
			prev.SQL += ", " + strings.TrimPrefix(st.SQL, pre)
			prev.Destructive = prev.Destructive || st.Destructive
			prev.Reasons = appendNew(prev.Reasons, st.Reasons...)
			if pm, ok := prev.source.(*atlas.ModifyTable); ok {
				prev.source = &atlas.ModifyTable{T: pm.T, Changes: append(append([]atlas.Change{}, pm.Changes...), mt.Changes...)}
			}
			continue
		}
		last[mt.T.Name] = len(out)
		out = append(out, st)
	}
	for _, table := range sortedKeys(own) {
		var clauses []string
		tail := ""
		for _, c := range own[table] {
			switch c := c.(type) {
			case *optionChange:
				v := c.To
				if v == "" {
					v = resetValue(c.Key)
				}
				clauses = append(clauses, c.Key+"="+v)
			case *partitionChange:
				tail = " REMOVE PARTITIONING"
				if c.To != "" {
					tail = " " + c.To
				}
			}
		}
		if i, ok := last[table]; ok {
			if len(clauses) > 0 {
				out[i].SQL += ", " + strings.Join(clauses, ", ")
			}
			out[i].SQL += tail
			continue
		}
		a := attrOf(table)
		out = append(out, Statement{SQL: strings.TrimSpace(prefix(table)+strings.Join(clauses, ", ")) + tail,
			Origin: a.origin, Table: table, Destructive: a.destructive, Reasons: a.reasons})
	}
	return out
}

// reAddsForeignKey reports whether next adds a foreign key that prev drops.
func reAddsForeignKey(prev atlas.Change, next *atlas.ModifyTable) bool {
	pm, ok := prev.(*atlas.ModifyTable)
	if !ok {
		return false
	}
	dropped := map[string]bool{}
	for _, c := range pm.Changes {
		if d, ok := c.(*atlas.DropForeignKey); ok {
			dropped[d.F.Symbol] = true
		}
	}
	for _, c := range next.Changes {
		if a, ok := c.(*atlas.AddForeignKey); ok && dropped[a.F.Symbol] {
			return true
		}
	}
	return false
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, l := range list {
			if l == it {
				found = true
				break
			}
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}

// tableKey is the attributions key of a table's modification as a whole.
func tableKey(table string) string { return "table:" + table }

// normalizeDefaults writes the defaults of binary columns as the bytes
// they hold, in hex (0x...), whatever their spelling: MariaDB shows
// binary(16) DEFAULT 0x00 as '\0\0...' (padded to the column's length,
// with backslash escapes) and Atlas would write that text back as a
// quoted string the server refuses or reads otherwise. Hex is what both
// servers take and what compares equal.
func normalizeDefaults(s *atlas.Schema) {
	for _, t := range s.Tables {
		for _, c := range t.Columns {
			if c.Default == nil {
				continue
			}
			if isNullDefault(c.Default) && c.Type.Null {
				// DEFAULT NULL of a nullable column is no default.
				c.Default = nil
				continue
			}
			switch pt := plainType(c.Type.Type).(type) {
			case *atlas.TimeType:
				c.Default = temporalDefault(pt, c.Default)
				continue
			case *mysql.BitType:
				v := ""
				switch d := c.Default.(type) {
				case *atlas.Literal:
					v = d.V
				case *atlas.RawExpr:
					v = d.X
				}
				if n, ok := bitValue(v); ok {
					c.Default = &atlas.Literal{V: n}
				}
				continue
			case *atlas.StringType, *atlas.UUIDType:
				c.Default = callDefault(c.Default)
			}
			bt, ok := plainType(c.Type.Type).(*atlas.BinaryType)
			if !ok {
				continue
			}
			var b []byte
			switch d := c.Default.(type) {
			case *atlas.Literal:
				// Inspected literals are quoted; literals from HCL (and
				// snapshots) are not, and keep MySQL's escapes.
				if b, ok = binaryLiteral(d.V); !ok {
					b, ok = binaryLiteral("'" + strings.ReplaceAll(d.V, "'", "''") + "'")
				}
			case *atlas.RawExpr:
				b, ok = binaryLiteral(d.X)
			}
			if !ok {
				continue
			}
			if strings.EqualFold(bt.T, "binary") {
				n := 1
				if bt.Size != nil {
					n = *bt.Size
				}
				for len(b) < n {
					b = append(b, 0)
				}
			}
			if len(b) == 0 {
				c.Default = &atlas.Literal{V: "''"}
				continue
			}
			c.Default = &atlas.Literal{V: "0x" + strings.ToUpper(hexString(b))}
		}
	}
}

// callDefault returns a raw default that calls a function (sql("uuid()"))
// in parentheses, as the server shows it: Atlas would write it unwrapped
// as a string literal ('uuid()') for a column that is no number.
func callDefault(x atlas.Expr) atlas.Expr {
	if r, ok := x.(*atlas.RawExpr); ok && functionCall.MatchString(r.X) {
		return &atlas.RawExpr{X: "(" + strings.TrimSpace(r.X) + ")"}
	}
	return x
}

var functionCall = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_]*\s*\(.*\)\s*$`)

func isNullDefault(x atlas.Expr) bool {
	switch d := x.(type) {
	case *atlas.RawExpr:
		return strings.EqualFold(strings.TrimSpace(d.X), "NULL")
	case *atlas.Literal:
		return strings.EqualFold(strings.TrimSpace(d.V), "NULL")
	}
	return false
}

// temporalDefault returns the default of a column of type t as the server
// shows it: NOW(), LOCALTIME and LOCALTIMESTAMP as CURRENT_TIMESTAMP,
// and a literal date, time or datetime in full (the server shows
// DEFAULT '2020-01-01' of a DATETIME(3) as '2020-01-01 00:00:00.000', and
// '10:00' of a TIME as '10:00:00'), quoted. Anything else is returned as
// it is.
func temporalDefault(t *atlas.TimeType, x atlas.Expr) atlas.Expr {
	switch d := x.(type) {
	case *atlas.RawExpr:
		v := strings.TrimSpace(d.X)
		for _, synonym := range []string{"now", "localtimestamp", "localtime"} {
			if len(v) > len(synonym) && strings.EqualFold(v[:len(synonym)], synonym) && v[len(synonym)] == '(' {
				return &atlas.RawExpr{X: "CURRENT_TIMESTAMP" + v[len(synonym):]}
			}
			if strings.EqualFold(v, synonym) {
				return &atlas.RawExpr{X: "CURRENT_TIMESTAMP"}
			}
		}
		if !strings.HasPrefix(strings.ToLower(v), "current_timestamp") {
			return callDefault(d)
		}
	case *atlas.Literal:
		v := d.V
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		precision := 0
		if t.Precision != nil {
			precision = *t.Precision
		}
		if full, ok := fullTemporal(strings.ToLower(t.T), v, precision); ok {
			return &atlas.Literal{V: "'" + full + "'"}
		}
	}
	return x
}

var (
	dateLiteral     = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?$`)
	timeLiteral     = regexp.MustCompile(`^(-?)(\d{1,3}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?$`)
	fractionPadding = "000000"
)

// fullTemporal writes v, a literal of a column of type typ (date,
// datetime, timestamp, time) with precision fractional digits, in full,
// as the server shows it; false when v is not a plain literal of the
// type (the server then says what it makes of it).
func fullTemporal(typ, v string, precision int) (string, bool) {
	num := func(s string) int {
		n, _ := strconv.Atoi(s)
		return n
	}
	frac := func(f string) (string, bool) {
		if len(f) > precision {
			return "", false // the server rounds: not planned around
		}
		if precision == 0 {
			return "", true
		}
		return "." + (f + fractionPadding)[:precision], true
	}
	switch typ {
	case "date", "datetime", "timestamp":
		m := dateLiteral.FindStringSubmatch(v)
		if m == nil {
			return "", false
		}
		date := fmt.Sprintf("%04d-%02d-%02d", num(m[1]), num(m[2]), num(m[3]))
		if typ == "date" {
			if m[4] != "" {
				return "", false
			}
			return date, true
		}
		f, ok := frac(m[7])
		if !ok {
			return "", false
		}
		return fmt.Sprintf("%s %02d:%02d:%02d%s", date, num(m[4]), num(m[5]), num(m[6]), f), true
	case "time":
		m := timeLiteral.FindStringSubmatch(v)
		if m == nil {
			return "", false
		}
		f, ok := frac(m[5])
		if !ok {
			return "", false
		}
		return fmt.Sprintf("%s%02d:%02d:%02d%s", m[1], num(m[2]), num(m[3]), num(m[4]), f), true
	}
	return "", false
}

// bitValue returns a BIT default (b'101', 0b101, 0x05 or a number) as a
// decimal number, as the server reads it; false for anything else.
func bitValue(v string) (string, bool) {
	v = strings.TrimSpace(v)
	var digits string
	base := 2
	switch {
	case len(v) > 3 && (v[0] == 'b' || v[0] == 'B') && v[1] == '\'' && v[len(v)-1] == '\'':
		digits = v[2 : len(v)-1]
	case len(v) > 2 && v[0] == '0' && v[1] == 'b':
		digits = v[2:]
	case len(v) > 2 && (v[:2] == "0x" || v[:2] == "0X"):
		digits, base = v[2:], 16
	default:
		digits, base = v, 10
	}
	n, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}

// binaryLiteral decodes a binary default: 0x.., x'..', or a quoted string
// with MySQL's backslash escapes.
func binaryLiteral(v string) ([]byte, bool) {
	v = strings.TrimSpace(v)
	switch {
	case len(v) > 2 && (v[:2] == "0x" || v[:2] == "0X"):
		return decodeHex(v[2:])
	case len(v) > 3 && (v[0] == 'x' || v[0] == 'X') && v[1] == '\'' && v[len(v)-1] == '\'':
		return decodeHex(v[2 : len(v)-1])
	case len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0]:
		q := v[0]
		var b []byte
		for i := 1; i < len(v)-1; i++ {
			c := v[i]
			switch {
			case c == '\\' && i+1 < len(v)-1:
				i++
				switch v[i] {
				case '0':
					b = append(b, 0)
				case 'n':
					b = append(b, '\n')
				case 'r':
					b = append(b, '\r')
				case 't':
					b = append(b, '\t')
				case 'b':
					b = append(b, '\b')
				case 'Z':
					b = append(b, 0x1a)
				default:
					b = append(b, v[i])
				}
			case c == q && i+1 < len(v)-1 && v[i+1] == q:
				b = append(b, q)
				i++
			default:
				b = append(b, c)
			}
		}
		return b, true
	}
	return nil, false
}

func decodeHex(s string) ([]byte, bool) {
	if len(s)%2 == 1 {
		s = "0" + s
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		var v byte
		for _, c := range []byte(s[2*i : 2*i+2]) {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= c - '0'
			case c >= 'a' && c <= 'f':
				v |= c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v |= c - 'A' + 10
			default:
				return nil, false
			}
		}
		out[i] = v
	}
	return out, true
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// memoryEngine reports whether a table uses the MEMORY engine, whose
// indexes are HASH unless they say USING BTREE.
func memoryEngine(t *atlas.Table) bool {
	var e mysql.Engine
	return hasAttrInto(t.Attrs, &e) && (strings.EqualFold(e.V, "MEMORY") || strings.EqualFold(e.V, "HEAP"))
}

// spellIndexTypes rewrites the index types of a statement that creates or
// alters a MEMORY table: Atlas's planner writes USING HASH and leaves
// BTREE implicit, the defaults of InnoDB; on MEMORY, HASH is the default
// and a BTREE index must say so, else the server makes it a HASH one.
func spellIndexTypes(sql string, src atlas.Change) string {
	var t *atlas.Table
	switch c := src.(type) {
	case *atlas.AddTable:
		t = c.T
	case *atlas.ModifyTable:
		t = c.T
	}
	if t == nil || !memoryEngine(t) {
		return sql
	}
	fix := func(head string, idx *atlas.Index) {
		if strings.EqualFold(indexTypeOf(idx), mysql.IndexTypeHash) {
			sql = strings.ReplaceAll(sql, head+" USING HASH (", head+" (")
		} else {
			sql = strings.ReplaceAll(sql, head+" (", head+" USING BTREE (")
		}
	}
	if t.PrimaryKey != nil {
		fix("PRIMARY KEY", t.PrimaryKey)
	}
	for _, idx := range t.Indexes {
		fix("INDEX "+quoteIdent(idx.Name), idx)
	}
	return sql
}
