package schema

import (
	"context"
	"strings"
	"testing"
)

// landlord's connections are strict whatever the URL asks: a statement
// that would truncate or convert a value fails instead.
func TestStrictSQLMode(t *testing.T) {
	t.Parallel()
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

// landlord's connections interpolate the arguments of a statement into its
// text, escaped for the connection's character set: a value of quotes,
// backslashes and NUL bytes reads back as it was, and a URL that would
// change the client's character set is refused.
func TestInterpolatedArguments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := mariaURL(t)
	srv, err := Open(ctx, url, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	conn, err := srv.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prepared := func() (n int) {
		t.Helper()
		var name string
		if err := conn.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Com_stmt_prepare'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := prepared()
	for _, v := range []string{"it's", `back\slash`, "nul\x00byte", "\\'; DROP DATABASE mysql; -- ", "ünï€ødé 😀", "\xbf\x5c'"} {
		var got string
		if err := conn.QueryRowContext(ctx, "SELECT CAST(? AS BINARY)", v).Scan(&got); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if got != v {
			t.Fatalf("%q read back as %q", v, got)
		}
	}
	// One round trip a statement: none was prepared on the server.
	if n := prepared() - before; n != 0 {
		t.Fatalf("%d statements prepared on the server, want their arguments interpolated", n)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	if _, err := Open(ctx, url+sep+"character_set_client=gbk", ServerOptions{}); err == nil || !strings.Contains(err.Error(), "character set") {
		t.Fatalf("a URL that sets the client's character set: %v, want it refused", err)
	}
}
