package reconciler

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/landlord/landlord/desired"
)

// FuzzValidate validates a small repository with a custom layer file of
// any content, as validate, reconcile and serve do before anything runs:
// every name and literal of a layer goes through the checks of the
// repository here. No input may panic, hang or allocate without bound,
// every problem of the file names it, and the file stops its own tenant
// only.
func FuzzValidate(f *testing.F) {
	base := fstest.MapFS{
		"landlord.yaml": {Data: []byte("servers:\n  primary:\n    url: mariadb://root@127.0.0.1:1/\n")},
		"layers/basic/schema.hcl": {Data: []byte(`schema "tenant" {}

table "users" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "email" {
    type = varchar(191)
  }
  primary_key {
    columns = [column.id]
  }
  index "users_email" {
    unique  = true
    columns = [column.email]
  }
}
`)},
		"layers/templates/party/template.yaml": {Data: []byte("version: 1.0.0\n")},
		"tenants/acme.yaml":                    {Data: []byte("slug: acme\ntemplate: party\n")},
		"tenants/beta.yaml":                    {Data: []byte("slug: beta\ntemplate: party\n")},
	}
	for _, seed := range fuzzSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "layers/custom/acme/fuzz.hcl"
		fsys := make(fstest.MapFS, len(base)+1)
		for k, v := range base {
			fsys[k] = v
		}
		fsys[file] = &fstest.MapFile{Data: data}
		repo, err := desired.Load(fsys, "fuzz", desired.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		v := Validate(repo)
		for _, p := range v.Errors {
			if strings.Contains(p.Message, "fuzz.hcl") && p.File == "" {
				t.Fatalf("a problem of the file without its position: %v", p)
			}
		}
		for _, slug := range v.Affected() {
			if slug != "acme" {
				t.Fatalf("acme's custom layer stopped tenant %s: %v", slug, v.Errors)
			}
		}
	})
}

// fuzzSeeds are hostile custom layers: injections through every kind of
// name and literal, and nestings near the limit. testdata/fuzz holds more.
var fuzzSeeds = []string{
	"table \"leak` AS SELECT * FROM `t_002`.`users` #\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n}\n",
	"table \"users\" {\n  schema = schema.tenant\n  column \"x` int, `y\" {\n    type = int\n    null = true\n  }\n}\n",
	"table \"t\" {\n  schema = schema.tenant\n  column \"c\" {\n    type = enum(\"a\", \"b') NULL, `x` int NULL, `y` enum('c\")\n  }\n}\n",
	"table \"t\" {\n  schema = schema.tenant\n  column \"c\" {\n    type = varchar(10)\n    null = true\n    default = \"'; DROP TABLE t; --\"\n    comment = \"\\\\'\"\n  }\n  index \"i`; DROP\" {\n    columns = [column.c]\n  }\n  check \"c`\" {\n    expr = \"1); DROP TABLE t; --\"\n  }\n}\n",
	"table \"t\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  foreign_key \"fk` ON DELETE CASCADE, DROP TABLE `users\" {\n    columns = [column.id]\n    ref_columns = [table.users.column.id]\n  }\n}\n",
	"table \"" + strings.Repeat("a", 65) + "\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n}\n",
	"table \"t\\u0000\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n}\n",
	"x = " + strings.Repeat("(", 70) + "1" + strings.Repeat(")", 70) + "\n",
	"table \"users\" {\n  schema = schema.tenant\n  comment = <<EOT\n${\"x\"}\nEOT\n}\n",
}
