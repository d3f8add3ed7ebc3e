package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// tenantDB makes a test database with the tricky values a dump must carry
// exactly: NULL beside ”, quotes, backslashes, newlines, NUL bytes,
// binary, BIT, an id of 0, TIMESTAMP, DECIMAL, floats, JSON, a generated
// column and a foreign key.
func tenantDB(t *testing.T, db *sql.DB) string {
	t.Helper()
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, db, prefix)
	name := prefix + "src"
	for _, q := range []string{
		"CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
		"CREATE TABLE `" + name + "`.parties (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, note TEXT NULL, " +
			"logo VARBINARY(64) NULL, flags BIT(5) NULL, budget DECIMAL(12,2) NULL, ratio DOUBLE NULL, founded TIMESTAMP NULL, " +
			"info JSON NULL, latin VARCHAR(20) CHARACTER SET latin1 NULL, upper_name VARCHAR(100) AS (UPPER(name)) VIRTUAL)",
		"CREATE TABLE `" + name + "`.members (id BIGINT NOT NULL PRIMARY KEY, party_id INT NOT NULL, email VARCHAR(255) NOT NULL, " +
			"CONSTRAINT members_party FOREIGN KEY (party_id) REFERENCES parties (id))",
		"SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'",
		"INSERT INTO `" + name + "`.parties (id, name, note, logo, flags, budget, ratio, founded, info, latin) VALUES " +
			"(0, 'zero', '', X'', b'00000', 0, 0, '1970-01-01 00:00:01', '{}', ''), " +
			"(1, 'O''Brien \\\\ back', 'line1\\nline2\\r\\n\\0end\\Z', X'00FF0A0D27225C', b'10101', -1234567890.12, 1.0000000000000002e-300, '2038-01-19 03:14:07', '{\"a\": \"\\\\u00e9\\\\n\"}', 'caf\\xe9'), " +
			"(2, 'nulls', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), " +
			"(3, 'ünïcødé 🎉', 'Ω', X'F09F8E89', b'1', 99.99, -0.5, '2000-02-29 12:00:00', '[1,2]', 'é')",
		"CREATE TABLE `" + name + "`.dates (id INT NOT NULL PRIMARY KEY, d DATE NULL, dt DATETIME(6) NULL, t TIME NULL, y YEAR NULL)",
		"INSERT INTO `" + name + "`.dates VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '-838:59:59', 0), (2, '2026-11-30', '2026-11-30 13:14:15.123456', '12:00:00.5', 2026)",
		"INSERT INTO `" + name + "`.members VALUES (1, 1, 'a@example.org'), (2, 3, 'b@example.org'), (3, 0, 'c@example.org')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return name
}

func storage(t *testing.T) *Storage {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "backups"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestMySQLRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	src := tenantDB(t, db)
	st := storage(t)
	m, err := DumpMySQL(ctx, db, st, Options{Tenant: "acme", Database: src, Revision: "abc", SchemaHash: "h1", MaxStatement: 200})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Rows(); got != 9 {
		t.Errorf("rows: got %d, want 9", got)
	}
	if m.Engine != "mysql" || m.ServerVersion == "" || m.Charset != "utf8mb4" || m.Finished.IsZero() || len(m.Tables) != 3 {
		t.Errorf("manifest: %+v", m)
	}
	list, err := st.List(ctx, "acme")
	if err != nil || len(list) != 1 || list[0].ID != m.ID {
		t.Fatalf("list: %v %v", list, err)
	}
	dst := src[:len(src)-3] + "dst"
	if err := RestoreMySQL(ctx, db, st, list[0], RestoreOptions{Database: dst}); err != nil {
		t.Fatal(err)
	}
	// Read back independently of the checksum: every value as the server
	// returns it, and the generated column computed again.
	for _, q := range []string{
		"SELECT id, name, note, HEX(logo), flags + 0, budget, ratio, founded, info, HEX(latin), upper_name FROM `%s`.parties ORDER BY id",
		"SELECT * FROM `%s`.members ORDER BY id",
		"SELECT id, CAST(d AS CHAR), CAST(dt AS CHAR), CAST(t AS CHAR), y FROM `%s`.dates ORDER BY id",
	} {
		want := dumpRows(t, db, fmt.Sprintf(q, src))
		got := dumpRows(t, db, fmt.Sprintf(q, dst))
		if got != want {
			t.Errorf("restored rows differ:\ngot  %s\nwant %s", got, want)
		}
	}
	// Restoring again over existing tables is refused without Replace and
	// works with it.
	if err := RestoreMySQL(ctx, db, st, m, RestoreOptions{Database: dst}); err == nil {
		t.Error("restore over existing tables: no error")
	}
	if err := RestoreMySQL(ctx, db, st, m, RestoreOptions{Database: dst, Replace: true}); err != nil {
		t.Error(err)
	}
	// A changed row no longer verifies.
	if _, err := db.Exec("UPDATE `" + dst + "`.members SET email = 'x' WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	var verr *VerifyError
	if err := VerifyMySQL(ctx, db, m, dst, nil); !errors.As(err, &verr) || len(verr.Mismatches) != 1 || verr.Mismatches[0].Table != "members" {
		t.Errorf("verify after a change: %v", err)
	}
}

func dumpRows(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	_, all := testenv.Scan(t, rows)
	out := ""
	for _, row := range all {
		out += fmt.Sprintf("%q\n", row)
	}
	if out == "" {
		t.Fatalf("%s: no rows", q)
	}
	return out
}

func TestMySQLColumnBackup(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	src := tenantDB(t, db)
	st := storage(t)
	m, err := DumpMySQL(ctx, db, st, Options{Tenant: "acme", Database: src, Kind: KindBeforeLoss,
		Tables: []string{"parties"}, Columns: map[string][]string{"parties": {"note", "logo"}}})
	if err != nil {
		t.Fatal(err)
	}
	if tb := m.Tables[0]; len(m.Tables) != 1 || tb.Rows != 4 || len(tb.Key) != 1 || tb.Key[0] != "id" {
		t.Fatalf("manifest tables: %+v", m.Tables)
	}
	want := dumpRows(t, db, "SELECT id, note, HEX(logo) FROM `"+src+"`.parties ORDER BY id")
	for _, q := range []string{"ALTER TABLE `" + src + "`.parties DROP COLUMN note, DROP COLUMN logo",
		"ALTER TABLE `" + src + "`.parties ADD COLUMN note TEXT NULL AFTER name, ADD COLUMN logo VARBINARY(64) NULL AFTER note"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := RestoreMySQL(ctx, db, st, m, RestoreOptions{Database: src}); err != nil {
		t.Fatal(err)
	}
	if got := dumpRows(t, db, "SELECT id, note, HEX(logo) FROM `"+src+"`.parties ORDER BY id"); got != want {
		t.Errorf("column values after restore:\ngot  %s\nwant %s", got, want)
	}
	if _, err := DumpMySQL(ctx, db, st, Options{Tenant: "acme", Database: src, Tables: []string{"nope"}}); err == nil {
		t.Error("backup of a missing table: no error")
	}
}

func TestSQLiteRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "acme.db")
	db, err := openSQLite(path, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"PRAGMA journal_mode = WAL",
		"CREATE TABLE parties (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT, logo BLOB, ratio REAL, founded DATETIME)",
		"INSERT INTO parties VALUES (0, 'zero', '', x'', 0.0, '2020-01-01 00:00:00'), (1, 'a''b', 'l1\nl2', x'00ff', 1e-300, NULL), (2, 'n', NULL, NULL, NULL, NULL)",
		"CREATE TABLE members (id INTEGER PRIMARY KEY, email TEXT)",
		"INSERT INTO members VALUES (1, 'a@example.org')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st := storage(t)
	m, err := DumpSQLite(ctx, path, st, Options{Tenant: "acme", Database: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows() != 4 || m.File == nil || m.File.Stored == 0 || m.File.Stored >= m.File.Bytes {
		t.Fatalf("manifest: %+v %+v", m, m.File)
	}
	want := dumpRows(t, db, "SELECT id, name, note, hex(logo), ratio, founded FROM parties ORDER BY id")
	if _, err := db.Exec("DELETE FROM parties WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := RestoreSQLite(ctx, st, m, path, RestoreOptions{Database: "acme"}); err == nil {
		t.Error("restore over an existing file without Replace: no error")
	}
	// Tables only: the rows of parties come back, members is untouched.
	if err := RestoreSQLite(ctx, st, m, path, RestoreOptions{Database: "acme", Tables: []string{"parties"}}); err != nil {
		t.Fatal(err)
	}
	db, _ = openSQLite(path, true)
	got := dumpRows(t, db, "SELECT id, name, note, hex(logo), ratio, founded FROM parties ORDER BY id")
	db.Close()
	if got != want {
		t.Errorf("after restore:\ngot  %s\nwant %s", got, want)
	}
	other := filepath.Join(dir, "copy.db")
	if err := RestoreSQLite(ctx, st, m, other, RestoreOptions{Database: "copy"}); err != nil {
		t.Fatal(err)
	}
	got2, err := sqliteChecksums(ctx, other, nil)
	if err != nil || compare(m, got2) != nil || len(got2) != 2 {
		t.Errorf("new file: %v %v", got2, err)
	}
}

func TestParseID(t *testing.T) {
	for id, ok := range map[string]bool{
		"acme/20261130T125900Z-0a1b2c3d":      true,
		"../etc/20261130T125900Z-0a1b2c3d":    false,
		"acme/20261130T125900Z-0a1b2c3d/../x": false,
		"acme":                                false,
		"":                                    false,
	} {
		if _, _, err := ParseID(id); (err == nil) != ok {
			t.Errorf("ParseID(%q): %v", id, err)
		}
	}
}

func TestOpenRefusesCredentialsInURL(t *testing.T) {
	_, err := Open(context.Background(), "s3://key:secret@bucket/prefix")
	if err == nil {
		t.Fatal("no error")
	}
	if s := err.Error(); contains(s, "secret") {
		t.Errorf("error shows the secret: %s", s)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A deleted backup, and one that failed, leave no directory behind in a
// storage on the local disk; other backups' directories stay.
func TestDeleteLeavesNoEmptyDirectories(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "acme.db")
	db, err := openSQLite(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	root := filepath.Join(t.TempDir(), "backups")
	st, err := Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kept, err := DumpSQLite(ctx, path, st, Options{Tenant: "acme", Database: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := DumpSQLite(ctx, path, st, Options{Tenant: "acme", Database: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	// A failed backup: the file is no SQLite database.
	os.WriteFile(filepath.Join(dir, "bad.db"), []byte("not a database"), 0o644)
	if _, err := DumpSQLite(ctx, filepath.Join(dir, "bad.db"), st, Options{Tenant: "beta", Database: "beta"}); err == nil {
		t.Fatal("a backup of a file that is no database succeeded")
	}
	var dirs []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	if want := []string{".", "acme", kept.ID}; !slices.Equal(dirs, want) {
		t.Errorf("directories %v, want %v", dirs, want)
	}
}
