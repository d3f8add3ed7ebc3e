package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
)

// querier is what Atlas's MySQL driver runs its statements on.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// inspectQuerier passes Atlas's inspection queries to the server with two
// changes:
//
//   - the EXTRA of an invisible column loses its INVISIBLE, which Atlas's
//     driver does not know and fails on ("unknown extra column
//     attribute"). Invisibility is read from SHOW CREATE TABLE instead
//     (see Live.ddl);
//   - the foreign-key query compares the schema without BINARY casts.
//     Atlas writes BINARY t1.TABLE_SCHEMA = ? AND BINARY
//     t2.CONSTRAINT_SCHEMA = ?, and a cast hides the schema from MariaDB's
//     information_schema lookup: every query reads every schema of the
//     server, and a no-op's cost grows with the number of tenants. Without
//     them each side reads the one schema (EXPLAIN: "Scanned 1 database").
//     The two sides are also joined on the table name, which a foreign
//     key's name is unique within; the join stays free of a schema
//     equality, which would make MariaDB read every schema again.
type inspectQuerier struct{ querier }

// extraColumn is how Atlas's column queries select EXTRA.
const extraColumn = "`EXTRA`, `CHARACTER_SET_NAME`"

// The parts of Atlas's foreign-key query that landlord rewrites.
const (
	fkFrom       = "INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS t1"
	fkJoin       = "ON t1.CONSTRAINT_NAME = t2.CONSTRAINT_NAME\n"
	fkSchemaCast = "AND BINARY t1.TABLE_SCHEMA = ?\n\tAND BINARY t2.CONSTRAINT_SCHEMA = ?"
)

func (q inspectQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	switch {
	case strings.Contains(query, "FROM `INFORMATION_SCHEMA`.`COLUMNS`") && strings.Contains(query, extraColumn):
		query = strings.Replace(query, extraColumn,
			"TRIM(BOTH ',' FROM TRIM(REPLACE(REPLACE(`EXTRA`, ', INVISIBLE', ''), 'INVISIBLE', ''))) AS `EXTRA`, `CHARACTER_SET_NAME`", 1)
	case strings.Contains(query, fkFrom) && strings.Contains(query, fkSchemaCast) && strings.Contains(query, fkJoin):
		query = strings.Replace(query, fkSchemaCast, "AND t1.TABLE_SCHEMA = ?\n\tAND t2.CONSTRAINT_SCHEMA = ?", 1)
		query = strings.Replace(query, fkJoin, "ON t1.CONSTRAINT_NAME = t2.CONSTRAINT_NAME\n\tAND t1.TABLE_NAME = t2.TABLE_NAME\n", 1)
	}
	return q.querier.QueryContext(ctx, query, args...)
}

// readDDL reads SHOW CREATE TABLE of every table of s in database db.
func readDDL(ctx context.Context, q querier, db string, s *atlas.Schema) (map[string]*TableDDL, error) {
	out := make(map[string]*TableDDL, len(s.Tables))
	for _, t := range s.Tables {
		d, err := showCreateTable(ctx, q, db, t.Name)
		if err != nil {
			return nil, err
		}
		out[t.Name] = d
	}
	return out, nil
}

// showCreateTable reads SHOW CREATE TABLE of table in database db.
func showCreateTable(ctx context.Context, q querier, db, table string) (*TableDDL, error) {
	rows, err := q.QueryContext(ctx, "SHOW CREATE TABLE "+quoteIdent(db)+"."+quoteIdent(table))
	if err != nil {
		return nil, fmt.Errorf("show create table %s: %w", table, err)
	}
	var name, stmt string
	if rows.Next() {
		err = rows.Scan(&name, &stmt)
	} else {
		err = errors.New("no row")
	}
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("show create table %s: %w", table, err)
	}
	return ParseTableDDL(stmt)
}

// enrichFromDDL completes an inspected (or snapshot) schema with what
// Atlas's model drops and the server shows: the full spelling of column
// types (display widths, zerofill, float(M,D), unsigned tinyint(1),
// compressed columns), invisible columns, the table options landlord
// manages and partitioning. Atlas's own CreateOptions (the raw
// information_schema text) is replaced by them.
func enrichFromDDL(s *atlas.Schema, ddl map[string]*TableDDL) error {
	for _, t := range s.Tables {
		d, ok := ddl[t.Name]
		if !ok {
			continue
		}
		t.Attrs = keepAttrs(t.Attrs, func(a atlas.Attr) bool {
			_, raw := a.(*mysql.CreateOptions)
			return !raw
		})
		if opts := managedOptions(d.Options); len(opts) > 0 {
			t.Attrs = append(t.Attrs, &tableOptions{V: opts})
		}
		if d.Partition != "" {
			t.Attrs = append(t.Attrs, &partitioning{V: d.Partition})
		}
		for _, e := range d.Columns {
			c, ok := t.Column(e.Name)
			if !ok || c.Type == nil {
				continue
			}
			typ, err := spelledType(e.Attrs["type"], e.Attrs["invisible"] != "")
			if err != nil {
				return fmt.Errorf("column %s.%s: %w", t.Name, c.Name, err)
			}
			if typ != nil {
				c.Type.Type = typ
			}
		}
	}
	return nil
}

// tableOptions are the table options landlord manages beyond Atlas's
// engine, charset, collation and comment: ROW_FORMAT, KEY_BLOCK_SIZE,
// CHECKSUM, DELAY_KEY_WRITE, PAGE_COMPRESSED, STATS_*, ... by upper-case
// name, values without quotes.
type tableOptions struct {
	atlas.Attr
	V map[string]string
}

// partitioning is a table's partitioning clause (PARTITION BY ...).
type partitioning struct {
	atlas.Attr
	V string
}

// atlasOptions are the table options Atlas's model plans itself.
var atlasOptions = map[string]bool{"ENGINE": true, "CHARSET": true, "COLLATE": true, "COMMENT": true, "AUTO_INCREMENT": true}

// managedOptions returns the options of a table's DDL that landlord plans
// through tableOptions, values unquoted.
func managedOptions(opts map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range opts {
		if atlasOptions[k] || unmanagedOptions[k] {
			continue
		}
		out[k] = optionValue(v)
	}
	return out
}

// optionValue is an option's value as compared: without quotes, upper
// case.
func optionValue(v string) string {
	return strings.ToUpper(strings.Trim(v, "'"))
}

// ErrIncomplete is returned when the server shows the inspecting user
// less than the whole schema: a plan computed from such a view would drop
// what the user cannot see.
var ErrIncomplete = errors.New("incomplete inspection")

// checkComplete compares Atlas's inspection with the tables' DDL: MariaDB
// shows information_schema.REFERENTIAL_CONSTRAINTS, which Atlas reads
// foreign keys from, only to a user with a privilege beyond SELECT on the
// table, while SHOW CREATE TABLE shows them to any user who may read it.
// A foreign key in the DDL that the inspection lacks means the view is
// incomplete; it is an error naming the privilege, never a plan.
func checkComplete(s *atlas.Schema, ddl map[string]*TableDDL) error {
	for _, t := range s.Tables {
		d, ok := ddl[t.Name]
		if !ok {
			continue
		}
		for _, e := range d.Constraints {
			if e.Kind != KindForeignKey {
				continue
			}
			if _, ok := t.ForeignKey(e.Name); !ok {
				return fmt.Errorf("%w: foreign key %s of table %s is in SHOW CREATE TABLE but not in information_schema.REFERENTIAL_CONSTRAINTS: "+
					"the user lacks a privilege that shows it (grant SELECT and REFERENCES, see the README's least privileges)", ErrIncomplete, e.Name, t.Name)
			}
		}
	}
	return nil
}
