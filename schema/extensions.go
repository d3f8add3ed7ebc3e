package schema

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Layer files are Atlas HCL; landlord reads a few attributes of its own
// beside Atlas's, for what the server keeps and Atlas's model does not
// (README, "Attributes"):
//
//	table "t" {
//	  options   = { row_format = "COMPRESSED", key_block_size = 8 }
//	  partition = "PARTITION BY HASH (`id`) PARTITIONS 4"
//	  column "c" {
//	    type      = int(10)          # display width kept, as float(7,3)
//	    type      = sql("int(10) unsigned zerofill")   # any spelling
//	    invisible = true
//	  }
//	}
//
// Atlas's evaluator ignores attributes it does not know, so a typo would
// be lost without a word: every attribute of a table, column, index,
// primary key, foreign key and check block is checked against the names
// Atlas and landlord read.

// knownAttrs are the attributes each block may hold.
var knownAttrs = map[string]map[string]bool{
	"table": set("schema", "comment", "charset", "collate", "collation", "engine", "auto_increment", "options", "partition"),
	"column": set("type", "null", "default", "comment", "charset", "collate", "collation", "unsigned", "auto_increment",
		"on_update", "invisible", "as"),
	"index":       set("columns", "unique", "type", "parser", "comment", "on"),
	"primary_key": set("columns", "type", "comment", "on"),
	"foreign_key": set("columns", "ref_columns", "on_update", "on_delete"),
	"check":       set("expr", "enforced", "comment"),
	"on":          set("column", "expr", "desc", "prefix", "collate"),
	"as":          set("expr", "type"),
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// managedOptionNames are the table options a layer may set in options.
var managedOptionNames = set("ROW_FORMAT", "KEY_BLOCK_SIZE", "CHECKSUM", "DELAY_KEY_WRITE", "PAGE_COMPRESSED",
	"PAGE_COMPRESSION_LEVEL", "STATS_PERSISTENT", "STATS_AUTO_RECALC", "STATS_SAMPLE_PAGES", "PACK_KEYS", "MIN_ROWS",
	"MAX_ROWS", "AVG_ROW_LENGTH", "TRANSACTIONAL", "ENCRYPTED", "ENCRYPTION_KEY_ID", "INSERT_METHOD", "COMPRESSION",
	"ENCRYPTION", "AUTOEXTEND_SIZE")

var optionValueRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// extensions are landlord's own attributes of a composition.
type extensions struct {
	options   map[string]map[string]string // table -> option -> value
	partition map[string]string            // table -> clause
	spelling  map[objectKey]string         // column -> type spelling
	invisible map[objectKey]bool           // column
}

func newExtensions() *extensions {
	return &extensions{options: map[string]map[string]string{}, partition: map[string]string{},
		spelling: map[objectKey]string{}, invisible: map[objectKey]bool{}}
}

// readTable reads landlord's attributes of a table block of file path
// (src its text) and checks every attribute name; errors are returned.
func (x *extensions) readTable(path string, src []byte, b *hclsyntax.Block) SourceErrors {
	table := b.Labels[0]
	errs := checkAttrs(path, b)
	if a, ok := b.Body.Attributes["options"]; ok {
		v, diags := a.Expr.Value(nil)
		switch {
		case diags.HasErrors():
			errs = append(errs, diagErrors(diags)...)
		case !v.Type().IsObjectType() && !v.Type().IsMapType():
			errs = append(errs, attrError(path, a, "options must be an object: options = { row_format = \"COMPRESSED\" }"))
		default:
			opts := map[string]string{}
			for k, val := range v.AsValueMap() {
				key := strings.ToUpper(k)
				var s string
				switch {
				case val.Type() == cty.String:
					s = val.AsString()
				case val.Type() == cty.Number:
					s = val.AsBigFloat().Text('f', -1)
				case val.Type() == cty.Bool:
					s = "0"
					if val.True() {
						s = "1"
					}
				}
				switch {
				case !managedOptionNames[key]:
					errs = append(errs, attrError(path, a, fmt.Sprintf("unknown table option %q: landlord manages %s", k, strings.Join(sortedNames(managedOptionNames), ", "))))
				case !optionValueRe.MatchString(s):
					errs = append(errs, attrError(path, a, fmt.Sprintf("table option %s: value %q is not a word or number", key, s)))
				default:
					opts[key] = strings.ToUpper(s)
				}
			}
			x.options[table] = opts
		}
	}
	if a, ok := b.Body.Attributes["partition"]; ok {
		v, diags := a.Expr.Value(nil)
		switch {
		case diags.HasErrors():
			errs = append(errs, diagErrors(diags)...)
		case v.Type() != cty.String:
			errs = append(errs, attrError(path, a, "partition must be a string: partition = \"PARTITION BY HASH (id) PARTITIONS 4\""))
		default:
			p := strings.Join(strings.Fields(v.AsString()), " ")
			if why := checkClause(p); why != "" {
				errs = append(errs, attrError(path, a, "partition: "+why))
			} else if why := checkPartition(p); why != "" {
				errs = append(errs, attrError(path, a, "partition: "+why))
			} else {
				x.partition[table] = p
			}
		}
	}
	for _, nb := range b.Body.Blocks {
		errs = append(errs, checkAttrs(path, nb)...)
		for _, inner := range nb.Body.Blocks {
			errs = append(errs, checkAttrs(path, inner)...)
		}
		if nb.Type != "column" || len(nb.Labels) != 1 {
			continue
		}
		key := objectKey{Kind: "column", Table: table, Name: nb.Labels[0]}
		if a, ok := nb.Body.Attributes["invisible"]; ok {
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() || v.Type() != cty.Bool {
				errs = append(errs, attrError(path, a, "invisible must be true or false"))
			} else if v.True() {
				x.invisible[key] = true
			}
		}
		if a, ok := nb.Body.Attributes["type"]; ok {
			if s, err := typeSpellingOf(a, src, nb); err != nil {
				errs = append(errs, attrError(path, a, err.Error()))
			} else if s != "" {
				x.spelling[key] = s
			}
		}
	}
	return errs
}

// typeSpellingOf returns the spelling of a column type where Atlas's
// model would lose some of it: sql("...") types, integers with a display
// width, float and double with a scale. "" means Atlas's model is exact.
func typeSpellingOf(a *hclsyntax.Attribute, src []byte, col *hclsyntax.Block) (string, error) {
	fc, ok := a.Expr.(*hclsyntax.FunctionCallExpr)
	if !ok {
		return "", nil
	}
	unsigned := false
	if u, ok := col.Body.Attributes["unsigned"]; ok {
		if v, diags := u.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.Bool && v.True() {
			unsigned = true
		}
	}
	name := strings.ToLower(fc.Name)
	switch name {
	case "sql":
		if len(fc.Args) != 1 {
			return "", fmt.Errorf("sql() takes one string")
		}
		v, diags := fc.Args[0].Value(nil)
		if diags.HasErrors() || v.Type() != cty.String {
			return "", fmt.Errorf("sql() takes one string")
		}
		s := strings.ToLower(strings.Join(strings.Fields(v.AsString()), " "))
		if why := checkClause(s); why != "" {
			return "", fmt.Errorf("type: %s", why)
		}
		spelled, err := sqlTypeSpelling(s)
		if err == nil && spelled != s {
			// Atlas evaluates the layer too, and knows no alias: it
			// reads the type the alias stands for.
			fc.Args[0] = &hclsyntax.LiteralValueExpr{Val: cty.StringVal(spelled), SrcRange: fc.Args[0].Range()}
		}
		return spelled, err
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "float", "double", "real":
		r := fc.Range()
		s := strings.ToLower(strings.Join(strings.Fields(string(src[r.Start.Byte:r.End.Byte])), ""))
		if unsigned {
			s += " unsigned"
		}
		return s, nil
	}
	return "", nil
}

// typeAliases are the names MySQL and MariaDB take for other types (the
// server stores the type they stand for), longest first where one is the
// start of another.
var typeAliases = []struct{ alias, name string }{
	{"double precision", "double"},
	{"character varying", "varchar"},
	{"long varbinary", "mediumblob"},
	{"long varchar", "mediumtext"},
	{"character", "char"},
	{"middleint", "mediumint"},
	{"integer", "int"},
	{"float4", "float"},
	{"float8", "double"},
	{"fixed", "decimal"},
	{"long", "mediumtext"},
	{"int1", "tinyint"},
	{"int2", "smallint"},
	{"int3", "mediumint"},
	{"int4", "int"},
	{"int8", "bigint"},
	{"dec", "decimal"},
}

// sqlTypeSpelling returns the spelling of an sql("...") column type (lower
// case, single spaces) with an alias (integer, dec, double precision, ...)
// written as the type the server stores, or why it is no type landlord can
// plan: a name neither Atlas nor the server knows would fail only when a
// statement runs, and a spelling the server stores otherwise (varchar(10)
// binary, nvarchar) would be planned again on every reconcile.
func sqlTypeSpelling(s string) (string, error) {
	for _, a := range typeAliases {
		if rest, ok := strings.CutPrefix(s, a.alias); ok && (rest == "" || rest[0] == '(' || rest[0] == ' ') {
			s = a.name + rest
			break
		}
	}
	base := strings.TrimSuffix(strings.TrimSuffix(s, " compressed"), " invisible")
	word := base
	if i := strings.IndexAny(word, "( "); i >= 0 {
		word = word[:i]
	}
	// A type and its modifiers, nothing else: a key, a default, a
	// reference or a generated column have attributes of their own.
	for _, w := range strings.Fields(outsideParens(base))[1:] {
		switch w {
		case "unsigned", "signed", "zerofill", "binary", "byte":
		default:
			return "", fmt.Errorf("type %q: %q is no part of a type (keys, defaults, references and generated columns have attributes of their own)", s, w)
		}
	}
	switch word {
	case "national", "nchar", "nvarchar", "nationalchar":
		return "", fmt.Errorf("type %q: write the type without national, with charset = \"utf8mb3\" (what the server stores)", s)
	}
	t, err := mysql.ParseType(base)
	if err == nil {
		if _, unknown := t.(*atlas.UnsupportedType); unknown {
			err = errors.New("not a type of MySQL or MariaDB")
		}
	}
	if err != nil {
		return "", fmt.Errorf("type %q: %v", s, err)
	}
	if _, ok := t.(*atlas.StringType); ok && (strings.Contains(base, " binary") || strings.Contains(base, " byte")) {
		return "", fmt.Errorf("type %q: write the type without binary, with a binary collation (collate = \"utf8mb4_bin\"), as the server stores it", s)
	}
	return s, nil
}

// maxPartitions bounds the partitions (times subpartitions) of a table: a
// file of each per partition, for every tenant and the scratch database.
const maxPartitions = 1024

// partitionEngines are the engines a partition may name: the server's own
// storage, no engine that reaches other servers or files (Spider,
// CONNECT, FEDERATED).
var partitionEngines = map[string]bool{"INNODB": true, "MYISAM": true, "ARIA": true, "MEMORY": true, "HEAP": true}

// checkPartition returns why a partitioning clause may not reach a
// statement, or "": it may not place files (DATA DIRECTORY, INDEX
// DIRECTORY, TABLESPACE), name an engine beyond the server's own storage,
// hold a query, or make more than maxPartitions partitions.
func checkPartition(p string) string {
	var words []string
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := skipQuoted(p, i)
			words = append(words, "'")
			i = j - 1
		case isWordByte(c):
			j := i
			for j < len(p) && isWordByte(p[j]) {
				j++
			}
			words = append(words, strings.ToUpper(p[i:j]))
			i = j - 1
		}
	}
	defs, count, sub := 0, 0, 1
	for i, w := range words {
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		switch w {
		case "DIRECTORY", "TABLESPACE", "NODEGROUP", "CONNECTION":
			return fmt.Sprintf("%s is not allowed: partitions stay where the server keeps its tables", w)
		case "SELECT":
			return "a query is not allowed"
		case "ENGINE":
			if !partitionEngines[next] {
				return fmt.Sprintf("engine %s is not allowed for a partition (InnoDB, MyISAM, Aria or MEMORY)", strings.Trim(next, "'"))
			}
		case "PARTITIONS", "SUBPARTITIONS":
			n, err := strconv.Atoi(next)
			if err != nil || n < 1 || n > maxPartitions {
				return fmt.Sprintf("%s %s: 1 to %d", w, next, maxPartitions)
			}
			if w == "PARTITIONS" {
				count = n
			} else {
				sub = n
			}
		case "PARTITION":
			if i == 0 || words[i-1] != "BY" && words[i-1] != "SUB" {
				if next != "BY" {
					defs++
				}
			}
		}
	}
	if n := max(defs, count, 1) * sub; n > maxPartitions {
		return fmt.Sprintf("%d partitions: at most %d", n, maxPartitions)
	}
	return ""
}

// outsideParens returns s without its parenthesized parts (quotes
// respected): "enum('a b') unsigned" is "enum unsigned".
func outsideParens(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(s, i) - 1
		case c == '(':
			depth++
			b.WriteByte(' ')
		case c == ')':
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// checkClause returns why an SQL fragment from a layer file may not reach
// a statement, or "": it may not end the statement, comment out the rest
// or leave a quote or parenthesis open.
func checkClause(s string) string {
	for _, bad := range []string{";", "--", "/*", "*/", "#"} {
		if strings.Contains(s, bad) {
			return fmt.Sprintf("%q is not allowed", bad)
		}
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'', '"', '`':
			j := skipQuoted(s, i)
			if j > len(s) || j == len(s) && (j-1 == i || s[j-1] != s[i]) {
				return "a quote is not closed"
			}
			i = j - 1
		case '(':
			depth++
		case ')':
			if depth--; depth < 0 {
				return "a parenthesis closes that was not opened"
			}
		}
	}
	if depth != 0 {
		return "a parenthesis is not closed"
	}
	return ""
}

// checkAttrs checks the attribute names of a block.
func checkAttrs(path string, b *hclsyntax.Block) SourceErrors {
	known, ok := knownAttrs[b.Type]
	if !ok {
		return nil
	}
	var errs SourceErrors
	for _, a := range sortedAttrs(b.Body.Attributes) {
		if !known[a.Name] {
			errs = append(errs, attrError(path, a, fmt.Sprintf("unknown attribute %q in a %s block (known: %s)", a.Name, b.Type, strings.Join(sortedNames(known), ", "))))
		}
	}
	return errs
}

func attrError(path string, a *hclsyntax.Attribute, msg string) *SourceError {
	return &SourceError{File: path, Line: a.SrcRange.Start.Line, Column: a.SrcRange.Start.Column, Msg: msg}
}

func sortedNames(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// apply sets the extensions on the evaluated schema: spelled column types,
// table options and partitioning.
func (x *extensions) apply(s *atlas.Schema, origin func(objectKey) Origin) error {
	var errs SourceErrors
	for _, t := range s.Tables {
		if o := x.options[t.Name]; len(o) > 0 {
			t.Attrs = append(t.Attrs, &tableOptions{V: o})
		}
		if p := x.partition[t.Name]; p != "" {
			t.Attrs = append(t.Attrs, &partitioning{V: p})
		}
		for _, c := range t.Columns {
			k := objectKey{Kind: "column", Table: t.Name, Name: c.Name}
			spelling, invisible := x.spelling[k], x.invisible[k]
			if spelling == "" && !invisible {
				continue
			}
			if spelling == "" {
				f, err := mysql.FormatType(c.Type.Type)
				if err != nil {
					continue
				}
				spelling = f
			}
			typ, err := spelledType(spelling, invisible)
			if err == nil && typ == nil {
				if _, alias := c.Type.Type.(*atlas.UnsupportedType); alias {
					// An alias (sql("integer")): Atlas's model of the
					// type it stands for is exact.
					typ, err = mysql.ParseType(spelling)
				}
			}
			if err != nil {
				o := origin(k)
				errs = append(errs, &SourceError{File: o.File, Line: o.Line, Msg: fmt.Sprintf("column %q of table %q: %v", c.Name, t.Name, err)})
				continue
			}
			if typ == nil && invisible {
				o := origin(k)
				errs = append(errs, &SourceError{File: o.File, Line: o.Line, Msg: fmt.Sprintf("column %q of table %q: landlord cannot make an %s column invisible", c.Name, t.Name, spelling)})
				continue
			}
			if typ != nil {
				c.Type = &atlas.ColumnType{Type: typ, Raw: c.Type.Raw, Null: c.Type.Null}
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
