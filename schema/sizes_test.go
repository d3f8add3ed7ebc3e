package schema

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
)

// TestSizes: the sizes and table counts of MariaDB databases, read one by
// one and in bulk alike, with a missing database left out; and of SQLite
// files.
func TestSizes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	prefix := testenv.Name(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	var names []string
	for i := range 10 {
		name := fmt.Sprintf("%sd%d", prefix, i)
		names = append(names, name)
		mustExec(t, db, "CREATE DATABASE `"+name+"`")
		for j := range i % 4 {
			mustExec(t, db, fmt.Sprintf("CREATE TABLE `%s`.t%d (id int PRIMARY KEY, v varchar(100))", name, j))
		}
	}
	mustExec(t, db, "CREATE VIEW `"+names[3]+"`.v AS SELECT 1 AS one")
	mustExec(t, db, "INSERT INTO `"+names[3]+"`.t0 WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM s WHERE n < 900) SELECT n, REPEAT('x', 100) FROM s")
	mustExec(t, db, "ANALYZE TABLE `"+names[3]+"`.t0")
	names = append(names, prefix+"missing")
	bulk, err := srv.Sizes(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	if len(bulk) != 7 {
		t.Fatalf("%d sizes, want the 7 databases with tables", len(bulk))
	}
	exists, err := srv.Existing(ctx, names)
	if err != nil || len(exists) != 10 || exists[prefix+"missing"] {
		t.Fatalf("existing %v %v, want the 10 databases that exist", exists, err)
	}
	for i := range 10 {
		if got := bulk[names[i]].Tables; got != int64(i%4) {
			t.Errorf("%s: %d tables, want %d", names[i], got, i%4)
		}
	}
	if bulk[names[3]].Bytes <= bulk[names[7]].Bytes {
		t.Errorf("900 rows take no room: %d bytes against %d", bulk[names[3]].Bytes, bulk[names[7]].Bytes)
	}
	oneByOne := map[string]Size{}
	for _, n := range names {
		s, err := srv.Sizes(ctx, []string{n})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range s {
			oneByOne[k] = v
		}
	}
	if diff := cmp.Diff(oneByOne, bulk); diff != "" {
		t.Errorf("one by one (-) and in bulk (+):\n%s", diff)
	}

	dir := t.TempDir()
	lite, err := Open(ctx, "sqlite://"+dir, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	f, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, f, "CREATE TABLE x (id integer PRIMARY KEY)")
	mustExec(t, f, "CREATE TABLE y (id integer PRIMARY KEY)")
	mustExec(t, f, "CREATE VIEW z AS SELECT 1")
	f.Close()
	sizes, err := lite.Sizes(ctx, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 1 || sizes["a"].Tables != 2 || sizes["a"].Bytes == 0 {
		t.Errorf("sqlite sizes %+v, want a: 2 tables", sizes)
	}
	if exists, err := lite.Existing(ctx, []string{"a", "b"}); err != nil || len(exists) != 1 || !exists["a"] {
		t.Errorf("sqlite existing %v %v, want a", exists, err)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
