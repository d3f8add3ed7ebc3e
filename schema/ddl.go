package schema

import (
	"fmt"
	"sort"
	"strings"
)

// TableDDL is one table as the server shows it in SHOW CREATE TABLE, split
// into its parts: every attribute the server keeps is in it, also those
// that Atlas's model has no place for (display widths, zerofill,
// float(M,D), invisible columns, ignored indexes, table options,
// partitioning). It is the second line of defence of the comparisons:
// verify compares the live table with the desired one applied to a
// scratch database, drift compares it with the baseline snapshot's.
//
// ParseTableDDL builds it from the statement text alone, so any source of
// that text (a bulk read of information_schema, a stored snapshot) can
// reuse the comparison; Canonical is its stable text form.
type TableDDL struct {
	Name string `json:"name"`
	// Columns in the table's order.
	Columns []Element `json:"columns"`
	// Keys: the primary key (named PRIMARY) and the indexes.
	Keys []Element `json:"keys,omitempty"`
	// Constraints: foreign keys and checks.
	Constraints []Element `json:"constraints,omitempty"`
	// Options are the table options by upper-case name (ENGINE, CHARSET,
	// COLLATE, ROW_FORMAT, COMMENT, ...), values as the server writes
	// them. The AUTO_INCREMENT counter is data and left out.
	Options map[string]string `json:"options,omitempty"`
	// Partition is the partitioning clause, or "".
	Partition string `json:"partition,omitempty"`
}

// Element is one line of a CREATE TABLE: a column, key or constraint, with
// its definition split into attributes.
type Element struct {
	// Kind is KindColumn, KindPrimaryKey, KindIndex, KindForeignKey or
	// KindCheck.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Def is the definition as the server writes it, without the name.
	Def string `json:"def"`
	// Attrs are the attributes of the definition by name (see the
	// README's table of attributes); absent means not set.
	Attrs map[string]string `json:"attrs,omitempty"`
}

// ParseTableDDL parses the text of SHOW CREATE TABLE (MySQL 8 or MariaDB).
func ParseTableDDL(stmt string) (*TableDDL, error) {
	stmt = strings.ReplaceAll(stmt, "\r\n", "\n")
	head, rest, ok := strings.Cut(stmt, "\n")
	if !ok || !strings.HasPrefix(head, "CREATE TABLE ") || !strings.HasSuffix(head, " (") {
		return nil, fmt.Errorf("not a SHOW CREATE TABLE statement: %.60q", stmt)
	}
	name, _, err := readIdent(strings.TrimSuffix(strings.TrimPrefix(head, "CREATE TABLE "), " ("))
	if err != nil {
		return nil, fmt.Errorf("table name: %w", err)
	}
	t := &TableDDL{Name: name, Options: map[string]string{}}
	lines := strings.Split(rest, "\n")
	i := 0
	for ; i < len(lines) && strings.HasPrefix(lines[i], "  "); i++ {
		line := strings.TrimSuffix(strings.TrimPrefix(lines[i], "  "), ",")
		e, err := parseElement(line)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		switch e.Kind {
		case KindColumn:
			t.Columns = append(t.Columns, e)
		case KindPrimaryKey, KindIndex:
			t.Keys = append(t.Keys, e)
		default:
			t.Constraints = append(t.Constraints, e)
		}
	}
	if i == len(lines) || !strings.HasPrefix(lines[i], ")") {
		return nil, fmt.Errorf("table %s: no end of the column list", name)
	}
	if err := parseOptions(strings.TrimPrefix(lines[i], ")"), t.Options); err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	delete(t.Options, "AUTO_INCREMENT")
	// An index type is compared as what the index is: the engine's
	// default when none is written (HASH on MEMORY, BTREE elsewhere), and
	// BTREE for a non-unique HASH index of InnoDB, which has none.
	memory := strings.EqualFold(t.Options["ENGINE"], "MEMORY") || strings.EqualFold(t.Options["ENGINE"], "HEAP")
	for _, k := range t.Keys {
		switch u := k.Attrs["using"]; {
		case k.Attrs["kind"] == "fulltext" || k.Attrs["kind"] == "spatial":
		case u == "" && memory:
			k.Attrs["using"] = "HASH"
		case u == "":
			k.Attrs["using"] = "BTREE"
		case u == "HASH" && !memory && k.Attrs["kind"] != "unique" && strings.EqualFold(t.Options["ENGINE"], "InnoDB"):
			k.Attrs["using"] = "BTREE"
		}
	}
	part := strings.TrimSpace(strings.Join(lines[i+1:], "\n"))
	if p, ok := strings.CutPrefix(part, "/*!50100 "); ok {
		part = strings.TrimSpace(strings.TrimSuffix(p, "*/"))
	}
	t.Partition = strings.Join(strings.Fields(part), " ")
	return t, nil
}

// Canonical returns the table as stable text: elements sorted by kind and
// name (the column order is not part of it), options sorted, partitioning
// last. Two tables with the same canonical text are equal in everything
// the server shows but their column order and AUTO_INCREMENT counter.
func (t *TableDDL) Canonical() string {
	var lines []string
	for _, es := range [][]Element{t.Columns, t.Keys, t.Constraints} {
		for _, e := range es {
			lines = append(lines, e.Kind+" "+quoteIdent(e.Name)+" "+e.Def)
		}
	}
	sort.Strings(lines)
	var opts []string
	for k, v := range t.Options {
		opts = append(opts, k+"="+v)
	}
	sort.Strings(opts)
	lines = append(lines, "options "+strings.Join(opts, " "))
	if t.Partition != "" {
		lines = append(lines, "partition "+t.Partition)
	}
	return strings.Join(lines, "\n")
}

// quoteIdent quotes a MySQL identifier.
func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// QuoteIdent quotes a MySQL or MariaDB identifier (a database, table or
// column name) for a statement: in backquotes, a backquote doubled.
func QuoteIdent(s string) string { return quoteIdent(s) }

// readIdent reads a backquoted identifier at the start of s and returns it
// with the rest of s.
func readIdent(s string) (string, string, error) {
	if !strings.HasPrefix(s, "`") {
		return "", s, fmt.Errorf("want a quoted identifier at %.30q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '`' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '`' {
			b.WriteByte('`')
			i++
			continue
		}
		return b.String(), s[i+1:], nil
	}
	return "", s, fmt.Errorf("unterminated identifier in %.30q", s)
}

// parseElement parses one line of the column list.
func parseElement(line string) (Element, error) {
	switch {
	case strings.HasPrefix(line, "`"):
		name, rest, err := readIdent(line)
		if err != nil {
			return Element{}, err
		}
		def := strings.TrimSpace(rest)
		return Element{Kind: KindColumn, Name: name, Def: def, Attrs: columnAttrs(def)}, nil
	case strings.HasPrefix(line, "PRIMARY KEY "):
		def := strings.TrimPrefix(line, "PRIMARY KEY ")
		return Element{Kind: KindPrimaryKey, Name: "PRIMARY", Def: def, Attrs: keyAttrs("primary", def)}, nil
	case strings.HasPrefix(line, "CONSTRAINT `"):
		name, rest, err := readIdent(strings.TrimPrefix(line, "CONSTRAINT "))
		if err != nil {
			return Element{}, err
		}
		def := strings.TrimSpace(rest)
		if strings.HasPrefix(def, "CHECK ") {
			return Element{Kind: KindCheck, Name: name, Def: def, Attrs: map[string]string{"expression": strings.TrimPrefix(def, "CHECK ")}}, nil
		}
		return Element{Kind: KindForeignKey, Name: name, Def: def, Attrs: fkAttrs(def)}, nil
	}
	for _, kind := range []string{"UNIQUE KEY ", "FULLTEXT KEY ", "SPATIAL KEY ", "VECTOR KEY ", "KEY "} {
		if rest, ok := strings.CutPrefix(line, kind); ok {
			name, rest, err := readIdent(rest)
			if err != nil {
				return Element{}, err
			}
			def := strings.TrimSpace(rest)
			k := strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(kind, " "), "KEY"))
			if k = strings.TrimSpace(k); k == "" {
				k = "index"
			}
			return Element{Kind: KindIndex, Name: name, Def: strings.TrimSpace(kind) + " " + def, Attrs: keyAttrs(k, def)}, nil
		}
	}
	// Anything else the server may show (a PERIOD FOR SYSTEM_TIME, an
	// unnamed CHECK): compared as a whole, named by its text.
	return Element{Kind: KindCheck, Name: line, Def: line, Attrs: map[string]string{"definition": line}}, nil
}

// token is one lexical unit of a definition: a word, a quoted string or
// identifier, or a parenthesised group, with its text as written.
type token struct {
	text  string
	group bool // a ( ... ) group
}

// lex splits a definition into tokens. Executable comments
// (/*!50100 ... */, /*M!100301 ... */) are read as their content.
func lex(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t':
			i++
		case strings.HasPrefix(s[i:], "/*"):
			j := i + 2
			if j < len(s) && (s[j] == '!' || s[j] == 'M') {
				for j < len(s) && s[j] != ' ' {
					j++
				}
				i = j
				continue
			}
			end := strings.Index(s[i:], "*/")
			if end < 0 {
				i = len(s)
			} else {
				i += end + 2
			}
		case strings.HasPrefix(s[i:], "*/"):
			i += 2
		case c == '\'' || c == '"' || c == '`':
			j := skipQuoted(s, i)
			out = append(out, token{text: s[i:j]})
			i = j
		case c == '(':
			depth, j := 0, i
			for j < len(s) {
				switch s[j] {
				case '\'', '"', '`':
					j = skipQuoted(s, j)
					continue
				case '(':
					depth++
				case ')':
					depth--
				}
				j++
				if depth == 0 {
					break
				}
			}
			// A group right after a word is a call or a type's size:
			// one token with the word.
			if n := len(out); n > 0 && !out[n-1].group && i > 0 && s[i-1] != ' ' {
				out[n-1].text += s[i:j]
			} else {
				out = append(out, token{text: s[i:j], group: true})
			}
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \n\t('\"`", rune(s[j])) && !strings.HasPrefix(s[j:], "/*") && !strings.HasPrefix(s[j:], "*/") {
				j++
			}
			// A quoted string right after a word: a charset introducer
			// (_utf8mb4'x') or a bit or hex literal (b'1', x'00').
			if j < len(s) && s[j] == '\'' {
				j = skipQuoted(s, j)
			}
			out = append(out, token{text: s[i:j]})
			i = j
		}
	}
	return out
}

// skipQuoted returns the index after the quoted string or identifier that
// starts at i, with doubled quotes and backslash escapes.
func skipQuoted(s string, i int) int {
	q := s[i]
	j := i + 1
	for j < len(s) {
		switch {
		case s[j] == '\\' && q != '`':
			j += 2
			continue
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			j += 2
			continue
		case s[j] == q:
			return j + 1
		}
		j++
	}
	return len(s)
}

// columnAttrs splits a column definition (without its name) into its
// attributes: type, charset, collation, generated, invisible, null,
// default, on_update, auto_increment, comment, check, and other for any
// word it does not know.
func columnAttrs(def string) map[string]string {
	toks := lex(def)
	attrs := map[string]string{}
	is := func(i int, words ...string) bool {
		if i+len(words) > len(toks) {
			return false
		}
		for k, w := range words {
			if !strings.EqualFold(toks[i+k].text, w) {
				return false
			}
		}
		return true
	}
	var typ []string
	i := 0
	for ; i < len(toks); i++ {
		if isColumnKeyword(toks[i].text) {
			break
		}
		w := toks[i].text
		if name, args, ok := strings.Cut(w, "("); ok {
			w = strings.ToLower(name) + "(" + args
		} else if !toks[i].group {
			w = strings.ToLower(w)
		}
		typ = append(typ, w)
	}
	attrs["type"] = strings.Join(typ, " ")
	var other []string
	for i < len(toks) {
		switch {
		case is(i, "CHARACTER", "SET") && i+2 < len(toks):
			attrs["charset"], i = toks[i+2].text, i+3
		case is(i, "CHARSET") && i+1 < len(toks):
			attrs["charset"], i = toks[i+1].text, i+2
		case is(i, "COLLATE") && i+1 < len(toks):
			attrs["collation"], i = toks[i+1].text, i+2
		case is(i, "GENERATED", "ALWAYS", "AS") && i+3 < len(toks):
			attrs["generated"], i = toks[i+3].text, i+4
			if i < len(toks) && isGeneratedKind(toks[i].text) {
				attrs["generated"] += " " + strings.ToUpper(toks[i].text)
				i++
			}
		case is(i, "AS") && i+1 < len(toks):
			attrs["generated"], i = toks[i+1].text, i+2
			if i < len(toks) && isGeneratedKind(toks[i].text) {
				attrs["generated"] += " " + strings.ToUpper(toks[i].text)
				i++
			}
		case is(i, "INVISIBLE"):
			attrs["invisible"], i = "INVISIBLE", i+1
		case is(i, "NOT", "NULL"):
			attrs["null"], i = "NOT NULL", i+2
		case is(i, "NULL"):
			attrs["null"], i = "NULL", i+1
		case is(i, "DEFAULT") && i+1 < len(toks):
			attrs["default"], i = toks[i+1].text, i+2
		case is(i, "ON", "UPDATE") && i+2 < len(toks):
			attrs["on_update"], i = toks[i+2].text, i+3
		case is(i, "AUTO_INCREMENT"):
			attrs["auto_increment"], i = "AUTO_INCREMENT", i+1
		case is(i, "COMMENT") && i+1 < len(toks):
			attrs["comment"], i = toks[i+1].text, i+2
		case is(i, "CHECK") && i+1 < len(toks):
			attrs["check"], i = toks[i+1].text, i+2
		default:
			other, i = append(other, toks[i].text), i+1
		}
	}
	if _, ok := attrs["null"]; !ok {
		attrs["null"] = "NULL"
	}
	if attrs["default"] == "NULL" {
		delete(attrs, "default")
	}
	if len(other) > 0 {
		attrs["other"] = strings.Join(other, " ")
	}
	return attrs
}

func isGeneratedKind(w string) bool {
	switch strings.ToUpper(w) {
	case "VIRTUAL", "STORED", "PERSISTENT":
		return true
	}
	return false
}

// isColumnKeyword reports whether a word ends a column's type.
func isColumnKeyword(w string) bool {
	switch strings.ToUpper(w) {
	case "CHARACTER", "CHARSET", "COLLATE", "GENERATED", "AS", "INVISIBLE", "NOT", "NULL", "DEFAULT", "ON",
		"AUTO_INCREMENT", "COMMENT", "CHECK", "SRID", "COLUMN_FORMAT", "STORAGE", "REFERENCES", "VISIBLE",
		"WITH", "WITHOUT", "PRIMARY", "UNIQUE", "KEY", "ENGINE_ATTRIBUTE", "SECONDARY_ENGINE_ATTRIBUTE":
		return true
	}
	return false
}

// keyAttrs splits a key definition (after its name) into kind, columns,
// using, comment, ignored, parser, key_block_size and other.
func keyAttrs(kind, def string) map[string]string {
	attrs := map[string]string{"kind": kind}
	toks := lex(def)
	var other []string
	for i := 0; i < len(toks); i++ {
		w := strings.ToUpper(toks[i].text)
		switch {
		case toks[i].group && attrs["columns"] == "":
			attrs["columns"] = toks[i].text
		case w == "USING" && i+1 < len(toks):
			attrs["using"] = strings.ToUpper(toks[i+1].text)
			i++
		case w == "COMMENT" && i+1 < len(toks):
			attrs["comment"] = toks[i+1].text
			i++
		case w == "IGNORED" || w == "INVISIBLE":
			attrs["ignored"] = w
		case w == "VISIBLE" || w == "NOT" && i+1 < len(toks) && strings.EqualFold(toks[i+1].text, "IGNORED"):
			if w == "NOT" {
				i++
			}
		case w == "WITH" && i+2 < len(toks) && strings.EqualFold(toks[i+1].text, "PARSER"):
			attrs["parser"] = toks[i+2].text
			i += 2
		case strings.HasPrefix(w, "KEY_BLOCK_SIZE="):
			attrs["key_block_size"] = strings.TrimPrefix(w, "KEY_BLOCK_SIZE=")
		default:
			other = append(other, toks[i].text)
		}
	}
	if len(other) > 0 {
		attrs["other"] = strings.Join(other, " ")
	}
	return attrs
}

// fkAttrs splits a foreign key definition into columns, references,
// on_delete and on_update.
func fkAttrs(def string) map[string]string {
	attrs := map[string]string{}
	rest := def
	if c, r, ok := strings.Cut(rest, " REFERENCES "); ok {
		attrs["columns"] = strings.TrimSpace(strings.TrimPrefix(c, "FOREIGN KEY "))
		rest = r
	}
	ref := rest
	for _, act := range []string{" ON DELETE ", " ON UPDATE "} {
		if i := strings.Index(ref, act); i >= 0 {
			ref = ref[:i]
		}
	}
	attrs["references"] = strings.TrimSpace(ref)
	for _, act := range []string{"ON DELETE", "ON UPDATE"} {
		if _, v, ok := strings.Cut(rest, " "+act+" "); ok {
			for _, stop := range []string{" ON DELETE ", " ON UPDATE "} {
				if j := strings.Index(v, stop); j >= 0 {
					v = v[:j]
				}
			}
			attrs[strings.ToLower(strings.ReplaceAll(act, " ", "_"))] = strings.TrimSpace(v)
		}
	}
	return attrs
}

// parseOptions reads the table options after the closing parenthesis of
// the column list into opts, by upper-case name.
func parseOptions(s string, opts map[string]string) error {
	toks := lex(s)
	for i := 0; i < len(toks); i++ {
		w := toks[i].text
		if strings.EqualFold(w, "DEFAULT") {
			continue
		}
		key, val, ok := strings.Cut(w, "=")
		if !ok {
			// Words the server writes without "=": WITH SYSTEM
			// VERSIONING, and the value of a quoted key (`KEY`='v').
			if strings.HasPrefix(w, "`") && i+1 < len(toks) && strings.HasPrefix(toks[i+1].text, "=") {
				key, val = w, strings.TrimPrefix(toks[i+1].text, "=")
				i++
			} else {
				opts[strings.ToUpper(w)] = ""
				continue
			}
		}
		key = strings.ToUpper(strings.Trim(key, "`"))
		if val == "" && i+1 < len(toks) {
			val = toks[i+1].text
			i++
		}
		switch key {
		case "CHARACTER SET", "CHARSET":
			key = "CHARSET"
		}
		opts[key] = val
	}
	if v, ok := opts["CHARACTER"]; ok && v == "" {
		delete(opts, "CHARACTER")
	}
	return nil
}
