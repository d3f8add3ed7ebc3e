package backup

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

func openSQLite(path string, readOnly bool) (*sql.DB, error) {
	mode := "rwc"
	if readOnly {
		mode = "ro"
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode="+mode+"&_pragma=busy_timeout(15000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// quoteSQLite quotes an SQLite identifier.
func quoteSQLite(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// DumpSQLite backs up the SQLite database file at path into st: a
// consistent copy made with VACUUM INTO (readers and writers carry on),
// its tables counted and checksummed, then compressed. The manifest is
// written last.
func DumpSQLite(ctx context.Context, path string, st *Storage, opts Options) (m *Manifest, err error) {
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
	m = opts.manifest(id, "sqlite", started)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("backup %s: %w", opts.Database, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".landlord-backup-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cp := filepath.Join(tmp, "copy.db")
	src, err := openSQLite(path, true)
	if err != nil {
		return nil, err
	}
	_, err = src.ExecContext(ctx, "VACUUM INTO ?", cp)
	if err == nil {
		err = src.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&m.ServerVersion)
	}
	src.Close()
	if err != nil {
		return nil, fmt.Errorf("backup %s: vacuum into: %w", opts.Database, err)
	}
	tables, err := sqliteChecksums(ctx, cp, opts.Tables)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", opts.Database, err)
	}
	m.Tables = tables
	f, err := os.Open(cp)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ow, err := st.newObject(ctx, id+"/database.db.zst")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(ow, f); err != nil {
		ow.bw.Close()
		return nil, st.wrap(err)
	}
	if m.File, err = ow.close(); err != nil {
		return nil, st.wrap(err)
	}
	if opts.Progress != nil {
		for _, t := range m.Tables {
			opts.Progress(t.Name, t.Rows)
		}
	}
	m.Finished = opts.now()
	if err := st.writeManifest(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// sqliteChecksums counts and checksums the tables of the SQLite file at
// path (only those named, when any).
func sqliteChecksums(ctx context.Context, path string, only []string) ([]Table, error) {
	db, err := openSQLite(path, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	names := only
	if len(names) == 0 {
		rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			names = append(names, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out []Table
	for _, n := range names {
		var cols []string
		rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", n)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return nil, err
			}
			cols = append(cols, "quote("+quoteSQLite(c)+")")
		}
		rows.Close()
		if len(cols) == 0 {
			return nil, fmt.Errorf("no table %s", n)
		}
		// quote() writes every value as SQLite reads it back, NULL and
		// blobs included: the same text whatever the driver's conversions.
		sum, err := checksumQuery(ctx, db, len(cols), "SELECT "+strings.Join(cols, ",")+" FROM "+quoteSQLite(n))
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", n, err)
		}
		out = append(out, Table{Name: n, Rows: sum.rows, Checksum: sum.String()})
	}
	return out, nil
}

// RestoreSQLite restores backup m as the SQLite database file at path: the
// file is decompressed beside it, verified against the manifest, and only
// then moved into place, so a restore cut short leaves the old file as it
// was. With Tables, only those tables' rows are replaced, inside one
// transaction. An existing file is replaced only with opts.Replace.
func RestoreSQLite(ctx context.Context, st *Storage, m *Manifest, path string, opts RestoreOptions) error {
	if m.Engine != "sqlite" || m.File == nil {
		return fmt.Errorf("backup %s is not of an SQLite database", m.ID)
	}
	_, statErr := os.Stat(path)
	exists := statErr == nil
	if exists && !opts.Replace && len(opts.Tables) == 0 {
		return fmt.Errorf("restore %s: %s exists", opts.Database, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".landlord-restore-*.db")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	r, err := st.bucket.NewReader(ctx, m.File.Key, nil)
	if err != nil {
		tmp.Close()
		return st.wrap(err)
	}
	z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(64<<20))
	if err == nil {
		_, err = io.Copy(tmp, z)
		z.Close()
	}
	r.Close()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore %s: %w", opts.Database, err)
	}
	got, err := sqliteChecksums(ctx, tmp.Name(), opts.Tables)
	if err != nil {
		return fmt.Errorf("restore %s: %w", opts.Database, err)
	}
	if err := compare(m, got); err != nil {
		return err
	}
	if len(opts.Tables) > 0 && exists {
		if err := copySQLiteTables(ctx, tmp.Name(), path, opts.Tables); err != nil {
			return fmt.Errorf("restore %s: %w", opts.Database, err)
		}
		got, err := sqliteChecksums(ctx, path, opts.Tables)
		if err != nil {
			return err
		}
		return compare(m, got)
	}
	// The old file's journal must not outlive it.
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if opts.Progress != nil {
		for _, t := range got {
			opts.Progress(t.Name, t.Rows)
		}
	}
	return nil
}

// copySQLiteTables replaces the rows of tables in the file dst with those
// of src, in one transaction.
func copySQLiteTables(ctx context.Context, src, dst string, tables []string) error {
	db, err := openSQLite(dst, false)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS landlord_backup", src); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE landlord_backup")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range tables {
		q := quoteSQLite(t)
		if _, err := tx.ExecContext(ctx, "DELETE FROM main."+q); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO main."+q+" SELECT * FROM landlord_backup."+q); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	return tx.Commit()
}

func compare(m *Manifest, got []Table) error {
	verr := &VerifyError{Backup: m.ID}
	for _, g := range got {
		w, _ := m.Table(g.Name)
		if g.Rows != w.Rows || g.Checksum != w.Checksum {
			verr.Mismatches = append(verr.Mismatches, Mismatch{Table: g.Name, WantRows: w.Rows, GotRows: g.Rows, WantChecksum: w.Checksum, Checksum: g.Checksum})
		}
	}
	if len(verr.Mismatches) > 0 {
		return verr
	}
	return nil
}

// VerifySQLite compares the tables of the SQLite file at path with backup
// m's row counts and checksums.
func VerifySQLite(ctx context.Context, path string, m *Manifest) error {
	got, err := sqliteChecksums(ctx, path, nil)
	if err != nil {
		return err
	}
	if len(got) != len(m.Tables) {
		return fmt.Errorf("verify %s: %d tables, the backup has %d", m.ID, len(got), len(m.Tables))
	}
	return compare(m, got)
}
