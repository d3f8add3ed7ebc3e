package schema

import (
	"errors"
	"strings"
	"testing"

	atlas "ariga.io/atlas/sql/schema"
)

const basicHCL = `schema "tenant" {}

table "users" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    auto_increment = true
  }
  column "email" {
    type = varchar(191)
  }
  primary_key {
    columns = [column.id]
  }
}
`

func layer(name string, files ...string) Layer {
	l := Layer{Name: name}
	for i := 0; i+1 < len(files); i += 2 {
		l.Files = append(l.Files, File{Path: files[i], Data: []byte(files[i+1])})
	}
	return l
}

func TestComposeExtendsTables(t *testing.T) {
	t.Parallel()
	d, err := Compose(MariaDB, []Layer{
		layer("basic", "basic.hcl", basicHCL),
		layer("module/social", "social.hcl", `table "users" {
  schema = schema.tenant
  column "avatar" {
    type = varchar(255)
    null = true
  }
  index "users_email_idx" {
    columns = [column.email]
  }
}

table "posts" {
  schema = schema.tenant
  column "id" {
    type = bigint
  }
  column "author_id" {
    type = bigint
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "posts_author_fk" {
    columns     = [column.author_id]
    ref_columns = [table.users.column.id]
  }
}
`),
		// The same column again, written differently but with the same
		// tokens: accepted.
		layer("custom/acme", "acme.hcl", `table "users" {
  schema = schema.tenant
  column "avatar" { 
    type = varchar(255) # the same, with a comment
    null = true
  }
}
`),
	}, Options{Charset: "utf8mb4", Collation: "utf8mb4_unicode_ci"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.Tables(), ","); got != "posts,users" {
		t.Fatalf("tables %s", got)
	}
	users, _ := d.schema.Table("users")
	if _, ok := users.Column("avatar"); !ok {
		t.Fatal("extension column missing")
	}
	for key, want := range map[objectKey]Origin{
		{Kind: "table", Table: "users"}:                                {Layer: "basic", File: "basic.hcl", Line: 3},
		{Kind: "column", Table: "users", Name: "email"}:                {Layer: "basic", File: "basic.hcl", Line: 9},
		{Kind: "column", Table: "users", Name: "avatar"}:               {Layer: "module/social", File: "social.hcl", Line: 3},
		{Kind: "index", Table: "users", Name: "users_email_idx"}:       {Layer: "module/social", File: "social.hcl", Line: 7},
		{Kind: "foreign_key", Table: "posts", Name: "posts_author_fk"}: {Layer: "module/social", File: "social.hcl", Line: 23},
	} {
		if got := d.origins[key]; got != want {
			t.Errorf("origin of %s = %+v, want %+v", key, got, want)
		}
	}
}

func TestComposeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		layers []Layer
		want   []string
	}{
		{
			name: "column defined twice differently",
			layers: []Layer{layer("basic", "basic.hcl", basicHCL), layer("module/crm", "crm.hcl", `table "users" {
  schema = schema.tenant
  column "email" {
    type = varchar(255)
  }
}
`)},
			want: []string{"crm.hcl:3:3", `column "email" of table "users" is defined differently in basic.hcl:9 (layer basic) and crm.hcl:3 (layer module/crm)`},
		},
		{
			name: "table attribute changed",
			layers: []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "x.hcl", `table "users" {
  schema  = schema.tenant
  comment = "people"
}
table "users" {
  schema  = schema.tenant
  comment = "accounts"
}
`)},
			want: []string{"x.hcl:7:3", `attribute "comment" of table "users" is defined differently in x.hcl:3`},
		},
		{
			name:   "syntax error",
			layers: []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "x.hcl", "table \"t\" {\n  column \"a\" {\n    type = \n}\n")},
			want:   []string{"x.hcl:3:"},
		},
		{
			name:   "second schema",
			layers: []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "x.hcl", `schema "other" {}`)},
			want:   []string{"x.hcl:1:1", `schema "other" is defined differently in basic.hcl:1`},
		},
		{
			name:   "no schema block",
			layers: []Layer{layer("basic", "basic.hcl", "table \"t\" {\n  schema = schema.tenant\n}\n")},
			want:   []string{"no schema block"},
		},
		{
			name:   "unsupported block",
			layers: []Layer{layer("basic", "basic.hcl", basicHCL+"\nview \"v\" {\n}\n")},
			want:   []string{"basic.hcl:17:1", `unsupported block "view"`},
		},
		{
			name: "unknown type",
			layers: []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "x.hcl", `table "users" {
  schema = schema.tenant
  column "age" {
    type = numberish
  }
}
`)},
			want: []string{"x.hcl:4:"},
		},
		{
			name: "reference to a missing table",
			layers: []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "x.hcl", `table "orders" {
  schema = schema.tenant
  column "user_id" {
    type = bigint
  }
  foreign_key "orders_user_fk" {
    columns     = [column.user_id]
    ref_columns = [table.customers.column.id]
  }
}
`)},
			want: []string{"x.hcl:8:"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compose(MariaDB, tc.layers, Options{})
			if err == nil {
				t.Fatal("composed without error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestSQLiteAdaptation(t *testing.T) {
	t.Parallel()
	d, err := Compose(SQLite, []Layer{layer("basic", "basic.hcl", basicHCL+`
table "events" {
  schema = schema.tenant
  column "id" {
    type           = int
    unsigned       = true
    auto_increment = true
  }
  column "kind" {
    type = enum("a", "b")
  }
  column "at" {
    type    = timestamp
    default = sql("CURRENT_TIMESTAMP")
  }
  column "body" {
    type    = mediumtext
    charset = "utf8mb4"
  }
  primary_key {
    columns = [column.id]
  }
}
`)}, Options{Charset: "utf8mb4"})
	if err != nil {
		t.Fatal(err)
	}
	events, _ := d.schema.Table("events")
	for col, want := range map[string]string{"id": "integer", "kind": "text", "at": "timestamp", "body": "text"} {
		c, _ := events.Column(col)
		if c.Type.Raw != want {
			t.Errorf("column %s: %s, want %s", col, c.Type.Raw, want)
		}
	}
	if len(d.schema.Attrs) != 0 {
		t.Errorf("MySQL schema attributes kept on SQLite: %v", d.schema.Attrs)
	}

	for name, tc := range map[string]struct{ hcl, want string }{
		"auto_increment outside the primary key": {`table "t" {
  schema = schema.tenant
  column "id" {
    type = bigint
  }
  column "n" {
    type           = bigint
    auto_increment = true
  }
  primary_key {
    columns = [column.id]
  }
  index "t_n" {
    unique  = true
    columns = [column.n]
  }
}
`, `x.hcl:6: column "n" of table "t": SQLite allows AUTO_INCREMENT only on a column that is the whole primary key`},
		"shared index name": {`table "t" {
  schema = schema.tenant
  column "email" {
    type = varchar(10)
  }
  index "by_email" {
    columns = [column.email]
  }
}
table "users" {
  schema = schema.tenant
  index "by_email" {
    columns = [column.email]
  }
}
`, `SQLite index names are global`},
		"bit type": {`table "t" {
  schema = schema.tenant
  column "flags" {
    type = bit(8)
  }
}
`, `x.hcl:3: column "flags" of table "t": type bit(8) has no SQLite equivalent`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Compose(SQLite, []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "x.hcl", tc.hcl)}, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNarrowing(t *testing.T) {
	t.Parallel()
	i := func(t string, unsigned bool) atlas.Type { return &atlas.IntegerType{T: t, Unsigned: unsigned} }
	s := func(t string, n int) atlas.Type { return &atlas.StringType{T: t, Size: n} }
	dec := func(p, sc int) atlas.Type { return &atlas.DecimalType{T: "decimal", Precision: p, Scale: sc} }
	enum := func(v ...string) atlas.Type { return &atlas.EnumType{T: "enum", Values: v} }
	tm := func(t string) atlas.Type { return &atlas.TimeType{T: t} }
	for _, tc := range []struct {
		from, to atlas.Type
		lossy    bool
	}{
		{i("int", false), i("bigint", false), false},
		{i("bigint", false), i("int", false), true},
		{i("int", true), i("int", false), true},
		{i("int", false), i("int", true), true},
		{i("int", true), i("bigint", false), false},
		{i("int", false), s("varchar", 20), true},
		{s("varchar", 100), s("varchar", 200), false},
		{s("varchar", 200), s("varchar", 100), true},
		{s("varchar", 200), s("text", 0), false},
		{s("text", 0), s("varchar", 255), true},
		{s("mediumtext", 0), s("text", 0), true},
		{dec(10, 2), dec(12, 2), false},
		{dec(10, 2), dec(10, 1), true},
		{dec(10, 2), dec(9, 2), true},
		{enum("a", "b"), enum("a", "b", "c"), false},
		{enum("a", "b"), enum("a"), true},
		{enum("long-value"), s("varchar", 5), true},
		{tm("date"), tm("datetime"), false},
		{tm("datetime"), tm("date"), true},
		{tm("timestamp"), tm("datetime"), false},
		{&atlas.BoolType{T: "bool"}, i("tinyint", false), false},
		{&atlas.JSONType{T: "json"}, s("varchar", 100), true},
	} {
		if got := narrowing(tc.from, tc.to) != ""; got != tc.lossy {
			t.Errorf("%T%+v → %T%+v: lossy %v, want %v", tc.from, tc.from, tc.to, tc.to, got, tc.lossy)
		}
	}
}

// TestComposeErrorKeepsPosition: an error Atlas returns as text that starts
// with a source range is still an error at file:line:col (found by
// FuzzValidate).
func TestComposeErrorKeepsPosition(t *testing.T) {
	t.Parallel()
	_, err := Compose(MariaDB, []Layer{
		layer("basic", "basic.hcl", basicHCL),
		layer("custom/acme", "custom.hcl", "table \"t\" {\nschema=schema\n}\n"),
	}, Options{})
	var es SourceErrors
	if !errors.As(err, &es) || len(es) != 1 || es[0].File != "custom.hcl" || es[0].Line != 2 || es[0].Column != 1 ||
		!strings.Contains(es[0].Msg, "invalid reference") {
		t.Fatalf("got %#v (%v), want one error at custom.hcl:2:1", es, err)
	}
}
