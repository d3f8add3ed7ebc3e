package reconciler

import (
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
)

// FuzzValidate validates the example repository with one custom layer file
// and one module file of any content, as validate, reconcile and serve do
// before anything runs: every name and literal of a layer goes through the
// checks of the repository here. No input may panic, hang or allocate
// without bound, and every problem of the file names it.
func FuzzValidate(f *testing.F) {
	example := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(testenv.ExampleDir()), ".", func(p string, d fs.DirEntry, err error) error {
		// One tenant keeps each run short: the others compose schemas
		// the fuzzed file has no part in.
		if err != nil || d.IsDir() || strings.HasPrefix(p, ".landlord") ||
			(strings.HasPrefix(p, "tenants/") && p != "tenants/janamat.yaml") {
			return err
		}
		data, err := fs.ReadFile(os.DirFS(testenv.ExampleDir()), p)
		example[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range fuzzSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "layers/custom/janamat/fuzz.hcl"
		fsys := make(fstest.MapFS, len(example)+1)
		for k, v := range example {
			fsys[k] = v
		}
		fsys[file] = &fstest.MapFile{Data: data}
		// On MariaDB: FuzzCompose runs the SQLite check of schema.
		repo, err := desired.Load(fsys, "fuzz", desired.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false },
			Servers: map[string]string{"primary": "mariadb://root@127.0.0.1:1/"}})
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
			if slug != "janamat" {
				t.Fatalf("janamat's custom layer stopped tenant %s: %v", slug, v.Errors)
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
