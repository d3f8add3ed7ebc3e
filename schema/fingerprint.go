package schema

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"
)

// fingerprintVersion starts every fingerprint's input; it changes whenever
// the queries or the encoding do.
const fingerprintVersion = "landlord fingerprint 4\n"

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
// columns with their position (drift reports a column moved), full type
// (display width, zerofill, unsigned, compression), nullability,
// default, extra (auto_increment, on update, invisible), charset,
// collation, comment and generation; the indexes with their parts, prefix
// lengths, order, type, comment and visibility; the foreign keys with
// their columns, referenced columns and actions; the checks; the
// partitions; the triggers with their timing, event and statement; the
// routines and events with when each was created and last altered
// (landlord does not manage them, but drift lists them: one created by
// hand must move the fingerprint). Nothing that changes with the data
// (row counts, sizes, AUTO_INCREMENT counters, tables' update times) is
// read.
func fingerprintQueries(engine Engine) []fingerprintQuery {
	indexVisibility, indexExpr := "IGNORED", "NULL"
	// MariaDB reads each table's engine-independent statistics from the
	// mysql database when STATISTICS opens it (about a fifth of that
	// query's time on a server of many tables), for CARDINALITY, which
	// this query does not read.
	indexPrefix := "SET STATEMENT use_stat_tables = 'NEVER' FOR "
	checks, checkSchema := "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, LEVEL, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS", "CONSTRAINT_SCHEMA"
	if engine == MySQL {
		checkSchema = "tc.TABLE_SCHEMA"
		indexVisibility, indexExpr, indexPrefix = "IS_VISIBLE", "EXPRESSION", ""
		checks = "SELECT tc.TABLE_SCHEMA, tc.TABLE_NAME, tc.CONSTRAINT_NAME, tc.ENFORCED, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS AS tc " +
			"JOIN information_schema.CHECK_CONSTRAINTS AS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME WHERE tc.CONSTRAINT_TYPE = 'CHECK'"
	}
	return []fingerprintQuery{
		{"schema", "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA", "SCHEMA_NAME"},
		{"table", "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT FROM information_schema.TABLES", "TABLE_SCHEMA"},
		{"column", "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_COMMENT, GENERATION_EXPRESSION FROM information_schema.COLUMNS", "TABLE_SCHEMA"},
		{"index", indexPrefix + "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, SUB_PART, INDEX_TYPE, INDEX_COMMENT, " + indexVisibility + ", " + indexExpr + " FROM information_schema.STATISTICS", "TABLE_SCHEMA"},
		{"check", checks, checkSchema},
		{"fk column", "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_NAME IS NOT NULL", "TABLE_SCHEMA"},
		// Not UNIQUE_CONSTRAINT_NAME (the referenced table's index the
		// server picked: its indexes are read above) nor MATCH_OPTION
		// (always NONE), which InnoDB's dictionary does not keep.
		{"fk", "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS", "CONSTRAINT_SCHEMA"},
		// Triggers, routines and events: Atlas's inspection does not
		// return them; readOthers lists them for drift. TRIGGERS reads
		// each table's trigger definitions (a fraction of what COLUMNS
		// costs); ROUTINES and EVENTS read one system table each.
		{"trigger", "SELECT TRIGGER_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, ACTION_STATEMENT FROM information_schema.TRIGGERS", "TRIGGER_SCHEMA"},
		{"routine", "SELECT ROUTINE_SCHEMA, ROUTINE_TYPE, ROUTINE_NAME, CREATED, LAST_ALTERED FROM information_schema.ROUTINES", "ROUTINE_SCHEMA"},
		{"event", "SELECT EVENT_SCHEMA, EVENT_NAME, CREATED, LAST_ALTERED FROM information_schema.EVENTS", "EVENT_SCHEMA"},
	}
}

// foreignKeyQueries are the names of the queries of fingerprintQueries
// that innodbForeignQuery replaces.
var foreignKeyQueries = map[string]bool{"fk column": true, "fk": true}

// innodbForeignQuery reads the foreign keys of every InnoDB table of a
// MariaDB server from InnoDB's own dictionary: each key's name, table,
// referenced table and actions (TYPE: the ON DELETE and ON UPDATE bits),
// each column with the column it references, in order. On a server of
// many tables it answers in a fraction of the time KEY_COLUMN_USAGE and
// REFERENTIAL_CONSTRAINTS take (they open every table); it needs the
// PROCESS privilege. Database and table names are in InnoDB's file name
// encoding ("db@002dname/table"); only InnoDB tables have foreign keys on
// MariaDB.
//
// The two tables are read apart and joined here: MariaDB joins them by
// scanning one for every row of the other.
const (
	innodbForeignQuery     = "SELECT ID, FOR_NAME, REF_NAME, N_COLS, TYPE FROM information_schema.INNODB_SYS_FOREIGN"
	innodbForeignColsQuery = "SELECT ID, POS, FOR_COL_NAME, REF_COL_NAME FROM information_schema.INNODB_SYS_FOREIGN_COLS"
)

// innodbName returns name in InnoDB's file name encoding, for names of
// ASCII letters, digits, '_', '$' and '-' (the names landlord gives
// databases); ok is false for any other name, whose encoding this does not
// implement (its foreign keys are read from information_schema).
func innodbName(name string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
			b.WriteByte(c)
		case c == '$' || c == '-':
			fmt.Fprintf(&b, "@%04x", c)
		default:
			return "", false
		}
	}
	return b.String(), name != ""
}

// partitionQuery reads the partitions of one table: only of the tables
// whose CREATE_OPTIONS say "partitioned" (a table partitioned out of band
// moves its table row already), since reading PARTITIONS opens every
// table it scans.
const partitionQuery = "SELECT TABLE_SCHEMA, TABLE_NAME, PARTITION_NAME, SUBPARTITION_NAME, PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION, " +
	"PARTITION_METHOD, SUBPARTITION_METHOD, PARTITION_EXPRESSION, SUBPARTITION_EXPRESSION, PARTITION_DESCRIPTION, PARTITION_COMMENT, NODEGROUP, TABLESPACE_NAME " +
	"FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL"

// notSystem filters a bulk query on its schema column: not one of the
// server's own databases.
const notSystem = " NOT IN ('mysql', 'sys', 'performance_schema', 'information_schema')"

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
	mode := fingerprintOneByOne
	if len(databases) > fingerprintOneByOneUpTo {
		mode = fingerprintBulk
	}
	fp, _, err := s.fingerprints(ctx, databases, mode)
	return fp, err
}

// fingerprintOneByOneUpTo is the number of databases up to which
// Fingerprints reads them one by one, each query filtered on the database
// (MariaDB then reads that schema only), rather than the whole server at
// once.
const fingerprintOneByOneUpTo = 8

// fingerprintMode is how fingerprints reads the catalog. Every mode reads
// the same rows: a database's fingerprint does not depend on it.
type fingerprintMode int

const (
	// fingerprintOneByOne filters every query on one database.
	fingerprintOneByOne fingerprintMode = iota
	// fingerprintBulk reads the whole server at once, the foreign keys
	// of MariaDB from InnoDB's dictionary when it can.
	fingerprintBulk
	// fingerprintBulkSchema reads the whole server at once, the foreign
	// keys from information_schema.
	fingerprintBulkSchema
)

// fingerprints reads the fingerprints of databases in mode; innodb tells
// whether the foreign keys came from InnoDB's dictionary.
func (s *Server) fingerprints(ctx context.Context, databases []string, mode fingerprintMode) (fp map[string]string, innodb bool, err error) {
	want := make(map[string]bool, len(databases))
	for _, db := range databases {
		want[db] = true
	}
	rows := make(fpRows, len(databases))
	queries := fingerprintQueries(s.engine)
	groups := [][]fingerprintQuery{queries}
	if mode != fingerprintOneByOne {
		groups = fingerprintGroups(queries, s.pool)
	}
	parts := make([]fpRows, len(groups))
	innodbOf := make([]bool, len(groups))
	g, gctx := errgroup.WithContext(ctx)
	for i, group := range groups {
		parts[i] = make(fpRows, len(databases))
		g.Go(func() (err error) {
			innodbOf[i], err = s.readFingerprintQueries(gctx, group, databases, want, mode, parts[i])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, false, err
	}
	for i := range parts {
		rows.merge(parts[i])
		innodb = innodb || innodbOf[i]
	}
	return fingerprintsOf(rows), innodb, nil
}

// fingerprintGroups splits the bulk queries among connections that read
// at once, as many as pool allows up to four: TABLES, CHECK_CONSTRAINTS
// and STATISTICS, which open every table, each on a connection of its
// own, the rest on the fourth. MariaDB opens the tables of all the
// queries in the same order: at once, what one query opened is still in
// the server's table caches when the others reach it. On 1,000 tenants
// (22,750 tables, 2 cores) the four queries at once took 0.92-1.07 s and
// 1.6 s of the server's CPU; two connections, two queries each, took
// 1.5-1.7 s and 2.5 s of CPU, no less than one connection. On a pool of
// two or three, the queries that open every table share a connection.
func fingerprintGroups(queries []fingerprintQuery, pool int) [][]fingerprintQuery {
	if pool < 2 {
		return [][]fingerprintQuery{queries}
	}
	opening := map[string]bool{"table": true, "check": true, "index": true}
	var groups [][]fingerprintQuery
	var shared, rest []fingerprintQuery
	for _, q := range queries {
		switch {
		case !opening[q.name]:
			rest = append(rest, q)
		case pool >= 4:
			groups = append(groups, []fingerprintQuery{q})
		default:
			shared = append(shared, q)
		}
	}
	if shared != nil {
		groups = append(groups, shared)
	}
	return append(groups, rest)
}

// merge adds the rows of other to r.
func (r fpRows) merge(other fpRows) {
	for db, o := range other {
		d := r[db]
		if d == nil {
			r[db] = o
			continue
		}
		d.exists = d.exists || o.exists
		d.sums = append(d.sums, o.sums...)
	}
}

// Fingerprint returns the fingerprint of the target's database, as
// Fingerprints would, read on the target's own connection (a tenant
// reconciled holds its connection: another one from a bounded pool might
// never come).
func (t *Target) Fingerprint(ctx context.Context) (string, error) {
	if t.w == nil || !isMySQLFamily(t.server.engine) {
		return "", fmt.Errorf("fingerprint: %s has no information_schema", t.server.engine)
	}
	rows := fpRows{}
	dbs := []string{t.database}
	if _, err := t.server.readFingerprintsOn(ctx, t.w, fingerprintQueries(t.server.engine), dbs, map[string]bool{t.database: true}, fingerprintOneByOne, rows); err != nil {
		return "", err
	}
	fp, ok := fingerprintsOf(rows)[t.database]
	if !ok {
		return "", fmt.Errorf("fingerprint: no database %s", t.database)
	}
	return fp, nil
}

// TablesFingerprint returns a fingerprint of the given tables of the
// target's database: for each table, its row of information_schema.TABLES
// as Fingerprint reads it (type, engine, row format as stored, collation,
// options, comment) and SHOW CREATE TABLE in its canonical form
// (TableDDL.Canonical: every column, index, foreign key, check and option
// the server keeps, and the partitioning, without the AUTO_INCREMENT
// counter). That is what Fingerprint reads of the table, in two round
// trips a table instead of six information_schema queries, two of which
// (COLUMNS, CHECK_CONSTRAINTS) cost the server ten times what SHOW CREATE
// TABLE does. A table that does not exist adds a mark of its own. Like a
// database's fingerprint it has no database name in it (a foreign key to
// another database names that one): two databases whose tables are alike
// read the same. It says nothing of the other tables, and it is not
// comparable with Fingerprint's.
func (t *Target) TablesFingerprint(ctx context.Context, tables []string) (string, error) {
	if t.w == nil || !isMySQLFamily(t.server.engine) {
		return "", fmt.Errorf("fingerprint: %s has no information_schema", t.server.engine)
	}
	tables = slices.Compact(slices.Sorted(slices.Values(tables)))
	var options fingerprintQuery
	for _, q := range fingerprintQueries(t.server.engine) {
		if q.name == "table" {
			options = q
		}
	}
	want := map[string]bool{t.database: true}
	h := sha256.New()
	io.WriteString(h, tablesFingerprintVersion)
	for _, name := range tables {
		io.WriteString(h, name+"\x00")
		rows := fpRows{}
		if err := readFingerprintRows(ctx, t.w, options.sql+" WHERE "+options.schema+" = ? AND TABLE_NAME = ?", []any{t.database, name}, options.name, want, rows, nil); err != nil {
			return "", fmt.Errorf("fingerprint: table %s: %w", name, err)
		}
		d := rows[t.database]
		if d == nil || len(d.sums) == 0 {
			io.WriteString(h, "absent\x00")
			continue
		}
		if len(d.sums) != 1 {
			return "", fmt.Errorf("fingerprint: table %s: %d rows in information_schema.TABLES", name, len(d.sums))
		}
		h.Write(d.sums[0][:])
		ddl, err := showCreateTable(ctx, t.w, t.database, name)
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		io.WriteString(h, ddl.Canonical()+"\x00")
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// tablesFingerprintVersion begins every TablesFingerprint.
const tablesFingerprintVersion = "landlord tables fingerprint 2\n"

// fpRows holds what was read of each database: the SHA-256 of each row
// (32 bytes a row, not the row: a server of 10,000 databases has hundreds
// of thousands), and whether its schema row was read.
type fpRows map[string]*dbRows

type dbRows struct {
	exists bool
	sums   [][sha256.Size]byte
}

// add adds row of database db; name is the row's query.
func (r fpRows) add(db, name, row string) {
	r.addSum(db, name, sha256.Sum256([]byte(row)))
}

// addSum adds the SHA-256 of a row of database db; name is the row's query.
func (r fpRows) addSum(db, name string, sum [sha256.Size]byte) {
	d := r[db]
	if d == nil {
		d = &dbRows{}
		r[db] = d
	}
	if name == "schema" {
		d.exists = true
	}
	d.sums = append(d.sums, sum)
}

// fingerprintsOf hashes the rows read of each database: the hash of their
// hashes in order, so that the order the server returned them in does not
// count.
func fingerprintsOf(rows fpRows) map[string]string {
	out := make(map[string]string, len(rows))
	for db, d := range rows {
		if !d.exists {
			// A database that exists has a schema row; rows of a
			// database created or dropped between the queries make
			// no fingerprint.
			continue
		}
		sort.Slice(d.sums, func(i, j int) bool { return bytes.Compare(d.sums[i][:], d.sums[j][:]) < 0 })
		h := sha256.New()
		h.Write([]byte(fingerprintVersion))
		for _, r := range d.sums {
			h.Write(r[:])
		}
		out[db] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// readFingerprintQueries runs queries on one connection of its own,
// adding their rows to rows, and reads the partitions of the tables
// that have them; in bulk on MariaDB, the foreign keys come from InnoDB's
// dictionary instead of information_schema when they can (innodb).
func (s *Server) readFingerprintQueries(ctx context.Context, queries []fingerprintQuery, databases []string, want map[string]bool, mode fingerprintMode, rows fpRows) (innodb bool, err error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer c.Close()
	// Under the watchdog, as every statement on a tenant server: a server
	// that stops answering fails the read within the stall timeout.
	conn, err := s.watched(ctx, c)
	if err != nil {
		return false, err
	}
	defer conn.close()
	return s.readFingerprintsOn(ctx, conn, queries, databases, want, mode, rows)
}

// readFingerprintsOn is readFingerprintQueries on conn.
func (s *Server) readFingerprintsOn(ctx context.Context, conn *watchedConn, queries []fingerprintQuery, databases []string, want map[string]bool, mode fingerprintMode, rows fpRows) (innodb bool, err error) {
	hasFK := false
	for _, q := range queries {
		hasFK = hasFK || foreignKeyQueries[q.name]
	}
	if hasFK && mode == fingerprintBulk && s.engine == MariaDB {
		innodb = s.innodbForeignKeys(ctx, conn, databases, rows)
	}
	var partitioned [][2]string
	for _, q := range queries {
		if innodb && foreignKeyQueries[q.name] {
			continue
		}
		var part *[][2]string
		if q.name == "table" {
			part = &partitioned
		}
		where := " WHERE "
		if strings.Contains(q.sql, " WHERE ") {
			where = " AND "
		}
		if mode != fingerprintOneByOne {
			// The server's own databases are never a tenant's (desired
			// refuses them), and skipping them skips opening their
			// tables and views: 5-20% of a query on a server of 1,000
			// tenants.
			if err := readFingerprintRows(ctx, conn, q.sql+where+q.schema+notSystem, nil, q.name, want, rows, part); err != nil {
				return false, fmt.Errorf("fingerprints: %s: %w", q.name, err)
			}
			continue
		}
		for _, db := range databases {
			if err := readFingerprintRows(ctx, conn, q.sql+where+q.schema+" = ?", []any{db}, q.name, want, rows, part); err != nil {
				return false, fmt.Errorf("fingerprints: %s: %w", q.name, err)
			}
		}
	}
	for _, t := range partitioned {
		if err := readFingerprintRows(ctx, conn, partitionQuery, []any{t[0], t[1]}, "partition", want, rows, nil); err != nil {
			return false, fmt.Errorf("fingerprints: partitions: %w", err)
		}
	}
	return innodb, nil
}

// innodbForeignKeys adds to rows the foreign keys of databases read from
// InnoDB's dictionary, as the rows the "fk column" and "fk" queries read
// from information_schema would be. It reports false, adding nothing,
// when it cannot: no PROCESS privilege, names stored in another case
// (lower_case_table_names), a database or table name whose encoding it
// does not decode, an action it does not know, a key whose columns are
// not all listed. The caller then reads information_schema.
func (s *Server) innodbForeignKeys(ctx context.Context, conn *watchedConn, databases []string, rows fpRows) bool {
	var lower int
	if err := conn.scanRow(ctx, "SELECT @@lower_case_table_names", nil, &lower); err != nil || lower != 0 {
		return false
	}
	byEncoded := make(map[string]string, len(databases))
	for _, db := range databases {
		enc, ok := innodbName(db)
		if !ok {
			return false
		}
		byEncoded[enc] = db
	}
	type key struct {
		db, table, name, refDB, refTable, update, del string
		cols                                          int
		rows                                          []string
	}
	keys := map[string]*key{}
	err := innodbRows(ctx, conn, innodbForeignQuery, func(v []sql.NullString) bool {
		id, forName, refName := v[0].String, v[1].String, v[2].String
		encDB, _, _ := strings.Cut(forName, "/")
		db, ok := byEncoded[encDB]
		if !ok {
			return true
		}
		_, table, ok1 := innodbDecodePath(forName)
		refDB, refTable, ok2 := innodbDecodePath(refName)
		_, name, ok3 := strings.Cut(id, "/")
		typ, err1 := strconv.Atoi(v[4].String)
		cols, err2 := strconv.Atoi(v[3].String)
		update, del, ok4 := innodbRules(typ)
		if !ok1 || !ok2 || !ok3 || !ok4 || err1 != nil || err2 != nil || keys[id] != nil {
			return false
		}
		if refDB == db {
			refDB = "\x01"
		}
		keys[id] = &key{db: db, table: table, name: name, refDB: refDB, refTable: refTable, update: update, del: del, cols: cols}
		return true
	})
	if err != nil {
		return false
	}
	err = innodbRows(ctx, conn, innodbForeignColsQuery, func(v []sql.NullString) bool {
		k := keys[v[0].String]
		if k == nil {
			return true
		}
		pos, err := strconv.Atoi(v[1].String)
		if err != nil {
			return false
		}
		k.rows = append(k.rows, strings.Join([]string{"fk column", k.table, k.name, strconv.Itoa(pos + 1), v[2].String, k.refDB, k.refTable, v[3].String}, "\x1e"))
		return true
	})
	if err != nil {
		return false
	}
	for _, k := range keys {
		if len(k.rows) != k.cols {
			return false // a key changed between the two queries
		}
	}
	for _, k := range keys {
		for _, r := range k.rows {
			rows.add(k.db, "fk column", r)
		}
		rows.add(k.db, "fk", strings.Join([]string{"fk", k.table, k.name, k.update, k.del, k.refTable}, "\x1e"))
	}
	return true
}

// errInnodbRow stops innodbRows at a row its function cannot use.
var errInnodbRow = errors.New("a row of InnoDB's dictionary not understood")

// innodbRows runs query and calls f with each row until f returns false.
func innodbRows(ctx context.Context, conn *watchedConn, query string, f func([]sql.NullString) bool) error {
	rs, err := conn.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rs.Close()
	return stringRows(rs, func(vals []sql.NullString) error {
		if !f(vals) {
			return errInnodbRow
		}
		return nil
	})
}

// innodbDecodePath decodes "db/table" in InnoDB's file name encoding, for
// names of ASCII characters only (each other than a letter, digit or '_'
// written @ and 4 hex digits).
func innodbDecodePath(p string) (db, table string, ok bool) {
	encDB, encTable, found := strings.Cut(p, "/")
	if !found {
		return "", "", false
	}
	if db, ok = innodbDecode(encDB); !ok {
		return "", "", false
	}
	table, ok = innodbDecode(encTable)
	return db, table, ok
}

func innodbDecode(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
			b.WriteByte(c)
		case c == '@' && i+4 < len(s):
			v, err := strconv.ParseUint(s[i+1:i+5], 16, 8)
			if err != nil || v >= 0x80 || s[i+1:i+5] != fmt.Sprintf("%04x", v) {
				return "", false
			}
			if r := byte(v); r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' {
				return "", false // not how InnoDB writes it
			}
			b.WriteByte(byte(v))
			i += 4
		default:
			return "", false
		}
	}
	return b.String(), s != ""
}

// InnoDB's foreign key TYPE bits (dict0mem.h).
const (
	innodbDeleteCascade  = 1
	innodbDeleteSetNull  = 2
	innodbUpdateCascade  = 4
	innodbUpdateSetNull  = 8
	innodbDeleteNoAction = 16
	innodbUpdateNoAction = 32
)

// innodbRules returns the UPDATE_RULE and DELETE_RULE that
// information_schema shows for a foreign key of InnoDB type typ (as
// MariaDB's get_foreign_key_list names them).
func innodbRules(typ int) (update, del string, ok bool) {
	if typ < 0 || typ >= 64 {
		return "", "", false
	}
	rule := func(cascade, setNull, noAction int) string {
		switch {
		case typ&cascade != 0:
			return "CASCADE"
		case typ&setNull != 0:
			return "SET NULL"
		case typ&noAction != 0:
			return "NO ACTION"
		}
		return "RESTRICT"
	}
	return rule(innodbUpdateCascade, innodbUpdateSetNull, innodbUpdateNoAction), rule(innodbDeleteCascade, innodbDeleteSetNull, innodbDeleteNoAction), true
}

func readFingerprintRows(ctx context.Context, conn *watchedConn, query string, args []any, name string, want map[string]bool, out fpRows, partitioned *[][2]string) error {
	rs, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return err
	}
	// Raw bytes, one buffer for the row: a server of 1,000 tenants has
	// over 200,000 catalog rows, read on the CPU the server reads them on.
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	schemaCol := make([]bool, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
		schemaCol[i] = strings.HasSuffix(cols[i], "_SCHEMA")
	}
	var b []byte
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return err
		}
		if !want[string(vals[0])] {
			continue
		}
		db := vals[0]
		b = append(b[:0], name...)
		for i, v := range vals[1:] {
			b = append(b, '\x1e')
			switch {
			case v == nil:
				b = append(b, 0)
			case schemaCol[i+1] && bytes.Equal(v, db):
				b = append(b, 1) // the database itself: its name is not its schema
			default:
				b = append(b, v...)
			}
		}
		out.addSum(string(db), name, sha256.Sum256(b))
		if partitioned != nil && bytes.Contains(bytes.ToLower(vals[createOptionsColumn]), []byte("partitioned")) {
			*partitioned = append(*partitioned, [2]string{string(db), string(vals[1])})
		}
	}
	return rs.Err()
}
