package schema

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
)

// TestCompareDrift: a snapshot compares equal to the database it was taken
// from; hand-made changes come back object by object, read from base to
// live; a plan can leave them alone; and the added objects, exported as a
// layer, make the desired schema match them.
func TestCompareDrift(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	layers := exampleLayers(t)
	d, err := Compose(srv.Engine(), layers, opts)
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.Name(t) + "db"
	tg, live := provisioned(t, srv, db, d)
	hcl, err := live.HCL()
	if err != nil {
		t.Fatal(err)
	}
	base, err := LiveFromHCL(srv.Engine(), hcl)
	if err != nil {
		t.Fatal(err)
	}
	if diffs, err := tg.Compare(ctx, base, live); err != nil || len(diffs) != 0 {
		t.Fatalf("a fresh snapshot differs from live: %v %+v", err, diffs)
	}
	normal, err := srv.DesiredLive(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if diffs, err := tg.Compare(ctx, normal, live); err != nil || len(diffs) != 0 {
		t.Fatalf("the desired schema as the server has it differs from live: %v %+v", err, diffs)
	}

	db2 := testenv.DB(t)
	for _, q := range []string{
		"ALTER TABLE `" + db + "`.members ADD COLUMN nickname varchar(40)",
		"DROP INDEX members_status_idx ON `" + db + "`.members",
		"CREATE TABLE `" + db + "`.scratch (id int PRIMARY KEY, note text)",
		"ALTER TABLE `" + db + "`.members MODIFY full_name varchar(100) NOT NULL",
		"ALTER TABLE `" + db + "`.members MODIFY citizenship_no varchar(64) NULL",
		"CREATE INDEX members_joined_idx ON `" + db + "`.members (joined_on)",
	} {
		if _, err := db2.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	live, err = tg.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := tg.Compare(ctx, base, live)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Kind, Object, Change, Narrowing string }
	var got []row
	for _, df := range diffs {
		got = append(got, row{df.Kind, df.Table + "." + df.Name, df.Change, df.Narrowing})
	}
	want := []row{
		{KindColumn, "members.citizenship_no", Modified, ""},
		{KindColumn, "members.full_name", Modified, "shorter strings"},
		{KindColumn, "members.nickname", Added, ""},
		{KindIndex, "members.members_joined_idx", Added, ""},
		{KindIndex, "members.members_status_idx", Removed, ""},
		{KindTable, "scratch.", Added, ""},
	}
	if d := cmp.Diff(got, want); d != "" {
		t.Fatalf("differences (-got +want):\n%s\n%+v", d, diffs)
	}
	for _, df := range diffs {
		if df.Name == "nickname" && df.Detail != "varchar(40) NULL" {
			t.Errorf("nickname detail %q", df.Detail)
		}
		if df.Name == "full_name" && df.Detail != "varchar(191) NOT NULL → varchar(100) NOT NULL" {
			t.Errorf("full_name detail %q", df.Detail)
		}
	}

	// Leaving every drifted object alone plans nothing; leaving none plans
	// a statement for each.
	objs := make([]Object, len(diffs))
	for i, df := range diffs {
		objs[i] = df.Object
	}
	if left, err := tg.PlanLeaving(ctx, live, d, objs); err != nil || !left.Empty() {
		t.Fatalf("plan leaving the drift: %v %+v", err, left)
	}
	full, err := tg.Plan(ctx, live, d)
	if err != nil {
		t.Fatal(err)
	}
	var sqls []string
	for _, s := range full.Statements {
		sqls = append(sqls, s.SQL)
	}
	all := strings.Join(sqls, "\n")
	for _, s := range []string{"DROP TABLE", "DROP COLUMN `nickname`", "ADD INDEX `members_status_idx`", "DROP INDEX `members_joined_idx`", "MODIFY COLUMN `full_name`"} {
		if !strings.Contains(all, s) {
			t.Errorf("the full plan lacks %q:\n%s", s, all)
		}
	}
	// Leaving the index alone but not the rest.
	part, err := tg.PlanLeaving(ctx, live, d, []Object{{Kind: KindIndex, Table: "members", Name: "members_status_idx"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range part.Statements {
		if strings.Contains(s.SQL, "members_status_idx") {
			t.Errorf("left-alone index planned: %s", s.SQL)
		}
	}
	if len(part.Statements) == 0 {
		t.Error("leaving one index left everything")
	}

	// Ignoring the scratch table and the nickname column hides them.
	hidden := live.Without(func(table, column string) bool {
		return table == "scratch" || column == "nickname"
	})
	hd, err := tg.Compare(ctx, base, hidden)
	if err != nil {
		t.Fatal(err)
	}
	if len(hd) != len(diffs)-2 {
		t.Errorf("without scratch and nickname: %+v", hd)
	}
	if len(live.Tables()) == len(hidden.Tables()) {
		t.Error("Without changed nothing")
	}

	// The added objects as a custom layer: the desired schema now has them.
	var added []Object
	for _, df := range diffs {
		if df.Change == Added {
			added = append(added, df.Object)
		}
	}
	layer, missing, err := live.LayerHCL(append(added, Object{Kind: KindColumn, Table: "members", Name: "gone"}), d.SchemaLabel())
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || missing[0].Name != "gone" {
		t.Errorf("missing: %+v", missing)
	}
	if strings.Contains(string(layer), `schema "`) || !strings.Contains(string(layer), `column "nickname"`) {
		t.Errorf("layer:\n%s", layer)
	}
	adopted, err := Compose(srv.Engine(), append(layers, Layer{Name: "custom/x", Files: []File{{Path: "layers/custom/x/drift.hcl", Data: layer}}}), opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, layer)
	}
	rest, err := tg.Plan(ctx, live, adopted)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rest.Statements {
		for _, name := range []string{"nickname", "scratch", "members_joined_idx"} {
			if strings.Contains(s.SQL, name) {
				t.Errorf("adopted %s still planned: %s", name, s.SQL)
			}
		}
	}
	if len(rest.Statements) == 0 {
		t.Error("the removed index and modified columns are no longer planned")
	}
}

// provisioned creates database db on srv with schema d and returns it
// locked, with its inspected schema. The database is dropped after the test.
func provisioned(t *testing.T, srv *Server, db string, d *Desired) (*Target, *Live) {
	t.Helper()
	ctx := context.Background()
	dropDB(t, srv, db)
	tg, err := srv.Lock(ctx, db, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	empty, err := tg.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tg.Plan(ctx, empty, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Apply(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	live, err := tg.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tg, live
}

// A partitioning clause as a layer writes it equals the server's form:
// each partition's ENGINE (the table's), MOD for %, COMMENT without =;
// what differs still differs.
func TestNormPartition(t *testing.T) {
	t.Parallel()
	server := "PARTITION BY LIST (`id` MOD 2)\n(PARTITION `even` VALUES IN (0) COMMENT = 'a=b' ENGINE = InnoDB,\n PARTITION `odd` VALUES IN (1) ENGINE = InnoDB)"
	for _, layer := range []string{
		"PARTITION BY LIST (id % 2) (PARTITION even VALUES IN (0) COMMENT 'a=b', PARTITION odd VALUES IN (1))",
		"partition by list (`id` mod 2) (partition `even` values in (0) comment='a=b' storage engine InnoDB, partition `odd` values in (1) engine=innodb)",
	} {
		if normPartition(layer) != normPartition(server) {
			t.Errorf("%q\n and the server's form differ: %q, %q", layer, normPartition(layer), normPartition(server))
		}
	}
	for _, other := range []string{
		"PARTITION BY LIST (`id` MOD 2) (PARTITION `even` VALUES IN (0) COMMENT 'a = b', PARTITION `odd` VALUES IN (1))",
		"PARTITION BY LIST (`id` MOD 3) (PARTITION `even` VALUES IN (0) COMMENT 'a=b', PARTITION `odd` VALUES IN (1))",
		"PARTITION BY LIST (`id` MOD 2) (PARTITION `even` VALUES IN (0) COMMENT 'a=b', PARTITION `odd` VALUES IN (1), PARTITION `two` VALUES IN (2))",
	} {
		if normPartition(other) == normPartition(server) {
			t.Errorf("%q equals the server's form", other)
		}
	}
	// A column named engine is no partition's engine.
	if normPartition("PARTITION BY HASH (engine MOD 2) PARTITIONS 2") == normPartition("PARTITION BY HASH (2) PARTITIONS 2") {
		t.Error("the column engine was taken for a partition's engine")
	}
}
