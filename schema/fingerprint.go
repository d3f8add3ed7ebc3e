package schema

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// fingerprintVersion starts every fingerprint's input; it changes whenever
// the queries or the encoding do.
const fingerprintVersion = "landlord fingerprint 1\n"

// fingerprintQuery is one information_schema query of Fingerprints: its
// first column is the schema, the others are what the fingerprint covers.
type fingerprintQuery struct {
	name string
	sql  string
	// schema is the column the query is filtered on for one database.
	schema string
}

// fingerprintQueries are the catalog of every table of every schema, read
// in bulk: the database's defaults; the tables and their options; the
// columns with their full type (display width, zerofill, unsigned,
// compression), nullability, default, extra (auto_increment, on update,
// invisible), charset, collation, comment and generation; the indexes
// with their parts, prefix lengths, order, type, comment and visibility;
// the foreign keys with their columns, referenced columns and actions;
// the checks; the partitions. Nothing that changes with the data (row
// counts, sizes, AUTO_INCREMENT counters, times) is read.
func fingerprintQueries(engine Engine) []fingerprintQuery {
	indexVisibility, indexExpr := "IGNORED", "NULL"
	checks, checkSchema := "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, LEVEL, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS", "CONSTRAINT_SCHEMA"
	if engine == MySQL {
		checkSchema = "tc.TABLE_SCHEMA"
		indexVisibility, indexExpr = "IS_VISIBLE", "EXPRESSION"
		checks = "SELECT tc.TABLE_SCHEMA, tc.TABLE_NAME, tc.CONSTRAINT_NAME, tc.ENFORCED, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS AS tc " +
			"JOIN information_schema.CHECK_CONSTRAINTS AS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME WHERE tc.CONSTRAINT_TYPE = 'CHECK'"
	}
	return []fingerprintQuery{
		{"schema", "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA", "SCHEMA_NAME"},
		{"table", "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT FROM information_schema.TABLES", "TABLE_SCHEMA"},
		{"column", "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_COMMENT, GENERATION_EXPRESSION FROM information_schema.COLUMNS", "TABLE_SCHEMA"},
		{"index", "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, SUB_PART, INDEX_TYPE, INDEX_COMMENT, " + indexVisibility + ", " + indexExpr + " FROM information_schema.STATISTICS", "TABLE_SCHEMA"},
		{"fk column", "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_NAME IS NOT NULL", "TABLE_SCHEMA"},
		{"fk", "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_NAME, MATCH_OPTION, UPDATE_RULE, DELETE_RULE, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS", "CONSTRAINT_SCHEMA"},
		{"check", checks, checkSchema},
	}
}

// partitionQuery reads the partitions of one table: only of the tables
// whose CREATE_OPTIONS say "partitioned" (a table partitioned out of band
// moves its table row already), since reading PARTITIONS opens every
// table it scans.
const partitionQuery = "SELECT TABLE_SCHEMA, TABLE_NAME, PARTITION_NAME, SUBPARTITION_NAME, PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION, " +
	"PARTITION_METHOD, SUBPARTITION_METHOD, PARTITION_EXPRESSION, SUBPARTITION_EXPRESSION, PARTITION_DESCRIPTION, PARTITION_COMMENT, NODEGROUP, TABLESPACE_NAME " +
	"FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL"

// createOptionsColumn is the index of CREATE_OPTIONS in the table query.
const createOptionsColumn = 6

// Fingerprints returns a fingerprint of the live schema of each of
// databases that exists on the server (MySQL and MariaDB), read in bulk: a
// handful of information_schema queries for the whole server, grouped by
// schema, instead of an inspection per database. Two fingerprints of a
// database are equal when nothing of its schema that drift compares
// changed in between (the order of columns aside, which the hash ignores
// too); rows and AUTO_INCREMENT counters do not move it. A fingerprint is
// no hash of the schema: it is only compared with a fingerprint of the same
// database, taken by the same version of landlord on the same server.
func (s *Server) Fingerprints(ctx context.Context, databases []string) (map[string]string, error) {
	if !isMySQLFamily(s.engine) {
		return nil, fmt.Errorf("fingerprints: %s has no information_schema", s.engine)
	}
	return s.fingerprints(ctx, databases, len(databases) > fingerprintOneByOne)
}

// fingerprintOneByOne is the number of databases up to which Fingerprints
// reads them one by one, each query filtered on the database (MariaDB
// then reads that schema only), rather than the whole server at once.
const fingerprintOneByOne = 8

func (s *Server) fingerprints(ctx context.Context, databases []string, bulk bool) (map[string]string, error) {
	want := make(map[string]bool, len(databases))
	for _, db := range databases {
		want[db] = true
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// Under the watchdog, as every statement on a tenant server: a server
	// that stops answering fails the read within the stall timeout.
	conn, err := s.watched(ctx, c)
	if err != nil {
		return nil, err
	}
	defer conn.close()
	rows := make(map[string][]string, len(databases))
	var partitioned [][2]string
	for _, q := range fingerprintQueries(s.engine) {
		var part *[][2]string
		if q.name == "table" {
			part = &partitioned
		}
		if bulk {
			if err := readFingerprintRows(ctx, conn, q.sql, nil, q.name, want, rows, part); err != nil {
				return nil, fmt.Errorf("fingerprints: %s: %w", q.name, err)
			}
			continue
		}
		where := " WHERE "
		if strings.Contains(q.sql, " WHERE ") {
			where = " AND "
		}
		for _, db := range databases {
			if err := readFingerprintRows(ctx, conn, q.sql+where+q.schema+" = ?", []any{db}, q.name, want, rows, part); err != nil {
				return nil, fmt.Errorf("fingerprints: %s: %w", q.name, err)
			}
		}
	}
	for _, t := range partitioned {
		if err := readFingerprintRows(ctx, conn, partitionQuery, []any{t[0], t[1]}, "partition", want, rows, nil); err != nil {
			return nil, fmt.Errorf("fingerprints: partitions: %w", err)
		}
	}
	out := make(map[string]string, len(rows))
	for db, rs := range rows {
		if !strings.HasPrefix(rs[0], "schema\x1e") {
			// A schema row comes first when the database exists; rows
			// of a database created or dropped between the queries
			// make no fingerprint.
			continue
		}
		sort.Strings(rs)
		h := sha256.New()
		h.Write([]byte(fingerprintVersion))
		for _, r := range rs {
			h.Write([]byte(r))
			h.Write([]byte{'\n'})
		}
		out[db] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}

func readFingerprintRows(ctx context.Context, conn *watchedConn, query string, args []any, name string, want map[string]bool, out map[string][]string, partitioned *[][2]string) error {
	rs, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var b strings.Builder
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return err
		}
		db := vals[0].String
		if !want[db] {
			continue
		}
		b.Reset()
		b.WriteString(name)
		for i, v := range vals[1:] {
			b.WriteByte('\x1e')
			switch {
			case !v.Valid:
				b.WriteString("\x00")
			case v.String == db && strings.HasSuffix(cols[i+1], "_SCHEMA"):
				b.WriteString("\x01") // the database itself: its name is not its schema
			default:
				b.WriteString(v.String)
			}
		}
		out[db] = append(out[db], b.String())
		if partitioned != nil && strings.Contains(strings.ToLower(vals[createOptionsColumn].String), "partitioned") {
			*partitioned = append(*partitioned, [2]string{db, vals[1].String})
		}
	}
	return rs.Err()
}
