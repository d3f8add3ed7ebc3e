package schema

import (
	"context"
	"strings"
	"testing"
)

// landlord's connections are strict whatever the URL asks: a statement
// that would truncate or convert a value fails instead.
func TestStrictSQLMode(t *testing.T) {
	ctx := context.Background()
	url := mariaURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	srv, err := Open(ctx, url+sep+"sql_mode=%27ANSI_QUOTES,NO_BACKSLASH_ESCAPES%27&SQL_MODE=%27%27", ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var mode string
	if err := srv.db.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STRICT_ALL_TABLES", "STRICT_TRANS_TABLES", "ERROR_FOR_DIVISION_BY_ZERO"} {
		if !strings.Contains(mode, want) {
			t.Errorf("sql_mode %q: want %s", mode, want)
		}
	}
	for _, unwanted := range []string{"ANSI_QUOTES", "NO_BACKSLASH_ESCAPES"} {
		if strings.Contains(mode, unwanted) {
			t.Errorf("sql_mode %q: want no %s", mode, unwanted)
		}
	}
}
