package schema

import (
	"context"
	"fmt"
	"sort"
	"strings"

	atlas "ariga.io/atlas/sql/schema"
)

// KindUnmanaged is an object of a live MySQL or MariaDB database that
// Atlas's model does not hold and landlord does not manage: a view, a
// sequence, a system-versioned table, a trigger, a stored procedure or
// function, an event. Drift lists each as unmanaged (a warning).
const KindUnmanaged = "unmanaged"

// other is one unmanaged object of a live database: Type is how the
// server names its kind (VIEW, SEQUENCE, SYSTEM VERSIONED, TRIGGER,
// PROCEDURE, FUNCTION, EVENT); Table is a trigger's table.
type other struct {
	Type, Name, Table string
}

// periodsOf takes MariaDB's application-time periods (PERIOD FOR p (s, e))
// out of the inspected schema s and returns them as unmanaged objects:
// Atlas's inspection reads a period's implicit constraint as a CHECK of
// the period's name, which a plan would drop with DROP CONSTRAINT (the
// server wants DROP PERIOD). SHOW CREATE TABLE shows them.
func periodsOf(s *atlas.Schema, ddl map[string]*TableDDL) []other {
	var out []other
	for _, t := range s.Tables {
		d := ddl[t.Name]
		if d == nil {
			continue
		}
		for _, e := range d.Constraints {
			rest, ok := strings.CutPrefix(e.Name, "PERIOD FOR ")
			if !ok {
				continue
			}
			name, _, err := readIdent(rest)
			if err != nil || strings.EqualFold(name, "SYSTEM_TIME") {
				continue
			}
			attrs := t.Attrs[:0:0]
			for _, a := range t.Attrs {
				if c, ok := a.(*atlas.Check); ok && c.Name == name {
					continue
				}
				attrs = append(attrs, a)
			}
			t.Attrs = attrs
			out = append(out, other{Type: "PERIOD", Name: name, Table: t.Name})
		}
	}
	return out
}

// tableLike reports whether the object takes a name from the tables'
// namespace: a table of the desired schema cannot be created beside it.
func (o other) tableLike() bool {
	switch o.Type {
	case "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "PACKAGE", "PACKAGE BODY", "PERIOD":
		return false
	}
	return true
}

func (o other) String() string {
	if o.tableLike() && o.Type == "SYSTEM VERSIONED" {
		return "SYSTEM VERSIONED table " + o.Name
	}
	if o.Table != "" {
		return o.Type + " " + o.Name + " on table " + o.Table
	}
	return o.Type + " " + o.Name
}

// othersQuery reads, in one round trip, the objects of a database that
// Atlas's inspection does not return: information_schema.TABLES rows that
// are not base tables (views; MariaDB's sequences and system-versioned
// tables), triggers, routines and events. A user without the privilege to
// see one does not get its row. Each name is cast to the connection's
// character set: information_schema's columns differ in collation from
// one server to another, and a UNION of two may be an illegal mix (not
// measured on MySQL 8).
const othersQuery = "SELECT CAST(TABLE_TYPE AS CHAR), CAST(TABLE_NAME AS CHAR), '' FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE NOT IN ('BASE TABLE', 'TEMPORARY')" +
	" UNION ALL SELECT 'TRIGGER', CAST(TRIGGER_NAME AS CHAR), CAST(EVENT_OBJECT_TABLE AS CHAR) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?" +
	" UNION ALL SELECT CAST(ROUTINE_TYPE AS CHAR), CAST(ROUTINE_NAME AS CHAR), '' FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?" +
	" UNION ALL SELECT 'EVENT', CAST(EVENT_NAME AS CHAR), '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?"

// readOthers reads the unmanaged objects of database db, in order.
func readOthers(ctx context.Context, q querier, db string) ([]other, error) {
	rows, err := q.QueryContext(ctx, othersQuery, db, db, db, db)
	if err != nil {
		return nil, fmt.Errorf("read views, sequences, triggers and routines: %w", err)
	}
	defer rows.Close()
	var out []other
	for rows.Next() {
		var o other
		if err := rows.Scan(&o.Type, &o.Name, &o.Table); err != nil {
			return nil, err
		}
		o.Type = strings.ToUpper(o.Type)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// othersDifferences adds live's unmanaged objects to the differences out
// between base and live. A table of base that Atlas no longer sees because
// it became one (a table given SYSTEM VERSIONING by hand, or dropped and
// replaced by a view) is not "removed": it is modified, managed drift that
// says what it became.
func othersDifferences(out []Difference, live *Live) []Difference {
	if len(live.others) == 0 {
		return out
	}
	byName := map[string]other{}
	for _, o := range live.others {
		if o.tableLike() {
			byName[o.Name] = o
		}
	}
	// A period's line of SHOW CREATE TABLE, which the comparison of DDL
	// reads as a check named by its text, is the period listed below.
	kept := out[:0]
	for _, d := range out {
		if d.Kind == KindCheck && strings.HasPrefix(d.Name, "PERIOD FOR `") {
			continue
		}
		kept = append(kept, d)
	}
	out = kept
	became := map[string]bool{}
	for i, d := range out {
		if d.Kind != KindTable || d.Change != Removed {
			continue
		}
		if o, ok := byName[d.Table]; ok {
			out[i] = Difference{Object: d.Object, Change: Modified, Detail: "is now a " + o.String() + ", which landlord cannot inspect (was " + d.Detail + ")"}
			became[d.Table] = true
		}
	}
	for _, o := range live.others {
		if o.tableLike() && became[o.Name] {
			continue
		}
		out = append(out, Difference{Object: Object{Kind: KindUnmanaged, Table: o.Table, Name: o.Name}, Change: Added,
			Detail: o.String() + ": not managed by landlord", Unmanaged: true})
	}
	return sortDifferences(out)
}

// checkOthers refuses a plan that would create a table of d whose name a
// live unmanaged object (a system-versioned table, a view, a sequence)
// already takes: the CREATE TABLE would fail, or worse, the object would
// stand for the table unseen. The error names the table's file and line.
func checkOthers(live *Live, d *Desired) error {
	var errs SourceErrors
	for _, o := range live.others {
		if !o.tableLike() {
			continue
		}
		org, ok := d.TableOrigin(o.Name)
		if !ok {
			continue
		}
		errs = append(errs, &SourceError{File: org.File, Line: org.Line, Msg: fmt.Sprintf("table %q: the live database has a %s of that name, which landlord cannot inspect or change; make it a base table again (or drop it) by hand", o.Name, o)})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
