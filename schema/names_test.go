package schema

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	atlas "ariga.io/atlas/sql/schema"

	"github.com/landlord/landlord/internal/testenv"
)

// hostileLayers are layer files that try to smuggle SQL into statements,
// each with the error composing them must give. The same cases run end to
// end in cmd/landlord (TestHostileRepositories).
var hostileLayers = []struct {
	name, hcl, want string
}{
	{"table name", "table \"leak` AS SELECT * FROM `t_002`.`users` #\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n}\n",
		"evil.hcl:1:7: table name \"leak` AS SELECT * FROM `t_002`.`users` #\": a name is"},
	{"column name", "table \"evil\" {\n  schema = schema.tenant\n  column \"x` int, `y\" {\n    type = int\n  }\n}\n",
		"evil.hcl:3:10: column name"},
	{"index name", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  index \"i`(id)); DROP TABLE users; #\" {\n    columns = [column.id]\n  }\n}\n",
		"evil.hcl:6:9: index name"},
	{"foreign key name", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = bigint\n  }\n  foreign_key \"f`--\" {\n    columns = [column.id]\n    ref_columns = [table.users.column.id]\n  }\n}\n",
		"evil.hcl:6:15: foreign key name"},
	{"check name", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  check \"c` CHECK (1), DROP COLUMN id, ADD CONSTRAINT `d\" {\n    expr = \"id > 0\"\n  }\n}\n",
		"evil.hcl:6:9: check name"},
	{"check expression", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  check \"c\" {\n    expr = \"id > 0), DROP COLUMN `id`, CHECK (1\"\n  }\n}\n",
		"evil.hcl:7:5: expr"},
	{"long name", "table \"" + strings.Repeat("a", 65) + "\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n}\n",
		"evil.hcl:1:7: table name"},
	{"NUL in name", "table \"a\\u0000b\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n}\n",
		"evil.hcl:1:7: table name"},
	{"enum value", "table \"evil\" {\n  schema = schema.tenant\n  column \"e\" {\n    type = enum(\"a\", \"b') NULL, `x` int NULL, `y` enum('c\")\n  }\n}\n",
		"evil.hcl:4:22: enum value"},
	{"set value", "table \"evil\" {\n  schema = schema.tenant\n  column \"s\" {\n    type = set(\"a\", \"b\\\\\")\n  }\n}\n",
		"evil.hcl:4:21: set value"},
	{"comment", "table \"evil\" {\n  schema = schema.tenant\n  comment = \"'x''\"\n  column \"id\" {\n    type = int\n  }\n}\n",
		"evil.hcl:3:3: comment"},
	{"comment emoji", "table \"evil\" {\n  schema = schema.tenant\n  comment = \"नेपाली 😀\"\n  column \"id\" {\n    type = int\n  }\n}\n",
		"evil.hcl:3:3: comment \"नेपाली 😀\": the character U+1F600 is beyond what MySQL and MariaDB keep in comments and defaults (utf8mb3)"},
	{"default backslash", "table \"evil\" {\n  schema = schema.tenant\n  column \"v\" {\n    type = varchar(10)\n    default = \"a\\\\\"\n  }\n}\n",
		"evil.hcl:5:5: column \"v\" of table \"evil\": default \"a\\\\\": a string default may not hold a backslash, tab or line break"},
	{"comment control character", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n    comment = \"a\\u0000b\"\n  }\n}\n",
		"evil.hcl:5:5: comment"},
	{"string default", "table \"evil\" {\n  schema = schema.tenant\n  column \"v\" {\n    type = varchar(10)\n    default = \"'a' , ADD COLUMN `z` int, MODIFY `v` varchar(10) DEFAULT 'b'\"\n  }\n}\n",
		"evil.hcl:5:5: default"},
	{"number default", "table \"evil\" {\n  schema = schema.tenant\n  column \"n\" {\n    type = int\n    default = \"1, ADD COLUMN `z` int\"\n  }\n}\n",
		"evil.hcl:5:5: column \"n\" of table \"evil\": default \"1, ADD COLUMN `z` int\": a number column's default must be a number"},
	{"hex default", "table \"evil\" {\n  schema = schema.tenant\n  column \"v\" {\n    type = varchar(10)\n    default = \"0x1, ADD COLUMN `z` int\"\n  }\n}\n",
		"evil.hcl:5:5: column \"v\" of table \"evil\": default"},
	{"sql default", "table \"evil\" {\n  schema = schema.tenant\n  column \"v\" {\n    type = int\n    default = sql(\"1, ADD COLUMN `z` int\")\n  }\n}\n",
		"evil.hcl:5:5: default"},
	{"charset", "table \"evil\" {\n  schema = schema.tenant\n  column \"v\" {\n    type = varchar(10)\n    charset = \"utf8mb4, ADD COLUMN z int\"\n  }\n}\n",
		"evil.hcl:5:5: charset"},
	{"partition data directory", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  partition = \"PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (10) DATA DIRECTORY = '/tmp/x', PARTITION p1 VALUES LESS THAN MAXVALUE)\"\n}\n",
		"evil.hcl:6:3: partition: DIRECTORY is not allowed"},
	{"partition engine", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  partition = \"PARTITION BY HASH (id) (PARTITION p0 ENGINE = SPIDER COMMENT = 'wrapper \\\"mysql\\\", host \\\"10.0.0.1\\\"')\"\n}\n",
		"evil.hcl:6:3: partition: engine SPIDER is not allowed"},
	{"partition query", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  partition = \"PARTITION BY LIST (id) (PARTITION p0 VALUES IN ((SELECT 1)))\"\n}\n",
		"evil.hcl:6:3: partition: a query is not allowed"},
	{"partition count", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  partition = \"PARTITION BY HASH (id) PARTITIONS 100 SUBPARTITION BY HASH (id) SUBPARTITIONS 20\"\n}\n",
		"evil.hcl:6:3: partition: 2000 partitions: at most 1024"},
	{"index type", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  index \"i\" {\n    columns = [column.id]\n    type = \"BTREE) , DROP COLUMN id, ADD INDEX j (id\"\n  }\n}\n",
		"evil.hcl:8:12: index type \"BTREE) , DROP COLUMN id, ADD INDEX j (id\": BTREE, HASH, FULLTEXT or SPATIAL"},
	{"column names differing in case", "table \"evil\" {\n  schema = schema.tenant\n  column \"name\" {\n    type = int\n  }\n  column \"NAME\" {\n    type = int\n  }\n}\n",
		"evil.hcl:6: column \"NAME\" of table \"evil\": the server takes it for column \"name\" of the same table"},
	{"index named primary", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  index \"Primary\" {\n    columns = [column.id]\n  }\n}\n",
		"evil.hcl:6: index \"Primary\" of table \"evil\": PRIMARY is the name of the primary key"},
	{"on update", "table \"evil\" {\n  schema = schema.tenant\n  column \"v\" {\n    type = timestamp\n    on_update = sql(\"CURRENT_TIMESTAMP, ADD COLUMN z int\")\n  }\n}\n",
		"evil.hcl:5:5: on_update"},
}

func TestComposeRefusesHostileNames(t *testing.T) {
	t.Parallel()
	for _, tc := range hostileLayers {
		t.Run(tc.name, func(t *testing.T) {
			for _, engine := range []Engine{MariaDB, SQLite} {
				_, err := Compose(engine, []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "evil.hcl", tc.hcl)}, Options{})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("%s: error %v: want %q", engine, err, tc.want)
				}
			}
		})
	}
}

// What a real schema holds is accepted: dashes in names, quotes in
// comments and defaults, backslashes in a binary default, expressions.
func TestComposeAcceptsOrdinaryNames(t *testing.T) {
	t.Parallel()
	_, err := Compose(MariaDB, []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "ok.hcl", `table "identities" {
  schema  = schema.tenant
  comment = "Tables' UI \"preferences\""
  column "reply-to" {
    type    = varchar(128)
    default = "it's"
  }
  column "$n_1" {
    type    = decimal(10, 2)
    default = -1.5
  }
  column "token" {
    type    = binary(4)
    default = "\\0\\0"
  }
  column "state" {
    type = enum("new", "it's done")
  }
  column "updated" {
    type      = timestamp
    default   = sql("CURRENT_TIMESTAMP")
    on_update = sql("CURRENT_TIMESTAMP")
  }
  check "positive" {
    expr = "(`+"`$n_1` > 0 and `reply-to`"+` <> 'a,b')"
  }
}
`)}, Options{})
	if err == nil || !strings.Contains(err.Error(), `value "it's done"`) {
		t.Fatalf("error %v: want only the enum value with a quote refused", err)
	}
}

// Literals with quotes, backslashes, newlines and non-ASCII text (in
// comments; quotes and non-ASCII text in defaults) are written so that the
// engine reads back what the layer says: applied, the database holds them,
// and the next plan is empty.
func TestLiteralsReadBack(t *testing.T) {
	t.Parallel()
	const value = `it's "quoted" \ back\slash` + "\nनेपाली \\'"
	const def = `it's "quoted" नेपाली '`
	hcl := `table "notes" {
  schema  = schema.tenant
  comment = ` + strconvQuote(value) + `
  column "id" {
    type = int
  }
  column "body" {
    type    = varchar(100)
    default = ` + strconvQuote(def) + `
    comment = ` + strconvQuote(value) + `
  }
  primary_key {
    columns = [column.id]
  }
}
`
	ctx := context.Background()
	for _, engine := range []string{"mariadb", "sqlite"} {
		t.Run(engine, func(t *testing.T) {
			url := "sqlite://" + t.TempDir()
			if engine == "mariadb" {
				url = mariaURL(t)
			}
			srv, err := Open(ctx, url, ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			d, err := Compose(srv.Engine(), []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "notes.hcl", hcl)}, opts)
			if err != nil {
				t.Fatal(err)
			}
			db := testenv.Name(t) + "db"
			dropDB(t, srv, db)
			live := applyDesired(t, srv, db, d)
			tg, err := srv.Read(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			p, err := tg.Plan(ctx, live, d)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Empty() {
				t.Errorf("plan after apply: %+v", p.Statements)
			}
			notes, ok := live.schema.Table("notes")
			if !ok {
				t.Fatal("no table notes")
			}
			body, _ := notes.Column("body")
			var got string
			switch x := body.Default.(type) {
			case *atlas.Literal:
				got = x.V
			case *atlas.RawExpr:
				got = x.X
			}
			if engine == "mariadb" {
				var comment atlas.Comment
				if !hasAttrInto(notes.Attrs, &comment) || comment.Text != value {
					t.Errorf("table comment %q, want %q", comment.Text, value)
				}
				var colComment, colDefault string
				err := testenv.DB(t).QueryRow("SELECT COLUMN_COMMENT, COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'notes' AND COLUMN_NAME = 'body'", db).Scan(&colComment, &colDefault)
				if err != nil || colComment != value {
					t.Errorf("column comment %q (%v), want %q", colComment, err, value)
				}
				if want := "'" + strings.ReplaceAll(def, "'", "''") + "'"; colDefault != want {
					t.Errorf("column default %s, want %s", colDefault, want)
				}
			}
			if engine == "sqlite" && got != "'"+strings.ReplaceAll(def, "'", "''")+"'" {
				t.Errorf("default %s, want %q", got, def)
			}
		})
	}
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// Names that start with a digit (2fa_codes, as real schemas have) compose,
// are referenced as Atlas writes them (table["2fa_codes"]), apply on
// MariaDB and SQLite and converge; a name that reads as a number does not
// compose.
func TestNamesStartingWithADigit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const src = `table "2fa_codes" {
  schema = schema.tenant
  column "id" {
    type = bigint
  }
  column "2nd_factor" {
    type = varchar(32)
  }
  primary_key {
    columns = [column.id]
  }
  index "2fa_by_factor" {
    columns = [column["2nd_factor"]]
  }
}
table "logins" {
  schema = schema.tenant
  column "id" {
    type = bigint
  }
  column "code_id" {
    type = bigint
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "3rd_party_code" {
    columns     = [column.code_id]
    ref_columns = [table["2fa_codes"].column.id]
  }
}
`
	for _, engine := range []Engine{MariaDB, SQLite} {
		d, err := Compose(engine, []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "digits.hcl", src)}, Options{})
		if err != nil {
			t.Fatalf("%s: compose: %v", engine, err)
		}
		var srv *Server
		var database string
		if engine == SQLite {
			dir := t.TempDir()
			if srv, err = Open(ctx, "sqlite://"+dir, ServerOptions{}); err != nil {
				t.Fatal(err)
			}
			database = "digits"
		} else {
			if srv, err = Open(ctx, mariaURL(t), ServerOptions{}); err != nil {
				t.Fatal(err)
			}
			database = testenv.Name(t) + "t"
			testenv.DropPrefix(t, testenv.DB(t), database)
		}
		live := reconcileFresh(t, srv, database, d)
		if !slices.Contains(live.Tables(), "2fa_codes") {
			t.Errorf("%s: tables %v", engine, live.Tables())
		}
		if h, _ := live.Hash(); h != mustHash(t, srv, d) {
			t.Errorf("%s: live hash differs from desired", engine)
		}
		srv.Close()
	}
	for _, name := range []string{"12", "1e5", "1e-5"} {
		_, err := Compose(MariaDB, []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "n.hcl", "table \""+name+"\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n}\n")}, Options{})
		if err == nil || !strings.Contains(err.Error(), "may not be a number") {
			t.Errorf("table %q: %v, want it refused as a number", name, err)
		}
	}
}
