package testenv

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// SQLiteVictim makes an SQLite file outside any repository with a secrets
// table (one row, s3cret), for tests of paths that must not reach it, and
// returns its path. The caller's package registers the sqlite driver.
func SQLiteVictim(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "victim.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ('s3cret')"); err != nil {
		t.Fatal(err)
	}
	return path
}

// AssertSQLiteVictim fails t unless the file SQLiteVictim made still holds
// its secrets, and no other table.
func AssertSQLiteVictim(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT v FROM secrets").Scan(&v); err != nil || v != "s3cret" {
		t.Errorf("the victim's secrets: %q, %v; want them untouched", v, err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").Scan(&n); err != nil || n != 1 {
		t.Errorf("the victim has %d tables (%v), want only secrets", n, err)
	}
}
