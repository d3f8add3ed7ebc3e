package schema

import (
	"strings"
	"testing"
)

// computingLayers are layer files whose expressions compute values: each
// is small here, but the same constructs nested or repeated stand for
// gigabytes that HCL builds in memory before anything can bound them (a
// 400-byte file of eight nested %{for} directives over ten elements killed
// landlord validate, reconcile and serve for lack of memory). Each must be
// refused at its place before anything evaluates it.
var computingLayers = []struct {
	name, hcl, want string
}{
	{"for directive in a comment", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type    = int\n    comment = \"%{for a in [1, 2]}%{for b in [1, 2]}x%{endfor}%{endfor}\"\n  }\n}\n",
		"evil.hcl:5:16: a string with ${...} or %{...}: a layer file's strings are literal text"},
	{"for expression", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  index \"i\" {\n    columns = [for c in [column.id, column.id]: c]\n  }\n}\n",
		"evil.hcl:7:15: a for expression: a layer file writes its values out, landlord evaluates no loops"},
	{"for directive in a heredoc", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  check \"c\" {\n    expr = <<EOT\nid > %{for x in [1, 2]}${x}%{endfor}\nEOT\n  }\n}\n",
		"evil.hcl:8:6: a string with ${...} or %{...}"},
	{"interpolated reference", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type    = int\n    comment = \"x\"\n  }\n  check \"c\" {\n    expr = \"id > length('${table.evil.column.id.comment}${table.evil.column.id.comment}')\"\n  }\n}\n",
		"evil.hcl:8:28: a string with ${...} or %{...}"},
	{"interpolation alone", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type    = int\n    comment = \"${\"x\"}\"\n  }\n}\n",
		"evil.hcl:5:15: a string that is one ${...}: write the value itself"},
	{"stdlib function", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = varchar(length(range(10)))\n  }\n}\n",
		"evil.hcl:4:20: function \"length\": a layer file may call sql() and the column types"},
	{"function in sql", "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type    = int\n    default = sql(format(\"%d\", 1))\n  }\n}\n",
		"evil.hcl:5:19: function \"format\""},
	{"function in a type", "table \"evil\" {\n  schema = schema.tenant\n  column \"e\" {\n    type = enum(join(\"\", [\"a\", \"b\"]))\n  }\n}\n",
		"evil.hcl:4:17: function \"join\""},
}

func TestComposeRefusesComputedValues(t *testing.T) {
	t.Parallel()
	for _, tc := range computingLayers {
		t.Run(tc.name, func(t *testing.T) {
			for _, engine := range []Engine{MariaDB, SQLite} {
				_, err := Compose(engine, []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "evil.hcl", tc.hcl)}, Options{})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("%s: error %v: want %q", engine, err, tc.want)
				}
			}
			errs := CheckSyntax(File{Path: "evil.hcl", Data: []byte(tc.hcl)})
			if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
				t.Fatalf("CheckSyntax: %v: want %q", errs, tc.want)
			}
		})
	}
}

// One error for an expression, not one for each it holds: eight nested
// loops are one mistake.
func TestComputedValueReportedOnce(t *testing.T) {
	t.Parallel()
	src := "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type    = int\n    comment = \"" +
		strings.Repeat("%{for a in [1, 2]}", 8) + "x" + strings.Repeat("%{endfor}", 8) + "\"\n  }\n}\n"
	errs := CheckSyntax(File{Path: "evil.hcl", Data: []byte(src)})
	if len(errs) != 1 {
		t.Fatalf("%d errors, want 1:\n%v", len(errs), errs)
	}
}

// What a schema writes out is accepted: column types with arguments,
// sql(), heredocs of literal text, and $${ and %%{ for the characters.
func TestComposeAcceptsWrittenOutValues(t *testing.T) {
	t.Parallel()
	_, err := Compose(MariaDB, []Layer{layer("basic", "basic.hcl", basicHCL), layer("custom/x", "ok.hcl", `table "prices" {
  schema  = schema.tenant
  comment = "costs $${price} or %%{price}"
  column "id" {
    type = bigint
  }
  column "amount" {
    type    = decimal(10, 2)
    default = 0
  }
  column "currency" {
    type    = varchar(3)
    default = "NPR"
  }
  column "kind" {
    type = enum("retail", "wholesale")
  }
  column "at" {
    type    = datetime(6)
    default = sql("CURRENT_TIMESTAMP(6)")
  }
  check "positive" {
    expr = <<EOT
amount >= 0
EOT
  }
  primary_key {
    columns = [column.id]
  }
}
`)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
}
