package schema

import (
	"fmt"
	"strings"

	atlas "ariga.io/atlas/sql/schema"
)

// The last line of defence, where statements run: layers are checked when
// they are composed (names.go), and live schemas come from the server; a
// statement is still parsed back before it runs, and refused unless it is
// one statement whose every quoted name is one of the names the plan's
// changes intended, and an identifier by landlord's rule. A name that
// ended its quoting early would read back as other names, or leave text
// that ends the statement or comments out its rest.

// RefusedError is a planned statement that did not parse back to the
// names its plan intended; it did not run.
type RefusedError struct {
	SQL    string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused before it ran: %s", e.Reason)
}

// intended collects the names a plan's changes may write: the database,
// and every name of each table the changes touch, as live and desired,
// with the tables their foreign keys reference.
type intended map[string]bool

func (in intended) table(t *atlas.Table) {
	if t == nil {
		return
	}
	in[t.Name] = true
	in["new_"+t.Name] = true // SQLite rebuilds a table as new_<name>
	for _, c := range t.Columns {
		in[c.Name] = true
	}
	for _, i := range t.Indexes {
		in[i.Name] = true
		for _, p := range i.Parts {
			if p.C != nil {
				in[p.C.Name] = true
			}
		}
	}
	if t.PrimaryKey != nil && t.PrimaryKey.Name != "" {
		in[t.PrimaryKey.Name] = true
	}
	for _, fk := range t.ForeignKeys {
		in[fk.Symbol] = true
		if fk.RefTable != nil {
			in[fk.RefTable.Name] = true
		}
		for _, c := range fk.RefColumns {
			in[c.Name] = true
		}
	}
	for _, a := range t.Attrs {
		switch a := a.(type) {
		case *atlas.Check:
			if a.Name != "" {
				in[a.Name] = true
			}
		case *partitioning:
			// RANGE and LIST partitioning name its partitions (and
			// subpartitions) between backquotes, as the server writes
			// them.
			in.quoted(a.V)
		}
	}
}

// quoted adds the backquoted names of clause: a clause checked when its
// layer was composed (checkClause) or read from the server. Every name
// is still checked against landlord's rule where the statement runs.
func (in intended) quoted(clause string) {
	for i := 0; i < len(clause); i++ {
		switch clause[i] {
		case '\'', '"':
			i = skipQuoted(clause, i) - 1
		case '`':
			name, j := readQuotedName(clause, i)
			if j < 0 {
				return
			}
			in[name] = true
			i = j - 1
		}
	}
}

// add collects the names of a change, looking its tables up in from and
// to.
func (in intended) add(c atlas.Change, from, to *atlas.Schema) {
	lookup := func(name string) {
		for _, s := range []*atlas.Schema{from, to} {
			if s == nil {
				continue
			}
			if t, ok := s.Table(name); ok {
				in.table(t)
			}
		}
	}
	switch c := c.(type) {
	case *atlas.AddSchema:
		in[c.S.Name] = true
	case *atlas.ModifySchema:
		in[c.S.Name] = true
	case *atlas.AddTable:
		in.table(c.T)
		lookup(c.T.Name)
	case *atlas.DropTable:
		in.table(c.T)
		lookup(c.T.Name)
	case *atlas.ModifyTable:
		in.table(c.T)
		lookup(c.T.Name)
		for _, sc := range c.Changes {
			switch sc := sc.(type) {
			case *atlas.DropColumn:
				in[sc.C.Name] = true
			case *atlas.ModifyColumn:
				in[sc.From.Name], in[sc.To.Name] = true, true
			case *atlas.DropIndex:
				in[sc.I.Name] = true
			case *atlas.ModifyIndex:
				in[sc.From.Name], in[sc.To.Name] = true, true
			case *atlas.DropForeignKey:
				in[sc.F.Symbol] = true
			case *atlas.ModifyForeignKey:
				in[sc.From.Symbol], in[sc.To.Symbol] = true, true
			case *atlas.DropCheck:
				in[sc.C.Name] = true
			case *atlas.AddForeignKey:
				if sc.F.RefTable != nil {
					lookup(sc.F.RefTable.Name)
				}
			}
		}
	case *atlas.RenameTable:
		in.table(c.From)
		in.table(c.To)
	}
}

// checkStatement parses a statement back for engine and returns why it
// may not run, or nil.
func checkStatement(engine Engine, stmt string, names intended) error {
	refuse := func(format string, args ...any) error {
		return &RefusedError{SQL: stmt, Reason: fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(stmt); i++ {
		switch c := stmt[i]; {
		case c == 0:
			return refuse("a NUL byte")
		case c == ';':
			return refuse("a second statement")
		case c == '#', c == '-' && strings.HasPrefix(stmt[i:], "--"), c == '/' && strings.HasPrefix(stmt[i:], "/*"):
			return refuse("a comment")
		case c == '\'' || c == '"':
			j := skipString(engine, stmt, i)
			if j < 0 {
				return refuse("a string that is not closed")
			}
			i = j - 1
		case c == '`':
			name, j := readQuotedName(stmt, i)
			if j < 0 {
				return refuse("a name that is not closed")
			}
			if !names[name] {
				return refuse("the name %q is not one the plan intended", truncate(name))
			}
			if why := CheckIdentifier(name); why != "" {
				return refuse("the name %q: %s", truncate(name), why)
			}
			i = j - 1
		}
	}
	return nil
}

// skipString returns the index after the string literal starting at i, or
// -1 when it is not closed. MySQL and MariaDB read backslash escapes
// (landlord's sql_mode has no NO_BACKSLASH_ESCAPES); SQLite does not.
func skipString(engine Engine, s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && engine != SQLite:
			j++
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			j++
		case s[j] == q:
			return j + 1
		}
	}
	return -1
}

// readQuotedName returns the backquoted name starting at i (a doubled
// backquote is one) and the index after it, or -1 when it is not closed.
func readQuotedName(s string, i int) (string, int) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		if s[j] == '`' {
			if j+1 < len(s) && s[j+1] == '`' {
				b.WriteByte('`')
				j++
				continue
			}
			return b.String(), j + 1
		}
		b.WriteByte(s[j])
	}
	return "", -1
}

// check returns the first statement of the plan that may not run, as a
// *RefusedError with its index, or nil.
func (p *Plan) check(engine Engine) (int, error) {
	for i, st := range p.Statements {
		if err := checkStatement(engine, st.SQL, p.intended); err != nil {
			return i, err
		}
	}
	return -1, nil
}
