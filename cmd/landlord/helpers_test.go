package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// cli is a copy of the example repository whose tenants live in MariaDB
// databases of the test's own prefix, with a landlord database of its own,
// driven through the landlord command line.
type cli struct {
	t      *testing.T
	repo   string
	state  string
	server string
	prefix string
	db     *sql.DB
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	c := &cli{t: t, server: testenv.MySQLURL(t), prefix: testenv.Name(t), db: testenv.DB(t)}
	testenv.DropPrefix(t, c.db, c.prefix)
	c.repo = testenv.CopyExample(t, c.prefix)
	c.state = filepath.Join(t.TempDir(), "landlord.db")
	return c
}

// run runs landlord with args and returns its output and exit code.
func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// repoArgs are the flags of commands that read the repository.
func (c *cli) repoArgs() []string {
	return []string{"--repo", c.repo, "--server", "primary=" + c.server, "--state", c.state}
}

// must runs landlord with the repository flags appended and fails unless
// it exits with code.
func (c *cli) must(code int, args ...string) string {
	c.t.Helper()
	return c.mustRaw(code, append(args, c.repoArgs()...)...)
}

// mustRaw runs landlord with args as they are and fails unless it exits
// with code.
func (c *cli) mustRaw(code int, args ...string) string {
	c.t.Helper()
	out, errOut, got := c.run(args...)
	if got != code {
		c.t.Fatalf("landlord %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, out, errOut)
	}
	return out
}

// decode parses JSON output into v.
func (c *cli) decode(out string, v any) {
	c.t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("%v\n%s", err, out)
	}
}

// database returns the database of a tenant of the example.
func (c *cli) database(slug string) string {
	name := strings.ReplaceAll(slug, "-", "_")
	if slug == "rastriya-swatantra" {
		name = "rsp"
	}
	return c.prefix + name
}

// exec runs SQL on the server: the changes made by hand.
func (c *cli) exec(q string) {
	c.t.Helper()
	if _, err := c.db.Exec(q); err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
}

// count runs a COUNT query on information_schema.
func (c *cli) count(q string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.db.QueryRow(q, args...).Scan(&n); err != nil {
		c.t.Fatal(err)
	}
	return n
}

func (c *cli) hasColumn(slug, table, column string) bool {
	return c.count("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
		c.database(slug), table, column) == 1
}

func (c *cli) hasIndex(slug, table, index string) bool {
	return c.count("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ?",
		c.database(slug), table, index) > 0
}

func (c *cli) hasTable(slug, table string) bool {
	return c.count("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", c.database(slug), table) == 1
}

// store opens the landlord database, to look at its records.
func (c *cli) store() *state.Store {
	c.t.Helper()
	st, err := state.Open(context.Background(), c.state)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

// reconcileJSON is the part of reconcile --output json the tests read.
type reconcileJSON struct {
	RunID   int64 `json:"run_id"`
	Tenants []struct {
		Slug     string `json:"slug"`
		Action   string `json:"action"`
		PinnedTo string `json:"pinned_to"`
		Changes  []struct {
			SQL string `json:"sql"`
		} `json:"changes"`
		Drift []struct {
			Object string `json:"object"`
			Action string `json:"action"`
		} `json:"drift"`
	} `json:"tenants"`
}
