package schema

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// fixtureHCL is landlord's own fixture: every kind of type and the table
// options Atlas's model lacks.
const fixtureHCL = `schema "tenant" {}

table "fx_types" {
  schema    = schema.tenant
  options   = { row_format = "DYNAMIC", stats_persistent = 1 }
  partition = "PARTITION BY HASH (` + "`id`" + `) PARTITIONS 2"
  column "id" {
    type           = int(10)
    unsigned       = true
    auto_increment = true
  }
  column "flag" {
    type    = sql("tinyint(1) unsigned")
    default = 0
  }
  column "zf" {
    type = sql("int(8) unsigned zerofill")
    null = true
  }
  column "f" {
    type = float(7,3)
    null = true
  }
  column "d" {
    type    = double(12,4)
    default = 0
  }
  column "amount" {
    type    = decimal(10,2)
    default = 0
  }
  column "e" {
    type    = enum("a", "b")
    default = "a"
  }
  column "v" {
    type    = varchar(300)
    charset = "utf8"
    collate = "utf8_bin"
    null    = true
  }
  column "inv" {
    type      = int
    invisible = true
    null      = true
  }
  column "b" {
    type = sql("blob compressed")
    null = true
  }
  column "bin" {
    type    = binary(16)
    default = sql("0x00")
  }
  column "ts" {
    type      = timestamp(6)
    default   = sql("current_timestamp(6)")
    on_update = sql("current_timestamp(6)")
  }
  column "y" {
    type = year
    null = true
  }
  column "bt" {
    type = bit(3)
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  index "k_flag" {
    columns = [column.flag]
  }
  check "chk_f" {
    expr = "f >= 0"
  }
}

table "fx_opts" {
  schema  = schema.tenant
  options = { checksum = 1, delay_key_write = 1, page_compressed = 1 }
  column "id" {
    type = int
  }
  column "u" {
    type = varchar(200)
    null = true
  }
  column "n" {
    type = int
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  index "u_hash" {
    unique  = true
    columns = [column.u]
    type    = HASH
  }
  index "k" {
    columns = [column.n]
  }
}
`

func composeFixture(t *testing.T, src string) *Desired {
	t.Helper()
	d, err := Compose(MariaDB, []Layer{{Name: "basic", Files: []File{{Path: "layers/basic/fixture.hcl", Data: []byte(src)}}}}, opts)
	if err != nil {
		t.Fatalf("compose: %v", err)
	}
	return d
}

// fixtureTenants are two databases of fixtureHCL, tenant and other, on
// the test's MariaDB server (srv, closed with the test), named after
// prefix.
type fixtureTenants struct {
	srv                   *Server
	db                    *sql.DB
	prefix, tenant, other string
}

// newFixtureTenants reconciles two databases of fixtureHCL: prefix+"t" and
// prefix+otherSuffix.
func newFixtureTenants(t *testing.T, otherSuffix string) fixtureTenants {
	t.Helper()
	srv, err := Open(context.Background(), mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f := fixtureTenants{srv: srv, db: testenv.DB(t), prefix: testenv.Name(t)}
	testenv.DropPrefix(t, f.db, f.prefix)
	d := composeFixture(t, fixtureHCL)
	f.tenant, f.other = f.prefix+"t", f.prefix+otherSuffix
	reconcileFresh(t, srv, f.tenant, d)
	reconcileFresh(t, srv, f.other, d)
	return f
}

// TestFixtureOutOfBand: every attribute changed by hand on a live tenant
// is drift, named with its attribute and both values; a plan restores
// them all and re-plans to nothing.
func TestFixtureOutOfBand(t *testing.T) {
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
	d := composeFixture(t, fixtureHCL)
	tenant := prefix + "t"
	base := reconcileFresh(t, srv, tenant, d)
	if h, _ := base.Hash(); h != mustHash(t, srv, d) {
		t.Fatalf("fresh tenant hash differs from desired")
	}
	q := func(table string) string { return quoteIdent(tenant) + "." + quoteIdent(table) }
	for _, st := range []string{
		"ALTER TABLE " + q("fx_types") + " MODIFY flag tinyint(1) NOT NULL DEFAULT 0",
		"ALTER TABLE " + q("fx_types") + " MODIFY f float NULL",
		"ALTER TABLE " + q("fx_types") + " MODIFY zf int(8) unsigned NULL",
		"ALTER TABLE " + q("fx_types") + " MODIFY id int(11) unsigned NOT NULL AUTO_INCREMENT",
		"ALTER TABLE " + q("fx_types") + " MODIFY b blob NULL",
		"ALTER TABLE " + q("fx_types") + " MODIFY inv int NULL",
		"ALTER TABLE " + q("fx_types") + " MODIFY v varchar(300) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci NULL",
		"ALTER TABLE " + q("fx_types") + " DROP CONSTRAINT chk_f, ADD CONSTRAINT chk_f CHECK (f >= 1)",
		"ALTER TABLE " + q("fx_types") + " PARTITION BY HASH (id) PARTITIONS 3",
		"ALTER TABLE " + q("fx_opts") + " ROW_FORMAT=COMPRESSED, CHECKSUM=0, DELAY_KEY_WRITE=0, PAGE_COMPRESSED=DEFAULT",
		"ALTER TABLE " + q("fx_opts") + " ALTER INDEX k IGNORED",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	tg, err := srv.Lock(ctx, tenant, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	live, err := tg.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := tg.Compare(ctx, base, live)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, df := range diffs {
		for _, a := range df.Attributes {
			got[df.Object.String()+" "+a.Attribute] = a.From + " → " + a.To
		}
	}
	for key, want := range map[string]string{
		"column fx_types.flag type":       "tinyint(1) unsigned → tinyint(1)",
		"column fx_types.f type":          "float(7,3) → float",
		"column fx_types.zf type":         "int(8) unsigned zerofill → int(8) unsigned",
		"column fx_types.id type":         "int(10) unsigned → int(11) unsigned",
		"column fx_types.b type":          "blob compressed → blob",
		"column fx_types.inv invisible":   "INVISIBLE → ",
		"column fx_types.v collation":     "utf8mb3_bin → utf8mb3_general_ci",
		"check fx_types.chk_f expression": "(`f` >= 0) → (`f` >= 1)",
		"table fx_types partition":        "PARTITION BY HASH (`id`) PARTITIONS 2 → PARTITION BY HASH (`id`) PARTITIONS 3",
		"table fx_opts ROW_FORMAT":        " → COMPRESSED",
		"table fx_opts CHECKSUM":          "1 → ",
		"table fx_opts DELAY_KEY_WRITE":   "1 → ",
		"table fx_opts PAGE_COMPRESSED":   "'1' → ",
		"index fx_opts.k ignored":         " → IGNORED",
		"index fx_opts.u_hash using":      "HASH → BTREE",
	} {
		if got[key] != want {
			t.Errorf("drift %s: got %q, want %q", key, got[key], want)
		}
	}
	if t.Failed() {
		for _, df := range diffs {
			t.Logf("drift: %s %s: %s", df.Object, df.Change, df.Detail)
		}
	}
	// A plan restores everything git manages; the ignored index is not
	// managed: it stays, and is a warning.
	p, err := tg.Plan(ctx, live, d)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]int{}
	for _, st := range p.Statements {
		tables[st.Table]++
		t.Logf("heal: %s", st.SQL)
	}
	if tables["fx_types"] != 1 || tables["fx_opts"] != 1 {
		t.Errorf("want one ALTER TABLE per table, got %v", tables)
	}
	live = applyConverged(t, tg, p, d, "after heal")
	left, err := tg.Compare(ctx, base, live)
	if err != nil {
		t.Fatal(err)
	}
	for _, df := range left {
		if !df.Unmanaged {
			t.Errorf("after heal, still differs: %s: %s", df.Object, df.Detail)
		}
	}
}

func mustHash(t *testing.T, srv *Server, d *Desired) string {
	t.Helper()
	h, err := srv.DesiredHash(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestFixtureEdits: edits in git, each planned as exactly the expected
// statement, applied, and planned again to nothing.
func TestFixtureEdits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, testenv.DB(t), prefix)
	tenant := prefix + "t"
	src := fixtureHCL
	reconcileFresh(t, srv, tenant, composeFixture(t, src))
	q := quoteIdent(tenant)
	for _, e := range []struct {
		name, from, to, want string
	}{
		{"check", `expr = "f >= 0"`, `expr = "f >= 2"`,
			"ALTER TABLE " + q + ".`fx_types` DROP CONSTRAINT `chk_f`, ADD CONSTRAINT `chk_f` CHECK (f >= 2)"},
		{"enum value", `type    = enum("a", "b")`, `type    = enum("a", "b", "c")`,
			"ALTER TABLE " + q + ".`fx_types` MODIFY COLUMN `e` enum('a','b','c') NOT NULL DEFAULT \"a\""},
		{"collation", `collate = "utf8_bin"`, `collate = "utf8_general_ci"`,
			"ALTER TABLE " + q + ".`fx_types` MODIFY COLUMN `v` varchar(300) CHARSET utf8mb3 NULL COLLATE utf8mb3_general_ci"},
		{"default", "type    = double(12,4)\n    default = 0", "type    = double(12,4)\n    default = 1.5",
			"ALTER TABLE " + q + ".`fx_types` MODIFY COLUMN `d` double(12,4) NOT NULL DEFAULT 1.5"},
		{"display width", "type           = int(10)", "type           = int(9)",
			"ALTER TABLE " + q + ".`fx_types` MODIFY COLUMN `id` int(9) unsigned NOT NULL AUTO_INCREMENT"},
		{"index type", "    type    = HASH\n", "",
			"ALTER TABLE " + q + ".`fx_opts` DROP INDEX `u_hash`, ADD UNIQUE INDEX `u_hash` (`u`)"},
		{"partition", "PARTITIONS 2", "PARTITIONS 4",
			"ALTER TABLE " + q + ".`fx_types` PARTITION BY HASH (`id`) PARTITIONS 4"},
		// RANGE and LIST partitioning name their partitions.
		{"range partitions", "PARTITION BY HASH (`id`) PARTITIONS 4", "PARTITION BY RANGE (`id`) (PARTITION `p0` VALUES LESS THAN (100), PARTITION `pmax` VALUES LESS THAN MAXVALUE)",
			"ALTER TABLE " + q + ".`fx_types` PARTITION BY RANGE (`id`) (PARTITION `p0` VALUES LESS THAN (100), PARTITION `pmax` VALUES LESS THAN MAXVALUE)"},
		{"a partition added", "PARTITION `p0` VALUES LESS THAN (100),", "PARTITION `p0` VALUES LESS THAN (100), PARTITION `p1` VALUES LESS THAN (1000),",
			"ALTER TABLE " + q + ".`fx_types` PARTITION BY RANGE (`id`) (PARTITION `p0` VALUES LESS THAN (100), PARTITION `p1` VALUES LESS THAN (1000), PARTITION `pmax` VALUES LESS THAN MAXVALUE)"},
		{"list partitions", "PARTITION BY RANGE (`id`) (PARTITION `p0` VALUES LESS THAN (100), PARTITION `p1` VALUES LESS THAN (1000), PARTITION `pmax` VALUES LESS THAN MAXVALUE)",
			"PARTITION BY LIST (`id` % 2) (PARTITION `even` VALUES IN (0), PARTITION `odd` VALUES IN (1))",
			"ALTER TABLE " + q + ".`fx_types` PARTITION BY LIST (`id` % 2) (PARTITION `even` VALUES IN (0), PARTITION `odd` VALUES IN (1))"},
		{"table option", "checksum = 1, delay_key_write = 1", "checksum = 1, delay_key_write = 0",
			"ALTER TABLE " + q + ".`fx_opts` DELAY_KEY_WRITE=0"},
	} {
		if !strings.Contains(src, e.from) {
			t.Fatalf("%s: fixture lacks %q", e.name, e.from)
		}
		src = strings.Replace(src, e.from, e.to, 1)
		d := composeFixture(t, src)
		tg, err := srv.Lock(ctx, tenant, 0)
		if err != nil {
			t.Fatal(err)
		}
		live, err := tg.Inspect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := tg.Plan(ctx, live, d)
		if err != nil {
			t.Fatal(err)
		}
		var sqls []string
		for _, st := range p.Statements {
			sqls = append(sqls, st.SQL)
		}
		if len(sqls) != 1 || sqls[0] != e.want {
			t.Errorf("%s: planned %q\nwant %q", e.name, sqls, e.want)
		}
		live = applyConverged(t, tg, p, d, e.name+": after apply")
		if h, _ := live.Hash(); h != mustHash(t, srv, d) {
			t.Errorf("%s: live hash differs from desired after apply", e.name)
		}
		tg.Close()
	}
}

// A layer the server stores otherwise than any comparison of landlord's
// takes as equal (a partition bound the server evaluates) is an error at
// its layer and file when its desired schema is hashed, not a plan that
// applies the same statement on every reconcile.
func TestDesiredMustConverge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	layerWith := func(bound string) *Desired {
		return composeFixture(t, `schema "tenant" {}
table "events" {
  schema = schema.tenant
  column "at" {
    type = timestamp
  }
  primary_key {
    columns = [column.at]
  }
  partition = "PARTITION BY RANGE (UNIX_TIMESTAMP(at)) (PARTITION p0 VALUES LESS THAN (`+bound+`), PARTITION p1 VALUES LESS THAN MAXVALUE)"
}
`)
	}
	_, err = srv.DesiredHash(ctx, layerWith("UNIX_TIMESTAMP('2020-01-01 00:00:00')"))
	if err == nil || !strings.Contains(err.Error(), "does not converge") || !strings.Contains(err.Error(), "layers/basic/fixture.hcl") || !strings.Contains(err.Error(), "PARTITION BY RANGE") {
		t.Fatalf("a bound the server evaluates: %v, want an error naming the file and the statement", err)
	}
	t.Log(err)
	if _, err := srv.DesiredHash(ctx, layerWith("1577836800")); err != nil {
		t.Fatalf("the bound as the server stores it: %v", err)
	}
	// The error says how the server stored what does not converge.
	_, err = srv.DesiredHash(ctx, composeFixture(t, `schema "tenant" {}
table "notes" {
  schema = schema.tenant
  column "body" {
    type = text
  }
  index "body" {
    unique  = true
    columns = [column.body]
  }
}
`))
	if want := "(as written → as stored: index notes.body: unique (body) → unique (body) using HASH)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a unique key the server makes a hash: %v, want %q", err, want)
	}
	// Clauses as people write them, which the server stores otherwise
	// (spacing, quotes, case, each partition's engine): they converge.
	for _, clause := range []string{
		"PARTITION BY RANGE COLUMNS(day) (PARTITION p0 VALUES LESS THAN ('2020-01-01'), PARTITION p1 VALUES LESS THAN (MAXVALUE))",
		"PARTITION BY RANGE (YEAR(day)) SUBPARTITION BY HASH (id) SUBPARTITIONS 2 (PARTITION p0 VALUES LESS THAN (2020), PARTITION p1 VALUES LESS THAN MAXVALUE)",
		"PARTITION BY LIST (id % 3) (PARTITION a VALUES IN (0, 1) ENGINE InnoDB, PARTITION b VALUES IN (2) COMMENT = 'last' ENGINE InnoDB)",
		"PARTITION BY LINEAR KEY () PARTITIONS 3",
		"partition by hash (to_days(day)) partitions 2",
	} {
		d := composeFixture(t, `schema "tenant" {}
table "days" {
  schema = schema.tenant
  column "id" {
    type = int
  }
  column "day" {
    type = date
  }
  primary_key {
    columns = [column.id, column.day]
  }
  partition = "`+clause+`"
}
`)
		if _, err := srv.DesiredHash(ctx, d); err != nil {
			t.Errorf("%s: %v", clause, err)
		}
	}
	// Checks with the functions and operators the server stores under
	// other names (UPPER as ucase, || as or, % as MOD, ...) converge.
	for _, expr := range []string{
		"UPPER(a) = a AND LOWER(a) <> 'x'",
		"SUBSTRING(a, 1, 1) = 'a' OR MID(a, 2, 1) = 'b'",
		"CHARACTER_LENGTH(a) < 4 && LENGTH(a) < 10",
		"POWER(b, 2) >= CEIL(b) || b % 2 = 0",
		"DAY(d) > 0 AND a RLIKE '^x'",
		// String literals with a quote, which the server stores as
		// 'it\'s' (a backslash, which a layer may not write).
		"a <> 'it''s' AND a NOT IN ('o''k', 'x')",
		"a <> \\\"it's\\\" AND a <> \\\"say \\\"\\\"hi\\\"\\\"\\\"",
	} {
		d := composeFixture(t, `schema "tenant" {}
table "checked" {
  schema = schema.tenant
  column "a" {
    type = varchar(9)
  }
  column "b" {
    type = int
  }
  column "d" {
    type = date
  }
  check "spelled" {
    expr = "`+expr+`"
  }
}
`)
		if _, err := srv.DesiredHash(ctx, d); err != nil {
			t.Errorf("%s: %v", expr, err)
		}
	}
}

// TestLeastPrivilege: a user with SELECT alone does not see MariaDB's
// information_schema.REFERENTIAL_CONSTRAINTS, so its inspection would lose
// every foreign key; Inspect refuses it, naming the privilege. SELECT and
// REFERENCES (the README's grants) give the whole view: the plan of an
// unchanged tenant is empty.
func TestLeastPrivilege(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := mariaURL(t)
	db := testenv.DB(t)
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, db, prefix)
	tenant := prefix + "t"
	d := composeFixture(t, `schema "tenant" {}
table "p" {
  schema = schema.tenant
  column "id" {
    type = int
  }
  primary_key {
    columns = [column.id]
  }
}
table "c" {
  schema = schema.tenant
  column "id" {
    type = int
  }
  column "pid" {
    type = int
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "c_p_fk" {
    columns     = [column.pid]
    ref_columns = [table.p.column.id]
  }
}
`)
	admin, err := Open(ctx, url, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	reconcileFresh(t, admin, tenant, d)
	user := strings.TrimSuffix(prefix, "_")
	if len(user) > 32 {
		user = user[:32]
	}
	for _, st := range []string{
		"DROP USER IF EXISTS '" + user + "'@'%'",
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'lltest-pw'",
		"GRANT SELECT ON " + quoteIdent(tenant) + ".* TO '" + user + "'@'%'",
	} {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { db.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	roURL := strings.Replace(url, "mysql://root@", "mysql://"+user+":lltest-pw@", 1)
	if roURL == url {
		t.Skip("the test server URL has no root user to replace")
	}
	inspect := func() (*Live, *Plan, error) {
		srv, err := Open(ctx, roURL, ServerOptions{})
		if err != nil {
			return nil, nil, err
		}
		defer srv.Close()
		tg, err := srv.Read(ctx, tenant)
		if err != nil {
			return nil, nil, err
		}
		defer tg.Close()
		live, err := tg.Inspect(ctx)
		if err != nil {
			return nil, nil, err
		}
		p, err := tg.Plan(ctx, live, d)
		return live, p, err
	}
	if _, _, err := inspect(); !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "REFERENCES") {
		t.Fatalf("SELECT only: %v, want an incomplete inspection naming REFERENCES", err)
	}
	if _, err := db.Exec("GRANT REFERENCES ON " + quoteIdent(tenant) + ".* TO '" + user + "'@'%'"); err != nil {
		t.Fatal(err)
	}
	_, p, err := inspect()
	if err != nil {
		t.Fatalf("SELECT, REFERENCES: %v", err)
	}
	for _, st := range p.Statements {
		t.Errorf("unchanged tenant, least-privilege user plans: %s", st.SQL)
	}
}

const collationLayer = `schema "tenant" {}
table "t" {
  schema  = schema.tenant
  collate = "utf8mb4_unicode_ci"
  column "id" {
    type = int
  }
  column "name" {
    type = varchar(40)
  }
  column "code" {
    type    = varchar(10)
    charset = "utf8"
    collate = "utf8_bin"
  }
  primary_key {
    columns = [column.id]
  }
}
table "u" {
  schema = schema.tenant
  column "id" {
    type = int
  }
  column "label" {
    type = varchar(40)
  }
  primary_key {
    columns = [column.id]
  }
}
`

// TestCollationConverges: a table collate equal to the database's and a
// utf8 column plan nothing against the live tenant and against its
// snapshot offline; a new database collation in landlord.yaml plans the
// database, the tables that follow it and their columns, in one
// reconcile; a charset alone takes the server's default collation.
func TestCollationConverges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, testenv.DB(t), prefix)
	tenant := prefix + "t"
	compose := func(o Options) *Desired {
		d, err := Compose(MariaDB, []Layer{{Name: "basic", Files: []File{{Path: "a.hcl", Data: []byte(collationLayer)}}}}, o)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := compose(opts)
	live := reconcileFresh(t, srv, tenant, d)
	off, err := OpenOffline(MariaDB, srv.Version())
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	hcl, _ := live.HCL()
	ddl, _ := live.DDL()
	snap, err := LiveFromSnapshot(MariaDB, hcl, ddl)
	if err != nil {
		t.Fatal(err)
	}
	p, err := off.Plan(ctx, snap, d, tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Statements {
		t.Errorf("offline plan of an unchanged tenant: %s", st.SQL)
	}
	for _, o := range []Options{{Charset: "utf8mb4", Collation: "utf8mb4_general_ci"}, {Charset: "latin1"}} {
		d := compose(o)
		tg, err := srv.Lock(ctx, tenant, 0)
		if err != nil {
			t.Fatal(err)
		}
		live, _ := tg.Inspect(ctx)
		p, err := tg.Plan(ctx, live, d)
		if err != nil {
			t.Fatal(err)
		}
		var sqls []string
		for _, st := range p.Statements {
			sqls = append(sqls, st.SQL)
		}
		if err := tg.Apply(ctx, p, nil); err != nil {
			t.Fatalf("%+v: apply %q: %v", o, sqls, err)
		}
		live, _ = tg.Inspect(ctx)
		again, _ := tg.Plan(ctx, live, d)
		for _, st := range again.Statements {
			t.Errorf("%+v: after %q, still: %s", o, sqls, st.SQL)
		}
		if h, _ := live.Hash(); h != mustHash(t, srv, d) {
			t.Errorf("%+v: live hash differs from desired after %q", o, sqls)
		}
		if o.Charset == "latin1" {
			// utf8mb4 to latin1 narrows the columns that follow the
			// default: destructive.
			if len(p.Destructive()) == 0 {
				t.Errorf("latin1: no destructive statement in %q", sqls)
			}
			if u := live.ddl["u"]; u == nil || u.Options["COLLATE"] != "latin1_swedish_ci" {
				t.Errorf("latin1: table u not on the default collation of latin1: %+v", u)
			}
		}
		tg.Close()
		t.Logf("%+v: %q", o, sqls)
	}
}

// TestSQLiteParity: a composite primary key in another order than its
// columns and a parenthesised literal default plan nothing once applied;
// a MariaDB-spelled default SQLite cannot take fails CheckSQLite (validate)
// with its file and line, as the apply would.
func TestSQLiteParity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	layer := func(src string) *Desired {
		d, err := Compose(SQLite, []Layer{{Name: "basic", Files: []File{{Path: "layers/basic/a.hcl", Data: []byte(src)}}}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := layer(`schema "tenant" {}
table "t" {
  schema = schema.tenant
  column "a" {
    type = int
  }
  column "b" {
    type = int
  }
  column "y" {
    type    = int
    default = sql("(2024)")
  }
  primary_key {
    columns = [column.b, column.a]
  }
}
`)
	if err := CheckSQLite(ctx, d); err != nil {
		t.Fatalf("CheckSQLite: %v", err)
	}
	srv, err := Open(ctx, "sqlite://"+t.TempDir(), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	reconcileFresh(t, srv, "parity", d)

	bad := layer(`schema "tenant" {}
table "t" {
  schema = schema.tenant
  column "a" {
    type = int
  }
  column "at" {
    type    = datetime
    default = sql("current_timestamp()")
  }
}
`)
	err = CheckSQLite(ctx, bad)
	var errs SourceErrors
	if !errors.As(err, &errs) || errs[0].File != "layers/basic/a.hcl" || errs[0].Line == 0 {
		t.Fatalf("CheckSQLite of a MariaDB-spelled default: %v, want an error at layers/basic/a.hcl:line", err)
	}
}
