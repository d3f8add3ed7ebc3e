package schema

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"ariga.io/atlas/sql/mysql"

	"github.com/landlord/landlord/internal/testenv"
)

// recorder keeps every query it passes on, with its arguments.
type recorder struct {
	querier
	mu      sync.Mutex
	queries []recorded
}

type recorded struct {
	query string
	args  []any
}

func (r *recorder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.mu.Lock()
	r.queries = append(r.queries, recorded{query, args})
	r.mu.Unlock()
	return r.querier.QueryContext(ctx, query, args...)
}

// TestInspectStaysInOneSchema: every information_schema query of an
// inspection reads one schema, whatever the number of schemas on the
// server: MariaDB's EXPLAIN of each says "Scanned 1 database" (or 0),
// never "Scanned all databases". The foreign-key query of Atlas's driver
// does not on its own (its BINARY casts); landlord's does.
func TestInspectStaysInOneSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.Engine() != MariaDB {
		t.Skip("EXPLAIN of information_schema scans is MariaDB's")
	}
	d, err := Compose(srv.Engine(), exampleLayers(t, "election", "social", "volunteers"), opts)
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.Name(t) + "db"
	dropDB(t, srv, db)
	applyDesired(t, srv, db, d)

	conn, err := srv.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rec := &recorder{querier: conn}
	drv, err := mysql.Open(inspectQuerier{rec})
	if err != nil {
		t.Fatal(err)
	}
	s, err := drv.InspectSchema(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	fks := 0
	for _, tb := range s.Tables {
		fks += len(tb.ForeignKeys)
	}
	if fks == 0 {
		t.Fatalf("the example inspected with no foreign key")
	}
	sawFK := false
	for _, q := range rec.queries {
		if !strings.Contains(strings.ToUpper(q.query), "INFORMATION_SCHEMA") {
			continue
		}
		if strings.Contains(q.query, "KEY_COLUMN_USAGE") {
			sawFK = true
		}
		if strings.Contains(q.query, "BINARY t1.TABLE_SCHEMA") {
			t.Errorf("a query casts the schema name:\n%s", q.query)
		}
		for _, extra := range explainExtras(t, conn, q) {
			if strings.Contains(extra, "Scanned all databases") {
				t.Errorf("reads every schema (%s):\n%s", extra, q.query)
			}
		}
	}
	if !sawFK {
		t.Errorf("no foreign-key query among %d queries", len(rec.queries))
	}
}

// explainExtras returns the Extra column of EXPLAIN q, one per table.
func explainExtras(t *testing.T, conn *sql.Conn, q recorded) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), "EXPLAIN "+q.query, q.args...)
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, q.query)
	}
	cols, all := testenv.Scan(t, rows)
	var out []string
	for _, row := range all {
		for i, c := range cols {
			if c == "Extra" {
				out = append(out, row[i])
			}
		}
	}
	return out
}
