package schema

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Nothing in a layer file is trusted: every name that reaches a statement
// must be an identifier by landlord's rule, and every string that reaches
// one a literal that the engines read back as written (docs/repository.md,
// "Names and literals").
//
// The rule for identifiers (schemas, tables, columns, indexes, foreign
// keys, checks): 1 to 64 characters, ASCII letters, digits, underscores
// and dollar signs, with single dashes between them (real schemas have
// columns such as reply-to and tables such as 2fa_codes), not starting
// with a dash or a dollar sign and not a number (1, 1e5: the server and
// HCL would read them as one, where a reference is written unquoted). MySQL and
// MariaDB allow far more inside backticks; a tenant platform needs none of
// it, and without backticks, quotes, spaces, NUL or comment markers no
// name can end its quoting or the statement.

// MaxIdentifier is the longest identifier: MySQL's and MariaDB's limit.
const MaxIdentifier = 64

var identPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_$]*(-[A-Za-z0-9_$]+)*$`)

// CheckIdentifier returns why name is not an identifier by landlord's rule,
// or "".
func CheckIdentifier(name string) string {
	switch {
	case name == "":
		return "an empty name"
	case len(name) > MaxIdentifier:
		return fmt.Sprintf("%d characters, more than %d", len(name), MaxIdentifier)
	case !identPattern.MatchString(name):
		return "a name is 1 to 64 ASCII letters, digits, _ and $ (single dashes between them), starting with a letter, a digit or _"
	case name[0] >= '0' && name[0] <= '9' && isNumber(name):
		return "a name may not be a number"
	}
	return ""
}

// isNumber reports whether s reads as a number, as a name starting with a
// digit may not: 12, 1e5, 1e-5 (within the dashes the rule allows).
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// checkLiteral returns why a string may not be written as an SQL string
// literal (a comment, a string default), or "". Atlas writes literals
// with strconv.Quote on MySQL and MariaDB (read back as written under
// landlord's sql_mode) and doubles single quotes on SQLite, unless the
// string looks quoted already: then it is written verbatim. So a literal
// may hold any printable UTF-8 of the Basic Multilingual Plane (MySQL and
// MariaDB store comments and defaults as utf8mb3, and turn the rest into
// question marks), and may not start and end with the same quote
// character.
func checkLiteral(s string) string {
	if why := printable(s); why != "" {
		return why
	}
	for _, r := range s {
		if r > 0xFFFF {
			return fmt.Sprintf("the character %U is beyond what MySQL and MariaDB keep in comments and defaults (utf8mb3)", r)
		}
	}
	switch {
	case len(s) >= 2 && (s[0] == '\'' || s[0] == '"' || s[0] == '`') && s[len(s)-1] == s[0]:
		return "a string may not start and end with a quote (landlord quotes it)"
	}
	return ""
}

// checkEnumValue returns why an enum or set value may not reach a
// statement, or "": Atlas writes the values between single quotes without
// escaping them, so no quote or backslash, and no comma (the server
// splits set values on it).
func checkEnumValue(s string) string {
	if why := printable(s); why != "" {
		return why
	}
	if strings.ContainsAny(s, "'\"`\\,") {
		return "an enum or set value may not hold quotes, backslashes or commas"
	}
	return ""
}

// checkExpr returns why a raw SQL expression of a layer (a check, a
// default or ON UPDATE in sql(""), a generated column, an index
// expression) may not reach a statement, or "": it must be one
// expression, so no statement end, no comment, every quote and
// parenthesis closed, no comma outside parentheses, no backslash (SQLite
// does not read it as an escape), and every backquoted name an
// identifier.
func checkExpr(s string) string {
	if why := printable(s); why != "" {
		return why
	}
	if strings.Contains(s, `\`) {
		return "a backslash is not allowed in an expression"
	}
	if why := checkClause(s); why != "" {
		return why
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			i = skipQuoted(s, i) - 1
		case '`':
			j := skipQuoted(s, i)
			if why := CheckIdentifier(s[i+1 : j-1]); why != "" {
				return fmt.Sprintf("name %q: %s", s[i+1:j-1], why)
			}
			i = j - 1
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				return "a comma outside parentheses is not allowed"
			}
		}
	}
	return ""
}

// printable returns why s is not printable UTF-8 text, or "".
func printable(s string) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	for _, r := range s {
		if !strconv.IsPrint(r) && r != '\t' && r != '\n' {
			return fmt.Sprintf("the character %U is not allowed", r)
		}
	}
	return ""
}

var (
	wordPattern   = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	actionPattern = regexp.MustCompile(`^[A-Za-z_ ]{1,20}$`)
)

// checkNames checks the labels and the literal attributes of a schema or
// table block of the layer file path and its nested blocks: every name an
// identifier, every string that reaches a statement a literal or
// expression that cannot leave its place.
func checkNames(path string, b *hclsyntax.Block) SourceErrors {
	var errs SourceErrors
	at := func(r hcl.Range, format string, args ...any) {
		errs = append(errs, &SourceError{File: path, Line: r.Start.Line, Column: r.Start.Column, Msg: fmt.Sprintf(format, args...)})
	}
	labels := func(b *hclsyntax.Block) {
		for i, l := range b.Labels {
			if why := CheckIdentifier(l); why != "" {
				at(b.LabelRanges[i], "%s name %q: %s", strings.ReplaceAll(b.Type, "_", " "), truncate(l), why)
			}
		}
	}
	// str returns the string value of a literal attribute, and false when
	// it is not one.
	str := func(a *hclsyntax.Attribute) (string, bool) {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
			return "", false
		}
		return v.AsString(), true
	}
	literal := func(a *hclsyntax.Attribute) {
		v, diags := a.Expr.Value(nil)
		switch {
		case diags.HasErrors() || !v.IsKnown():
			at(a.SrcRange, "%s must be a literal string", a.Name)
		case v.Type() == cty.String && !v.IsNull():
			if why := checkLiteral(v.AsString()); why != "" {
				at(a.SrcRange, "%s %q: %s", a.Name, truncate(v.AsString()), why)
			}
		}
	}
	word := func(a *hclsyntax.Attribute) {
		if s, ok := str(a); ok && !wordPattern.MatchString(s) {
			at(a.SrcRange, "%s %q: a name of letters, digits and _", a.Name, truncate(s))
		}
	}
	// expr checks a raw SQL expression: a string, or sql("...").
	expr := func(a *hclsyntax.Attribute) {
		x := a.Expr
		if fc, ok := x.(*hclsyntax.FunctionCallExpr); ok && strings.EqualFold(fc.Name, "sql") && len(fc.Args) == 1 {
			x = fc.Args[0]
		}
		v, diags := x.Value(nil)
		if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
			return
		}
		if why := checkExpr(v.AsString()); why != "" {
			at(a.SrcRange, "%s %q: %s", a.Name, truncate(v.AsString()), why)
		}
	}
	attrs := func(b *hclsyntax.Block) {
		for _, a := range sortedAttrs(b.Body.Attributes) {
			switch a.Name {
			case "comment":
				literal(a)
			case "charset", "collate", "collation", "engine", "parser":
				word(a)
			case "expr", "on_update", "as":
				expr(a)
			case "default":
				if fc, ok := a.Expr.(*hclsyntax.FunctionCallExpr); ok && strings.EqualFold(fc.Name, "sql") {
					expr(a)
				} else {
					literal(a)
				}
			case "type":
				if b.Type == "index" || b.Type == "primary_key" {
					// BTREE, HASH, FULLTEXT or SPATIAL, as a word or a
					// string: Atlas would leave out any other.
					name := ""
					switch x := a.Expr.(type) {
					case *hclsyntax.ScopeTraversalExpr:
						name = x.Traversal.RootName()
					default:
						name, _ = str(a)
					}
					switch strings.ToUpper(name) {
					case "BTREE", "HASH", "FULLTEXT", "SPATIAL":
					default:
						at(a.Expr.Range(), "%s type %q: BTREE, HASH, FULLTEXT or SPATIAL", strings.ReplaceAll(b.Type, "_", " "), truncate(name))
					}
					continue
				}
				fc, ok := a.Expr.(*hclsyntax.FunctionCallExpr)
				if !ok {
					continue
				}
				switch strings.ToLower(fc.Name) {
				case "enum", "set":
					for _, arg := range fc.Args {
						v, diags := arg.Value(nil)
						if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
							at(arg.Range(), "%s values must be literal strings", fc.Name)
							continue
						}
						if why := checkEnumValue(v.AsString()); why != "" {
							at(arg.Range(), "%s value %q: %s", fc.Name, truncate(v.AsString()), why)
						}
					}
				case "sql":
					expr(a)
				}
			case "on_delete":
				if s, ok := str(a); ok && !actionPattern.MatchString(s) {
					at(a.SrcRange, "%s %q: a referential action such as CASCADE", a.Name, truncate(s))
				}
			}
		}
	}
	labels(b)
	attrs(b)
	for _, nb := range b.Body.Blocks {
		labels(nb)
		attrs(nb)
		for _, inner := range nb.Body.Blocks {
			attrs(inner)
		}
	}
	return errs
}

// truncate shortens a hostile name or value for a message.
func truncate(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:77] + "..."
}

var (
	numberPattern = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	hexPattern    = regexp.MustCompile(`^0[xX][0-9A-Fa-f]+$`)
	bitPattern    = regexp.MustCompile(`^[bB]'[01]*'$`)
)

// checkEvaluated checks the evaluated schema of a composition, after
// checkNames has checked its files: every name an identifier and every
// literal and expression safe, also where a value's meaning depends on
// its column's type (a number default is written unquoted). Errors name
// the object's file and line, and the attribute's column where the
// composition knows it (at).
func checkEvaluated(s *atlas.Schema, origin func(objectKey) Origin, at func(objectKey, string) (hcl.Pos, bool)) SourceErrors {
	var errs SourceErrors
	fail := func(k objectKey, attr, format string, args ...any) {
		o := origin(k)
		e := &SourceError{File: o.File, Line: o.Line, Msg: fmt.Sprintf("%s: %s", k, fmt.Sprintf(format, args...))}
		if p, ok := at(k, attr); ok {
			e.Line, e.Column = p.Line, p.Column
		}
		errs = append(errs, e)
	}
	name := func(k objectKey, n string) {
		if why := CheckIdentifier(n); why != "" {
			fail(k, "", "name %q: %s", truncate(n), why)
		}
	}
	comment := func(k objectKey, attrs []atlas.Attr) {
		for _, a := range attrs {
			switch a := a.(type) {
			case *atlas.Comment:
				if why := checkLiteral(a.Text); why != "" {
					fail(k, "comment", "comment %q: %s", truncate(a.Text), why)
				}
			case *atlas.Charset:
				if !wordPattern.MatchString(a.V) {
					fail(k, "charset", "charset %q: a name of letters, digits and _", truncate(a.V))
				}
			case *atlas.Collation:
				if !wordPattern.MatchString(a.V) {
					fail(k, "collate", "collation %q: a name of letters, digits and _", truncate(a.V))
				}
			case *atlas.Check:
				if why := checkExpr(a.Expr); why != "" {
					fail(objectKey{Kind: "check", Table: k.Table, Name: a.Name}, "expr", "expression %q: %s", truncate(a.Expr), why)
				}
			case *atlas.GeneratedExpr:
				if why := checkExpr(a.Expr); why != "" {
					fail(k, "as", "expression %q: %s", truncate(a.Expr), why)
				}
			}
		}
	}
	name(objectKey{Kind: "table"}, s.Name)
	comment(objectKey{Kind: "table"}, s.Attrs)
	for _, t := range s.Tables {
		tk := objectKey{Kind: "table", Table: t.Name}
		name(tk, t.Name)
		comment(tk, t.Attrs)
		// The server compares column and index names without case: two
		// that differ only in it are one, and PRIMARY is the primary
		// key's.
		columns, indexes := map[string]string{}, map[string]string{}
		for _, c := range t.Columns {
			k := objectKey{Kind: "column", Table: t.Name, Name: c.Name}
			if other, ok := columns[strings.ToLower(c.Name)]; ok {
				fail(k, "", "the server takes it for column %q of the same table (names differ only in case)", other)
			}
			columns[strings.ToLower(c.Name)] = c.Name
		}
		for _, idx := range t.Indexes {
			k := objectKey{Kind: "index", Table: t.Name, Name: idx.Name}
			if other, ok := indexes[strings.ToLower(idx.Name)]; ok {
				fail(k, "", "the server takes it for index %q of the same table (names differ only in case)", other)
			}
			if strings.EqualFold(idx.Name, "primary") {
				fail(k, "", "PRIMARY is the name of the primary key: an index needs another")
			}
			indexes[strings.ToLower(idx.Name)] = idx.Name
		}
		for _, c := range t.Columns {
			k := objectKey{Kind: "column", Table: t.Name, Name: c.Name}
			name(k, c.Name)
			comment(k, c.Attrs)
			if c.Type != nil {
				var values []string
				switch ct := c.Type.Type.(type) {
				case *atlas.EnumType:
					values = ct.Values
				case *mysql.SetType:
					values = ct.Values
				}
				for _, v := range values {
					if why := checkEnumValue(v); why != "" {
						fail(k, "type", "value %q: %s", truncate(v), why)
					}
				}
			}
			switch d := c.Default.(type) {
			case *atlas.Literal:
				if why := checkDefault(d.V, c.Type); why != "" {
					fail(k, "default", "default %q: %s", truncate(d.V), why)
				}
			case *atlas.RawExpr:
				if why := checkExpr(d.X); why != "" {
					fail(k, "default", "default %q: %s", truncate(d.X), why)
				}
			}
			for _, a := range c.Attrs {
				if u, ok := a.(*mysql.OnUpdate); ok {
					if why := checkExpr(u.A); why != "" {
						fail(k, "on_update", "on_update %q: %s", truncate(u.A), why)
					}
				}
			}
		}
		for _, idx := range t.Indexes {
			k := objectKey{Kind: "index", Table: t.Name, Name: idx.Name}
			name(k, idx.Name)
			comment(k, idx.Attrs)
			for _, p := range idx.Parts {
				if p.X != nil {
					if x, ok := p.X.(*atlas.RawExpr); ok {
						if why := checkExpr(x.X); why != "" {
							fail(k, "", "expression %q: %s", truncate(x.X), why)
						}
					}
				}
			}
		}
		for _, fk := range t.ForeignKeys {
			k := objectKey{Kind: "foreign_key", Table: t.Name, Name: fk.Symbol}
			name(k, fk.Symbol)
		}
		for _, a := range t.Attrs {
			if ch, ok := a.(*atlas.Check); ok && ch.Name != "" {
				name(objectKey{Kind: "check", Table: t.Name, Name: ch.Name}, ch.Name)
			}
		}
	}
	return errs
}

// checkDefault returns why a literal default may not reach a statement:
// Atlas writes it unquoted for number types and when it starts with 0x,
// quoted otherwise.
func checkDefault(v string, ct *atlas.ColumnType) string {
	numeric := false
	if ct != nil {
		switch ct.Type.(type) {
		case *mysql.BitType, *atlas.BoolType, *atlas.IntegerType, *atlas.DecimalType, *atlas.FloatType:
			numeric = true
		}
	}
	switch {
	case numeric:
		l := strings.ToLower(v)
		if !numberPattern.MatchString(v) && !hexPattern.MatchString(v) && !bitPattern.MatchString(v) && l != "true" && l != "false" {
			return "a number column's default must be a number"
		}
		return ""
	case len(v) > 2 && strings.EqualFold(v[:2], "0x"):
		if !hexPattern.MatchString(v) {
			return "a default starting with 0x must be a hexadecimal number"
		}
		return ""
	}
	if why := checkLiteral(v); why != "" {
		return why
	}
	binary := false
	if ct != nil {
		_, binary = plainType(ct.Type).(*atlas.BinaryType)
	}
	// Binary defaults keep MySQL's escapes and are written as hex
	// (normalizeDefaults). Other defaults are shown by the server with
	// backslash escapes that would never compare equal.
	if !binary && strings.ContainsAny(v, "\\\n\t\r") {
		return "a string default may not hold a backslash, tab or line break"
	}
	return ""
}
