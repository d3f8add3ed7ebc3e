package schema

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

func TestCheckStatement(t *testing.T) {
	t.Parallel()
	names := intended{"t_001": true, "leak": true, "users": true, "id": true, "a": true, "b": true}
	for _, tc := range []struct {
		engine Engine
		sql    string
		want   string // "" when it may run
	}{
		{MariaDB, "CREATE TABLE `t_001`.`users` (`id` int NOT NULL COMMENT \"it's \\\" ok\")", ""},
		{MariaDB, "ALTER TABLE `t_001`.`users` ADD COLUMN `a` varchar(3) DEFAULT 'x''y'", ""},
		{SQLite, "ALTER TABLE `users` ADD COLUMN `b` text DEFAULT 'a\\'", ""},
		{MariaDB, "CREATE TABLE `t_001`.`leak` AS SELECT * FROM `t_002`.`users` #` (`id` int)", `the name "t_002" is not one the plan intended`},
		{MariaDB, "DROP TABLE `t_001`.`a`, `b`", ""}, // both intended: only names of the plan
		{MariaDB, "DROP TABLE `t_001`.`users`; DROP DATABASE `t_001`", "a second statement"},
		{MariaDB, "ALTER TABLE `users` COMMENT 'x' -- `", "a comment"},
		{MariaDB, "ALTER TABLE `users` COMMENT 'x' /* */", "a comment"},
		{MariaDB, "ALTER TABLE `users` COMMENT 'x\\'", "a string that is not closed"},
		{MariaDB, "ALTER TABLE `users` MODIFY `id` enum('a','b') NULL, `x` int NULL, `y` enum('c')", `the name "x" is not one the plan intended`},
		{MariaDB, "ALTER TABLE `users", "a name that is not closed"},
		{MariaDB, "ALTER TABLE `us``ers` ADD `id` int", "not one the plan intended"},
	} {
		err := checkStatement(tc.engine, tc.sql, names)
		var refused *RefusedError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.sql, err)
		case tc.want != "" && (!errors.As(err, &refused) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v: want %q", tc.sql, err, tc.want)
		}
	}
}

// A live object whose name is no identifier (made out of band, not from a
// layer) is dropped by no statement: the plan's DROP is refused before
// anything runs. (A name with a backquote would read back as other names,
// as TestCheckStatement shows; it is not made on the shared server here,
// where MariaDB 10.11 once crashed inspecting such a table.)
func TestApplyRefusesNamesThatDoNotReadBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	d, err := Compose(srv.Engine(), []Layer{layer("basic", "basic.hcl", basicHCL)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.Name(t) + "db"
	dropDB(t, srv, db)
	applyDesired(t, srv, db, d)
	sqlDB := testenv.DB(t)
	for _, q := range []string{
		"CREATE TABLE `" + db + "`.`x # y` (id int)",
		"CREATE TABLE `" + db + "`.`keep` (id int)",
		"INSERT INTO `" + db + "`.`keep` VALUES (1)",
	} {
		if _, err := sqlDB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	tables := func() []string {
		rows, err := sqlDB.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", db)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			out = append(out, n)
		}
		sort.Strings(out)
		return out
	}
	before := tables()
	tg, err := srv.Lock(ctx, db, time.Second)
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
	var results []StatementResult
	err = tg.Apply(ctx, p, func(r StatementResult) { results = append(results, r) })
	var refused *RefusedError
	if !errors.As(err, &refused) || len(results) != 1 || !errors.As(results[0].Err, &refused) {
		t.Fatalf("apply: %v, results %+v: want the statement refused", err, results)
	}
	t.Logf("refused: %s: %v", refused.SQL, err)
	if after := tables(); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("tables %v after a refused plan, were %v", after, before)
	}
}
