package schema

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

const editsHCL = `schema "tenant" {}
table "ref1" {
  schema = schema.tenant
  column "id" {
    type = int
  }
  column "k" {
    type = int
  }
  primary_key {
    columns = [column.id]
  }
  index "k" {
    unique  = true
    columns = [column.k]
  }
}
table "ref2" {
  schema = schema.tenant
  column "id" {
    type = int
  }
  primary_key {
    columns = [column.id]
  }
}
table "e" {
  schema  = schema.tenant
  comment = "t1"
  column "id" {
    type = int
  }
  column "r" {
    type = int
    null = true
  }
  column "s" {
    type    = varchar(200)
    null    = true
    comment = "c1"
  }
  column "n" {
    type     = int
    unsigned = false
    default  = 1
  }
  column "g" {
    type = int
    null = true
    as {
      expr = "n * 2"
      type = VIRTUAL
    }
  }
  column "en" {
    type    = enum("a", "b")
    default = "a"
  }
  column "j" {
    type = json
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  index "s" {
    on {
      column = column.s
      prefix = 50
    }
  }
  index "n" {
    on {
      column = column.n
    }
  }
  foreign_key "fk_r" {
    columns     = [column.r]
    ref_columns = [table.ref1.column.id]
    on_delete   = SET_NULL
  }
}
`

// TestLayerEdits: each edit of a layer on a tenant of the layer before
// plans at least one statement, applies, re-plans to nothing and hashes as
// desired; an edit Atlas's planner refuses is an error at the file and
// line of its object.
func TestLayerEdits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, testenv.DB(t), prefix)
	d1 := composeFixture(t, editsHCL)
	for i, c := range []struct{ name, from, to, err string }{
		{"fk ref table", "ref_columns = [table.ref1.column.id]", "ref_columns = [table.ref2.column.id]", ""},
		{"fk ref column", "ref_columns = [table.ref1.column.id]", "ref_columns = [table.ref1.column.k]", ""},
		{"fk on delete", "on_delete   = SET_NULL", "on_delete   = CASCADE", ""},
		{"prefix len", "prefix = 50", "prefix = 20", ""},
		{"desc", "      column = column.n\n", "      column = column.n\n      desc = true\n", ""},
		{"comment col", `comment = "c1"`, `comment = "c2 it's"`, ""},
		{"comment tbl", `comment = "t1"`, `comment = "t2 \"x\""`, ""},
		{"unsigned", "unsigned = false", "unsigned = true", ""},
		{"gen expr", `expr = "n * 2"`, `expr = "n * 3"`, ""},
		{"gen stored", "type = VIRTUAL", "type = STORED", "layers/basic/fixture.hcl:47: plan "},
		{"enum reorder", `enum("a", "b")`, `enum("b", "a")`, ""},
		{"default removed", "    default  = 1\n", "", ""},
		{"charset col", "    comment = \"c1\"\n", "    comment = \"c1\"\n    charset = \"latin1\"\n", ""},
		{"pk change", "columns = [column.id]\n  }\n  index \"s\"", "columns = [column.id, column.n]\n  }\n  index \"s\"", ""},
		{"json check", "  primary_key {\n    columns = [column.id]\n  }\n  index \"s\"", "  check \"jv\" {\n    expr = \"json_valid(j)\"\n  }\n  primary_key {\n    columns = [column.id]\n  }\n  index \"s\"", ""},
		{"auto inc", "  column \"id\" {\n    type = int\n  }\n  column \"r\"", "  column \"id\" {\n    type = int\n    auto_increment = true\n  }\n  column \"r\"", ""},
		{"table charset", "  comment = \"t1\"\n", "  comment = \"t1\"\n  charset = \"latin1\"\n", ""},
		{"fk name", `foreign_key "fk_r"`, `foreign_key "fk_r2"`, ""},
		{"unique", "  index \"n\" {\n", "  index \"n\" {\n    unique = true\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(editsHCL, c.from) {
				t.Fatalf("no %q", c.from)
			}
			d2 := composeFixture(t, strings.Replace(editsHCL, c.from, c.to, 1))
			want, err := srv.DesiredHash(ctx, d2)
			if err != nil {
				t.Fatalf("desired: %v", err)
			}
			tenant := prefix + strconv.Itoa(i)
			reconcileFresh(t, srv, tenant, d1)
			tg, err := srv.Lock(ctx, tenant, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			live, _ := tg.Inspect(ctx)
			p, err := tg.Plan(ctx, live, d2)
			switch {
			case c.err != "":
				if err == nil || !strings.HasPrefix(err.Error(), c.err) {
					t.Fatalf("plan: %v, want %s…", err, c.err)
				}
				return
			case err != nil:
				t.Fatalf("plan: %v", err)
			}
			if len(p.Statements) == 0 {
				t.Fatalf("no statement")
			}
			live = applyConverged(t, tg, p, d2, "again")
			if h, _ := live.Hash(); h != want {
				t.Errorf("live hash %.12s, desired %.12s", h, want)
			}
		})
	}
}
