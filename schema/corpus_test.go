package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// The corpus (testdata/corpus/*): real applications' install SQL, each
// applied to a scratch database, written as layers by LayerFiles, and
// reconciled into fresh tenants. For each: the first plan applies, the
// next is empty, the tenant hashes as the desired schema, drift against
// its own snapshot is clean, and every table's SHOW CREATE TABLE equals
// the source's. Then the same layers on SQLite converge, or composing
// them names what SQLite cannot hold.

// corpusTenants is the number of tenants reconciled per schema of tables
// tables: 2, or 1 for the schemas of more than 60 tables (their DDL is
// most of the corpus's time on a shared server), or
// LANDLORD_CORPUS_TENANTS for every schema in the longer run.
func corpusTenants(tables int) int {
	if n, err := strconv.Atoi(os.Getenv("LANDLORD_CORPUS_TENANTS")); err == nil && n > 0 {
		return n
	}
	if tables > 60 {
		return 1
	}
	return 2
}

func corpusNames(t *testing.T) []string {
	t.Helper()
	dirs, err := os.ReadDir("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		if d.IsDir() {
			names = append(names, d.Name())
		}
	}
	return names
}

// corpusStatements returns the statements of a corpus schema, with
// MediaWiki's installer placeholders replaced as its installer does.
func corpusStatements(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/corpus", name, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "/*_*/", "")
	s = strings.ReplaceAll(s, "/*$wgDBTableOptions*/", "ENGINE=InnoDB, DEFAULT CHARSET=binary")
	var out []string
	for _, st := range regexp.MustCompile(`;[ \t]*\n`).Split(s+"\n", -1) {
		if st = strings.TrimSpace(st); st != "" {
			out = append(out, st)
		}
	}
	return out
}

// loadCorpus applies a corpus schema to a new database db.
// corpusTables is the number of CREATE TABLE statements of a corpus schema.
func corpusTables(t *testing.T, name string) int {
	n := 0
	for _, st := range corpusStatements(t, name) {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(st)), "CREATE TABLE") {
			n++
		}
	}
	return n
}

func loadCorpus(t *testing.T, db *sql.DB, name, database string) {
	t.Helper()
	if _, err := db.Exec("CREATE DATABASE " + quoteIdent(database) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "USE "+quoteIdent(database)); err != nil {
		t.Fatal(err)
	}
	for _, st := range corpusStatements(t, name) {
		if _, err := conn.ExecContext(context.Background(), st); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, firstLine(st))
		}
	}
}

// corpusLayers converts the live source schema into two layers: basic
// with the schema block and the first half of the tables, a module with
// the rest.
func corpusLayers(t *testing.T, name string, live *Live) []Layer {
	t.Helper()
	tables := live.Tables()
	sort.Strings(tables)
	mid := ""
	if len(tables) > 1 {
		mid = tables[len(tables)/2]
	}
	first, rest, err := live.LayerFiles("tenant", func(table string) bool { return mid != "" && table >= mid })
	if err != nil {
		t.Fatal(err)
	}
	return []Layer{
		{Name: "basic", Files: []File{{Path: "layers/basic/" + name + ".hcl", Data: first}}},
		{Name: "module/" + name, Files: []File{{Path: "layers/modules/" + name + "/" + name + ".hcl", Data: rest}}},
	}
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := mariaURL(t)
	for _, name := range corpusNames(t) {
		t.Run(name, func(t *testing.T) {
			// The schemas are independent: their DDL waits on the disk
			// more than on a core.
			t.Parallel()
			if n := corpusTables(t, name); testing.Short() && n > 60 {
				t.Skipf("%d tables: make test runs the schemas of more than 60 tables, make test-short does not", n)
			}
			srv, err := Open(ctx, url, ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			prefix := testenv.Name(t)
			db := testenv.DB(t)
			testenv.DropPrefix(t, db, prefix)
			source := prefix + "src"
			loadCorpus(t, db, name, source)
			stg, err := srv.Read(ctx, source)
			if err != nil {
				t.Fatal(err)
			}
			src, err := stg.Inspect(ctx)
			stg.Close()
			if err != nil {
				t.Fatal(err)
			}
			layers := corpusLayers(t, name, src)
			d, err := Compose(MariaDB, layers, Options{Charset: "utf8mb4", Collation: "utf8mb4_unicode_ci"})
			if err != nil {
				t.Fatalf("compose: %v", err)
			}
			want, err := srv.DesiredHash(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < corpusTenants(len(src.Tables())); i++ {
				provisionLikeSource(t, srv, prefix+"t"+strconv.Itoa(i), d, want, src, fmt.Sprintf("tenant %d: ", i))
			}
			t.Logf("%s: %d tables", name, len(src.Tables()))
			// The same layers on SQLite: they converge, or composing them
			// names each construct SQLite cannot hold, at its file and line.
			sd, err := Compose(SQLite, layers, Options{})
			if err == nil {
				// What composes may still not apply (a MariaDB-spelled
				// default): validate says so, at its file and line.
				err = CheckSQLite(ctx, sd)
			}
			if err != nil {
				var errs SourceErrors
				if !errors.As(err, &errs) {
					t.Fatalf("sqlite: %v", err)
				}
				for _, e := range errs {
					if e.File == "" || e.Line == 0 || !strings.Contains(e.Msg, "SQLite") {
						t.Errorf("sqlite: an error that names no construct and place: %v", e)
					}
				}
				t.Logf("sqlite: %d construct(s) SQLite cannot hold, first: %v", len(errs), errs[0])
				return
			}
			lite, err := Open(ctx, "sqlite://"+t.TempDir(), ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer lite.Close()
			reconcileFresh(t, lite, "corpus", sd)
		})
	}
}

// provisionLikeSource provisions tenant from d, composed of the layers of
// the source schema src, and checks it: its live hash is want, each
// table's SHOW CREATE TABLE is the source's, and drift against its own
// snapshot is clean. Errors begin with label.
func provisionLikeSource(t *testing.T, srv *Server, tenant string, d *Desired, want string, src *Live, label string) {
	t.Helper()
	ctx := context.Background()
	live := reconcileFresh(t, srv, tenant, d)
	if got, _ := live.Hash(); got != want {
		t.Errorf("%slive hash %.12s, desired %.12s", label, got, want)
	}
	for _, table := range src.Tables() {
		for _, diff := range CompareDDL(src.ddl[table], live.ddl[table]) {
			t.Errorf("%sSHOW CREATE TABLE differs from the source: %s", label, diff)
		}
	}
	hcl, _ := live.HCL()
	ddl, _ := live.DDL()
	base, err := LiveFromSnapshot(MariaDB, hcl, ddl)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := srv.Read(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	diffs, err := tg.Compare(ctx, base, live)
	if err != nil {
		t.Fatal(err)
	}
	for _, df := range diffs {
		t.Errorf("%sdrift right after apply: %s %s: %s", label, df.Object, df.Change, df.Detail)
	}
}

// reconcileFresh provisions database from d, checks that the next plan is
// empty and returns the live schema.
func reconcileFresh(t *testing.T, srv *Server, database string, d *Desired) *Live {
	t.Helper()
	ctx := context.Background()
	tg, err := srv.Lock(ctx, database, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	live, err := tg.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tg.Plan(ctx, live, d)
	if err != nil {
		t.Fatal(err)
	}
	return applyConverged(t, tg, p, d, "after apply")
}

// applyConverged applies p to tg and returns the live schema after it; a
// plan from there to d must be empty: each statement it still has is an
// error, reported after label.
func applyConverged(t testing.TB, tg *Target, p *Plan, d *Desired, label string) *Live {
	t.Helper()
	ctx := context.Background()
	if err := tg.Apply(ctx, p, nil); err != nil {
		for _, s := range p.Statements {
			t.Logf("%s", s.SQL)
		}
		t.Fatalf("%s: apply: %v", label, err)
	}
	live, err := tg.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tg.Plan(ctx, live, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range again.Statements {
		t.Errorf("%s: %s", label, s.SQL)
	}
	return live
}
