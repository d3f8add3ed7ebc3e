package backup

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// RestoreOptions describe one restore.
type RestoreOptions struct {
	// Database restored into: created when missing (MySQL and MariaDB), or
	// the file's database name (SQLite).
	Database string
	// Tables limits the restore to these tables of the backup.
	Tables []string
	// Replace drops a whole table that exists before creating it from the
	// backup; without it such a table is refused. Column backups always
	// fill the existing table.
	Replace bool
	// Progress, when set, is called after each table with its row count.
	Progress func(table string, rows int64)
}

// Mismatch is one table whose restored rows differ from the manifest.
type Mismatch struct {
	Table                  string
	WantRows, GotRows      int64
	WantChecksum, Checksum string
}

// VerifyError is returned when restored tables differ from the backup.
type VerifyError struct {
	Backup     string
	Mismatches []Mismatch
}

func (e *VerifyError) Error() string {
	var parts []string
	for _, m := range e.Mismatches {
		parts = append(parts, fmt.Sprintf("%s: %d rows checksum %s, backup has %d rows checksum %s", m.Table, m.GotRows, m.Checksum, m.WantRows, m.WantChecksum))
	}
	return fmt.Sprintf("restore of %s does not verify: %s", e.Backup, strings.Join(parts, "; "))
}

// selected returns the tables of m that opts restores.
func selected(m *Manifest, only []string) ([]Table, error) {
	if len(only) == 0 {
		return m.Tables, nil
	}
	var out []Table
	for _, n := range only {
		t, ok := m.Table(n)
		if !ok {
			return nil, fmt.Errorf("backup %s has no table %s", m.ID, n)
		}
		out = append(out, t)
	}
	return out, nil
}

var charsetName = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// RestoreMySQL restores backup m into opts.Database on the MySQL or
// MariaDB server db, table by table: a whole table is created from the
// backup's SHOW CREATE TABLE and filled; a column backup fills its columns
// into the existing rows by primary key. Every restored table is then
// read back and its row count and checksum compared with the manifest
// (*VerifyError). A restore cut short leaves the tables it did not finish;
// running it again with Replace starts them over.
func RestoreMySQL(ctx context.Context, db *sql.DB, st *Storage, m *Manifest, opts RestoreOptions) error {
	if m.Engine != "mysql" {
		return fmt.Errorf("backup %s is of a %s database", m.ID, m.Engine)
	}
	tables, err := selected(m, opts.Tables)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	create := "CREATE DATABASE IF NOT EXISTS " + quoteName(opts.Database)
	if charsetName.MatchString(m.Charset) && charsetName.MatchString(m.Collation) {
		create += " CHARACTER SET " + m.Charset + " COLLATE " + m.Collation
	}
	for _, q := range []string{mysqlSession,
		// Rows keep the ids they had, 0 included; foreign keys are checked
		// by the schema once every table is back, not row by row.
		"SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO')",
		"SET SESSION foreign_key_checks = 0", create, "USE " + quoteName(opts.Database)} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("restore %s: %w", opts.Database, err)
		}
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SET SESSION foreign_key_checks = 1")
	for _, t := range tables {
		if err := restoreMySQLTable(ctx, conn, st, opts, t); err != nil {
			return fmt.Errorf("restore %s.%s: %w", opts.Database, t.Name, err)
		}
		if opts.Progress != nil {
			opts.Progress(t.Name, t.Rows)
		}
	}
	return VerifyMySQL(ctx, db, m, opts.Database, opts.Tables)
}

func restoreMySQLTable(ctx context.Context, conn *sql.Conn, st *Storage, opts RestoreOptions, t Table) error {
	if len(t.Columns) == 0 {
		wantCreate := "CREATE TABLE " + quoteName(t.Name) + " ("
		if !strings.HasPrefix(t.Create, wantCreate) {
			return fmt.Errorf("the backup's CREATE TABLE does not create %s", t.Name)
		}
		if opts.Replace {
			if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteName(t.Name)); err != nil {
				return err
			}
		}
		if _, err := conn.ExecContext(ctx, t.Create); err != nil {
			return err
		}
	}
	if t.Data == nil {
		return nil
	}
	r, err := st.bucket.NewReader(ctx, t.Data.Key, nil)
	if err != nil {
		return st.wrap(err)
	}
	defer r.Close()
	z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		return err
	}
	defer z.Close()
	// Every statement of a dump is one line (newlines in values are
	// escaped) and inserts into this table only: a line that does not is
	// refused, so a tampered backup cannot run other SQL.
	head := []byte("INSERT INTO " + quoteName(t.Name) + " (")
	into := head
	if len(t.Columns) > 0 {
		// A column backup goes into a temporary table of the key and the
		// columns, then into the rows by key: an INSERT ... ON DUPLICATE
		// KEY UPDATE would need every NOT NULL column of the table.
		if err := columnStaging(ctx, conn, t); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TEMPORARY TABLE IF EXISTS "+quoteName(stagingTable))
		into = []byte("INSERT INTO " + quoteName(stagingTable) + " (")
	}
	br := bufio.NewReaderSize(z, 64<<10)
	// Statements commit in batches (up to 16 MiB): one log flush per
	// batch rather than per statement.
	const batch = 64
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				return err
			}
			if len(t.Columns) > 0 {
				return fillColumns(ctx, conn, t)
			}
			return nil
		}
		if n%batch == 0 {
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
				return err
			}
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: %w", t.Data.Key, err)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if !bytes.HasPrefix(line, head) || !bytes.HasSuffix(line, []byte(";")) {
			return fmt.Errorf("%s: statement %d is not an insert into %s", t.Data.Key, n, t.Name)
		}
		stmt := string(into) + string(line[len(head):len(line)-1])
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("statement %d: %w", n, err)
		}
	}
}

// stagingTable holds a column backup's rows during its restore.
const stagingTable = "landlord_restore_columns"

func columnStaging(ctx context.Context, conn *sql.Conn, t Table) error {
	var key, cols []string
	for _, k := range t.Key {
		key = append(key, quoteName(k))
	}
	for _, c := range append(append([]string(nil), t.Key...), t.Columns...) {
		cols = append(cols, quoteName(c))
	}
	for _, q := range []string{
		"DROP TEMPORARY TABLE IF EXISTS " + quoteName(stagingTable),
		"CREATE TEMPORARY TABLE " + quoteName(stagingTable) + " (PRIMARY KEY (" + strings.Join(key, ",") + ")) SELECT " +
			strings.Join(cols, ",") + " FROM " + quoteName(t.Name) + " LIMIT 0",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("stage the columns: %w", err)
		}
	}
	return nil
}

// fillColumns sets the backed-up columns of the table's rows from the
// staging table, by primary key.
func fillColumns(ctx context.Context, conn *sql.Conn, t Table) error {
	var on, set []string
	for _, k := range t.Key {
		on = append(on, "t."+quoteName(k)+" = s."+quoteName(k))
	}
	for _, c := range t.Columns {
		set = append(set, "t."+quoteName(c)+" = s."+quoteName(c))
	}
	_, err := conn.ExecContext(ctx, "UPDATE "+quoteName(t.Name)+" t JOIN "+quoteName(stagingTable)+" s ON "+strings.Join(on, " AND ")+
		" SET "+strings.Join(set, ", "))
	if err != nil {
		return fmt.Errorf("fill the columns: %w", err)
	}
	return nil
}

// VerifyMySQL reads back the tables of m (only those named, when any) in
// database and compares their row counts and checksums with the manifest.
func VerifyMySQL(ctx context.Context, db *sql.DB, m *Manifest, database string, only []string) error {
	tables, err := selected(m, only)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, mysqlSession); err != nil {
		return err
	}
	verr := &VerifyError{Backup: m.ID}
	for _, t := range tables {
		cols, _, err := mysqlColumns(ctx, conn, database, t.Name)
		if err != nil {
			return err
		}
		if len(t.Columns) > 0 {
			if cols, err = pick(cols, t.Key, t.Columns); err != nil {
				return fmt.Errorf("verify %s.%s: %w", database, t.Name, err)
			}
		}
		exprs := make([]string, len(cols))
		for i, c := range cols {
			exprs[i] = c.selectExpr()
		}
		sum, err := checksumQuery(ctx, conn, len(cols), "SELECT "+strings.Join(exprs, ",")+" FROM "+quoteName(database)+"."+quoteName(t.Name))
		if err != nil {
			return fmt.Errorf("verify %s.%s: %w", database, t.Name, err)
		}
		if sum.rows != t.Rows || sum.String() != t.Checksum {
			verr.Mismatches = append(verr.Mismatches, Mismatch{Table: t.Name, WantRows: t.Rows, GotRows: sum.rows, WantChecksum: t.Checksum, Checksum: sum.String()})
		}
	}
	if len(verr.Mismatches) > 0 {
		return verr
	}
	return nil
}

func checksumQuery(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, n int, query string) (*checksum, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vals := make([]sql.RawBytes, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	raw := make([][]byte, n)
	null := make([]bool, n)
	sum := newChecksum()
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			raw[i], null[i] = v, v == nil
		}
		sum.row(raw, null)
	}
	return sum, rows.Err()
}
