package backup

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"gocloud.dev/blob"
)

// DefaultMaxStatement bounds the size of one INSERT statement of a dump;
// a single row larger than it makes a statement of its own.
const DefaultMaxStatement = 256 << 10

// Options describe one backup.
type Options struct {
	// ID of the backup (NewID); a new one when empty.
	ID       string
	Tenant   string
	Database string
	Kind     string // KindManual when empty
	Revision string
	// SchemaHash and SchemaHCL are the live schema's, as the caller
	// inspected it; restore compares the restored schema's hash with it.
	SchemaHash string
	SchemaHCL  string
	// Tables limits the backup to these tables; every table when empty.
	Tables []string
	// Columns makes a table's backup a column backup: its primary key and
	// these columns only (MySQL and MariaDB).
	Columns map[string][]string
	// MaxStatement bounds one INSERT statement; DefaultMaxStatement when 0.
	MaxStatement int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Progress, when set, is called after each table with its row count.
	Progress func(table string, rows int64)
}

func (o *Options) id(at time.Time) (string, error) {
	if o.ID == "" {
		return NewID(o.Tenant, at)
	}
	tenant, _, err := ParseID(o.ID)
	if err == nil && tenant != o.Tenant {
		err = fmt.Errorf("backup id %s is not of tenant %s", o.ID, o.Tenant)
	}
	return o.ID, err
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// counter counts the bytes written through it.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// objectWriter writes one compressed object: raw counts the uncompressed
// bytes, stored the compressed ones.
type objectWriter struct {
	key    string
	bw     *blob.Writer
	stored *counter
	z      *zstd.Encoder
	raw    *counter
}

// encoderOptions bound the encoder's memory: one goroutine and a 4 MiB
// window, whatever the size of the data.
var encoderOptions = []zstd.EOption{zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1 << 20), zstd.WithEncoderLevel(zstd.SpeedDefault)}

func (s *Storage) newObject(ctx context.Context, key string) (*objectWriter, error) {
	bw, err := s.bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/zstd", BufferSize: 5 << 20, MaxConcurrency: 1})
	if err != nil {
		return nil, s.wrap(err)
	}
	stored := &counter{w: bw}
	z, err := zstd.NewWriter(stored, encoderOptions...)
	if err != nil {
		bw.Close()
		return nil, err
	}
	return &objectWriter{key: key, bw: bw, stored: stored, z: z, raw: &counter{w: z}}, nil
}

func (o *objectWriter) Write(p []byte) (int, error) { return o.raw.Write(p) }

// close finishes the object; abort is set when the object must not be kept
// (the context of the blob writer is then cancelled by the caller).
func (o *objectWriter) close() (*Object, error) {
	if err := o.z.Close(); err != nil {
		o.bw.Close()
		return nil, err
	}
	if err := o.bw.Close(); err != nil {
		return nil, err
	}
	return &Object{Key: o.key, Bytes: o.raw.n, Stored: o.stored.n}, nil
}

// cleanup removes what an interrupted or failed backup wrote. The manifest
// was never written, so the backup was never usable; this only saves the
// space.
func (s *Storage) cleanup(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s.deleteObjects(ctx, id)
}

// quoteName quotes a MySQL identifier.
func quoteName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// valueKind is how a column's values are written in a dump.
type valueKind int

const (
	textValue   valueKind = iota // '...' with backslash escapes
	numberValue                  // bare, when it reads as a number
	bytesValue                   // X'...'
)

func kindOf(dataType string) valueKind {
	switch strings.ToLower(dataType) {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float", "double", "real":
		return numberValue
	case "bit", "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
		"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection":
		return bytesValue
	}
	return textValue
}

const hexDigits = "0123456789abcdef"

// appendValue writes one value as a literal the server reads back as the
// same value, whatever bytes it holds.
func appendValue(b []byte, v []byte, k valueKind) []byte {
	if v == nil {
		return append(b, "NULL"...)
	}
	switch k {
	case numberValue:
		if isNumber(v) {
			return append(b, v...)
		}
	case bytesValue:
		b = append(b, "X'"...)
		for _, c := range v {
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		}
		return append(b, '\'')
	}
	b = append(b, '\'')
	for _, c := range v {
		switch c {
		case 0:
			b = append(b, '\\', '0')
		case '\'':
			b = append(b, '\\', '\'')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case 0x1a:
			b = append(b, '\\', 'Z')
		default:
			b = append(b, c)
		}
	}
	return append(b, '\'')
}

func isNumber(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			return false
		}
	}
	return true
}

type column struct {
	name     string
	kind     valueKind
	temporal bool
}

// selectExpr is how a dump and a verify read a column: temporal values
// as the server's own text, whatever the connection's parseTime (which
// would turn them into Go times, and zero dates into nothing).
func (c column) selectExpr() string {
	if c.temporal {
		return "CAST(" + quoteName(c.name) + " AS CHAR)"
	}
	return quoteName(c.name)
}

func isTemporal(dataType string) bool {
	switch strings.ToLower(dataType) {
	case "date", "datetime", "timestamp", "time", "year":
		return true
	}
	return false
}

// mysqlSession settles what a dump or a restore reads and writes:
// TIMESTAMP values in UTC, so a server's time zone never shifts them.
const mysqlSession = "SET SESSION time_zone = '+00:00'"

// manifest starts the manifest of backup id of an engine.
func (o Options) manifest(id, engine string, started time.Time) *Manifest {
	m := &Manifest{Format: FormatVersion, ID: id, Tenant: o.Tenant, Database: o.Database, Kind: o.Kind,
		Revision: o.Revision, SchemaHash: o.SchemaHash, SchemaHCL: o.SchemaHCL, Engine: engine, Started: started}
	if m.Kind == "" {
		m.Kind = KindManual
	}
	return m
}

// DumpMySQL backs up database on the MySQL or MariaDB server db into st,
// in one consistent-snapshot transaction, table by table, and writes the
// manifest last. On failure nothing usable is left behind.
func DumpMySQL(ctx context.Context, db *sql.DB, st *Storage, opts Options) (m *Manifest, err error) {
	started := opts.now()
	id, err := opts.id(started)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			st.cleanup(id)
		}
	}()
	m = opts.manifest(id, "mysql", started)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	for _, q := range []string{mysqlSession, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("backup %s: %s: %w", opts.Database, q, err)
		}
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&m.ServerVersion); err != nil {
		return nil, err
	}
	if err := conn.QueryRowContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", opts.Database).
		Scan(&m.Charset, &m.Collation); err != nil {
		if err == sql.ErrNoRows {
			return nil, fmt.Errorf("backup %s: no such database", opts.Database)
		}
		return nil, err
	}
	tables, err := mysqlTables(ctx, conn, opts.Database, opts.Tables)
	if err != nil {
		return nil, err
	}
	max := opts.MaxStatement
	if max <= 0 {
		max = DefaultMaxStatement
	}
	for i, name := range tables {
		t, err := dumpMySQLTable(ctx, conn, st, opts.Database, name, opts.Columns[name], fmt.Sprintf("%s/t%04d.sql.zst", id, i), max)
		if err != nil {
			return nil, fmt.Errorf("backup %s.%s: %w", opts.Database, name, err)
		}
		m.Tables = append(m.Tables, t)
		if opts.Progress != nil {
			opts.Progress(name, t.Rows)
		}
	}
	m.Finished = opts.now()
	if err := st.writeManifest(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// mysqlTables returns the base tables of database, or those of only that
// exist (a missing one is an error).
func mysqlTables(ctx context.Context, conn *sql.Conn, database string, only []string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", database)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		all = append(all, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(only) == 0 {
		return all, nil
	}
	have := map[string]bool{}
	for _, n := range all {
		have[n] = true
	}
	for _, n := range only {
		if !have[n] {
			return nil, fmt.Errorf("backup %s: no table %s", database, n)
		}
	}
	return only, nil
}

// mysqlColumns returns the stored columns of a table (generated ones are
// computed again on restore) and its primary key.
func mysqlColumns(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, database, table string) (cols []column, key []string, err error) {
	rows, err := q.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_KEY FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COALESCE(GENERATION_EXPRESSION, '') = '' ORDER BY ORDINAL_POSITION`, database, table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, typ, ck string
		if err := rows.Scan(&name, &typ, &ck); err != nil {
			return nil, nil, err
		}
		cols = append(cols, column{name: name, kind: kindOf(typ), temporal: isTemporal(typ)})
		if ck == "PRI" {
			key = append(key, name)
		}
	}
	return cols, key, rows.Err()
}

func dumpMySQLTable(ctx context.Context, conn *sql.Conn, st *Storage, database, name string, only []string, key string, max int) (Table, error) {
	t := Table{Name: name}
	var ignored string
	if err := conn.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteName(database)+"."+quoteName(name)).Scan(&ignored, &t.Create); err != nil {
		return t, err
	}
	cols, pk, err := mysqlColumns(ctx, conn, database, name)
	if err != nil {
		return t, err
	}
	// Without a primary key, columns cannot be put back into their rows:
	// such a table is backed up whole.
	if len(only) > 0 && len(pk) > 0 {
		cols, err = pick(cols, pk, only)
		if err != nil {
			return t, err
		}
		t.Columns, t.Key = only, pk
	}
	names := make([]string, len(cols))
	exprs := make([]string, len(cols))
	for i, c := range cols {
		names[i], exprs[i] = quoteName(c.name), c.selectExpr()
	}
	head := "INSERT INTO " + quoteName(name) + " (" + strings.Join(names, ",") + ") VALUES "
	tail := ";\n"
	ow, err := st.newObject(ctx, key)
	if err != nil {
		return t, err
	}
	rows, err := conn.QueryContext(ctx, "SELECT "+strings.Join(exprs, ",")+" FROM "+quoteName(database)+"."+quoteName(name))
	if err != nil {
		ow.bw.Close()
		return t, err
	}
	defer rows.Close()
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	raw := make([][]byte, len(cols))
	null := make([]bool, len(cols))
	sum := newChecksum()
	stmt := make([]byte, 0, max+1024)
	var row []byte
	flush := func() error {
		if len(stmt) == 0 {
			return nil
		}
		stmt = append(stmt, tail...)
		_, err := ow.Write(stmt)
		stmt = stmt[:0]
		return err
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			ow.bw.Close()
			return t, err
		}
		row = append(row[:0], '(')
		for i, v := range vals {
			raw[i], null[i] = v, v == nil
			if i > 0 {
				row = append(row, ',')
			}
			row = appendValue(row, v, cols[i].kind)
		}
		row = append(row, ')')
		sum.row(raw, null)
		if len(stmt) > 0 && len(stmt)+1+len(row)+len(tail) > max {
			if err := flush(); err != nil {
				ow.bw.Close()
				return t, err
			}
		}
		if len(stmt) == 0 {
			stmt = append(stmt, head...)
		} else {
			stmt = append(stmt, ',')
		}
		stmt = append(stmt, row...)
	}
	if err := rows.Err(); err != nil {
		ow.bw.Close()
		return t, err
	}
	if err := flush(); err != nil {
		ow.bw.Close()
		return t, err
	}
	obj, err := ow.close()
	if err != nil {
		return t, st.wrap(err)
	}
	t.Data, t.Rows, t.Checksum = obj, sum.rows, sum.String()
	return t, nil
}

// pick returns the key columns then the named ones, in that order.
func pick(cols []column, key, only []string) ([]column, error) {
	by := map[string]column{}
	for _, c := range cols {
		by[c.name] = c
	}
	var out []column
	for _, n := range append(append([]string(nil), key...), only...) {
		c, ok := by[n]
		if !ok {
			return nil, fmt.Errorf("no column %s", n)
		}
		out = append(out, c)
	}
	return out, nil
}
