// Package testenv gives landlord's tests their real databases: the MariaDB
// (or MySQL) server of the machine, with databases of a prefix of their own
// that are dropped afterwards, and copies of the example repository whose
// tenants use those databases.
//
// A test that needs MariaDB fails when the server is unreachable: set
// LANDLORD_TEST_MYSQL to its URL (default mysql://root@127.0.0.1:3306/).
// LANDLORD_SKIP_MYSQL=1 skips those tests on a developer machine; it is
// refused when CI=true, so CI can never pass without the database.
package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/landlord/landlord/internal/mysqlurl"
)

// Prefix starts the name of every database a test creates.
const Prefix = "lltest_"

// MySQLURL returns the URL of the test server, as landlord takes it
// (mysql://user:pass@host:port/), after checking that it answers.
func MySQLURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("LANDLORD_TEST_MYSQL")
	if u == "" {
		u = "mysql://root@127.0.0.1:3306/"
	}
	if os.Getenv("LANDLORD_SKIP_MYSQL") == "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("LANDLORD_SKIP_MYSQL=1 is not allowed when CI=true: the MariaDB tests must run")
		}
		t.Skip("LANDLORD_SKIP_MYSQL=1: MariaDB tests skipped on this machine")
	}
	if err := ping(u); err != nil {
		t.Fatalf("MariaDB is required for this test and is unreachable at %s: %v\n"+
			"start it (start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd) or set LANDLORD_TEST_MYSQL", u, err)
	}
	return u
}

var (
	pingOnce sync.Once
	pingErr  error
)

func ping(u string) error {
	pingOnce.Do(func() {
		db, err := Open(u)
		if err != nil {
			pingErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pingErr = db.PingContext(ctx)
	})
	return pingErr
}

// Open opens a database/sql handle on the server of a landlord URL.
func Open(u string) (*sql.DB, error) {
	cfg, _, _, err := mysqlurl.Parse(u)
	if err != nil {
		return nil, err
	}
	cfg.MultiStatements = true
	c, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// DB returns a handle on the test server, closed after the test.
func DB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := Open(MySQLURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// Name returns a database-name prefix unique to the test: lltest_, a
// shortened test name and a counter. Every database starting with it is
// dropped after the test.
func Name(t testing.TB) string {
	t.Helper()
	mu.Lock()
	counter++
	n := counter
	mu.Unlock()
	base := nonWord.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(base) > 24 {
		base = base[len(base)-24:]
	}
	base = strings.Trim(base, "_")
	return fmt.Sprintf("%s%s_%d%d_", Prefix, base, os.Getpid()%1000, n)
}

var (
	mu      sync.Mutex
	counter int
)

// DropPrefix drops every database whose name starts with prefix, now and
// after the test.
func DropPrefix(t testing.TB, db *sql.DB, prefix string) {
	t.Helper()
	if !strings.HasPrefix(prefix, Prefix) {
		t.Fatalf("refusing to drop databases outside %s*: %q", Prefix, prefix)
	}
	drop := func() {
		rows, err := db.Query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", strings.ReplaceAll(prefix, "_", `\_`)+"%")
		if err != nil {
			t.Errorf("list test databases: %v", err)
			return
		}
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		rows.Close()
		for _, n := range names {
			if _, err := db.Exec("DROP DATABASE IF EXISTS `" + n + "`"); err != nil {
				t.Errorf("drop %s: %v", n, err)
			}
		}
	}
	drop()
	t.Cleanup(drop)
}

// ExampleDir is the example repository, from any package of the module.
func ExampleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "platform")
}

// CopyExample copies the example repository into a new temporary directory
// and returns it. When dbPrefix is set, every tenant gets database
// <dbPrefix><default name>, so tests never touch each other's databases.
func CopyExample(t testing.TB, dbPrefix string) string {
	t.Helper()
	dst := t.TempDir()
	src := ExampleDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == ".landlord" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if dbPrefix != "" {
		PrefixDatabases(t, dst, dbPrefix)
	}
	return dst
}

var databaseLine = regexp.MustCompile(`(?m)^database:\s*(\S+)\s*$`)

// PrefixDatabases rewrites every tenant manifest of repo so that its
// database is prefix + its name.
func PrefixDatabases(t testing.TB, repo, prefix string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(repo, "tenants", "*.yaml"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		if m := databaseLine.FindStringSubmatch(s); m != nil {
			s = databaseLine.ReplaceAllString(s, "database: "+prefix+m[1])
		} else {
			slug := strings.TrimSuffix(filepath.Base(p), ".yaml")
			s += "database: " + prefix + strings.ReplaceAll(slug, "-", "_") + "\n"
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// WriteFile writes content to repo/rel, creating directories.
func WriteFile(t testing.TB, repo, rel, content string) {
	t.Helper()
	p := filepath.Join(repo, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Replace replaces old with new in repo/rel, failing when old is absent.
func Replace(t testing.TB, repo, rel, old, new string) {
	t.Helper()
	p := filepath.Join(repo, rel)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Scan reads what is left of rows, every column as text ("NULL" for a
// NULL), closes rows, and returns the column names with the rows.
func Scan(t testing.TB, rows *sql.Rows) (cols []string, out [][]string) {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, out
}
