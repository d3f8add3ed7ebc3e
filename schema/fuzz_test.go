package schema

import (
	"context"
	"strings"
	"testing"
)

// hostileHCL are seeds for the fuzz targets of layer files: the injections
// landlord must refuse or escape, nestings near the limit, and bytes no
// schema holds. testdata/fuzz holds more.
var hostileHCL = []string{
	basicHCL,
	"table \"leak` AS SELECT * FROM `t_002`.`users` #\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n}\n",
	"table \"t\" {\n  schema = schema.tenant\n  column \"c\" {\n    type = enum(\"a\", \"b') NULL, `x` int NULL, `y` enum('c\")\n  }\n}\n",
	"table \"t\" {\n  schema = schema.tenant\n  column \"c\" {\n    type = varchar(10)\n    default = \"'; DROP TABLE t; --\"\n    comment = \"\\\\' OR 1=1\"\n  }\n  index \"i`x\" {\n    columns = [column.c]\n  }\n}\n",
	"x = " + strings.Repeat("(", MaxNesting-2) + "1" + strings.Repeat(")", MaxNesting-2),
	"x = " + strings.Repeat("(", MaxNesting+1),
	"x = <<EOT\n${" + strings.Repeat("[", 10) + "}\nEOT\n",
	"x = \"%{if true}%{for a in b}${a}%{endfor}%{endif}\"",
	"table \"\x00\" {}\n",
	"table \"\xff\xfe\" {\n schema = schema.tenant\n}\n",
	"schema \"tenant\" {}\r\ntable \"t\" {\r\n  schema = schema.tenant\r\n}\r\n",
	"/* unterminated",
	"x = -!-!-!-!-1 ? 2 : 3 ? 4 : 5",
}

// FuzzCompose composes a basic layer with one layer file of any content:
// no input may panic, hang or allocate without bound, and every error
// names the file.
func FuzzCompose(f *testing.F) {
	for _, s := range hostileHCL {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := File{Path: "layers/custom/acme/fuzz.hcl", Data: data}
		for _, e := range CheckSyntax(file) {
			if e.File != file.Path {
				t.Fatalf("syntax error without the file: %v", e)
			}
		}
		layers := []Layer{{Name: "basic", Files: []File{{Path: "layers/basic/schema.hcl", Data: []byte(basicHCL)}}},
			{Name: "custom/acme", Files: []File{file}}}
		for _, engine := range []Engine{MariaDB, SQLite} {
			d, err := Compose(engine, layers, Options{})
			if err != nil {
				continue
			}
			if engine == SQLite {
				CheckSQLite(context.Background(), d)
			}
		}
	})
}

// FuzzCheckLimits: the scan before the parser never panics, and whatever it
// lets through the parser survives (a stack overflow would kill the fuzzer).
func FuzzCheckLimits(f *testing.F) {
	for _, s := range hostileHCL {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := File{Path: "fuzz.hcl", Data: data}
		if e := CheckLimits(file); e != nil {
			if e.Line < 1 || e.Column < 0 {
				t.Fatalf("limit error without a position: %v", e)
			}
			return
		}
		CheckSyntax(file)
	})
}
