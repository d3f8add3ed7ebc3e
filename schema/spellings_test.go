package schema

import (
	"context"
	"strings"
	"testing"
)

// Columns as people write them, which the server stores otherwise
// (generated expressions unquoted, NOW(), short dates and times, BIT
// numbers, DEFAULT NULL, type aliases such as integer and double
// precision, function defaults): each converges once applied (the desired
// hash is refused otherwise, TestDesiredMustConverge). Spellings the
// server stores in a way no plan can follow are refused at their file and
// line.
func TestLayerSpellingsConverge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	col := func(lines ...string) string {
		return "column \"c\" {\n" + strings.Join(lines, "\n") + "\n}"
	}
	cases := map[string]string{
		"now default":      col("type = datetime", `default = sql("now()")`),
		"now on update":    col("type = timestamp", `default = sql("now()")`, `on_update = sql("now()")`),
		"ts6":              col("type = timestamp(6)", `default = sql("CURRENT_TIMESTAMP(6)")`),
		"uuid default":     col("type = char(36)", `default = sql("uuid()")`),
		"generated concat": "column \"a\" {\ntype = varchar(10)\n}\ncolumn \"b\" {\ntype = varchar(10)\n}\n" + col("type = varchar(30)", "as {", `expr = "concat(a, ' ', b)"`, "}"),
		"generated upper":  "column \"a\" {\ntype = varchar(10)\n}\n" + col("type = varchar(30)", "as {", `expr = "UPPER(a)"`, "type = STORED", "}"),
		"generated mod":    "column \"a\" {\ntype = int\n}\n" + col("type = int", "as {", `expr = "a % 3"`, "}"),
		"generated json":   "column \"j\" {\ntype = json\n}\n" + col("type = varchar(30)", "as {", `expr = "json_unquote(json_extract(j, '$.name'))"`, "}"),
		"bool false":       col("type = bool", "default = false"),
		"decimal 1":        col("type = decimal(10,2)", "default = 1"),
		"decimal str":      col("type = decimal(10,2)", `default = "1.5"`),
		"float":            col("type = float", "default = 1.5"),
		"double neg":       col("type = double", "default = -0.5"),
		"datetime date":    col("type = datetime", `default = "2020-01-01"`),
		"time short":       col("type = time", `default = "10:00"`),
		"date":             col("type = date", `default = "2020-01-01"`),
		"year":             col("type = year", "default = 2020"),
		"bit b":            col("type = bit(1)", `default = sql("b'1'")`),
		"bit 1":            col("type = bit(1)", "default = 1"),
		"bit8":             col("type = bit(8)", "default = 5"),
		"enum def":         col(`type = enum("a","b")`, `default = "b"`),
		"set def":          col(`type = set("a","b")`, `default = "a,b"`),
		"json null":        col("type = json", "null = true"),
		"text default":     col("type = text", `default = "x"`),
		"ascii":            col("type = varchar(10)", `charset = "ascii"`),
		"latin1 bin":       col("type = varchar(10)", `collate = "latin1_bin"`),
		"utf8 charset":     col("type = varchar(10)", `charset = "utf8"`),
		"utf8 collate":     col("type = varchar(10)", `collate = "utf8_unicode_ci"`),
		"int unsigned":     col("type = int", "unsigned = true"),
		"varbinary def":    col("type = varbinary(4)", `default = "ab"`),
		"double prec":      col(`type = sql("double precision")`),
		"integer":          col(`type = sql("integer")`),
		"character":        col(`type = sql("character varying(5)")`),
		"int def str":      col("type = int", `default = "0"`),
		"char def blank":   col("type = char(3)", `default = ""`),
		"def null":         col("type = int", "null = true", `default = sql("NULL")`),
		"ts null":          col("type = timestamp", "null = true"),
		"datetime(3)":      col("type = datetime(3)", `default = sql("current_timestamp(3)")`),
		"def expr":         col("type = int", `default = sql("(1 + 1)")`),
		"def curdate":      col("type = date", `default = sql("curdate()")`),
		"def str fn":       col("type = varchar(40)", `default = sql("concat('a', 'b')")`),
		"def upper":        col("type = varchar(40)", `default = sql("upper('a')")`),
		"engine myisam lc": "engine = \"myisam\"\n" + col("type = int"),
		"row fmt lc":       "options = { row_format = \"dynamic\" }\n" + col("type = int"),
		"charset table":    "charset = \"latin1\"\n" + col("type = varchar(3)"),
		"utf8 table":       "charset = \"utf8\"\ncollate = \"utf8_general_ci\"\n" + col("type = varchar(3)"),
		"serial":           col(`type = sql("bigint unsigned")`, "auto_increment = true") + "\nprimary_key {\ncolumns = [column.c]\n}",
		"desc index":       col("type = int") + "\nindex \"i\" {\non {\ncolumn = column.c\ndesc = true\n}\n}",
		"prefix index":     col("type = text") + "\nindex \"i\" {\non {\ncolumn = column.c\nprefix = 10\n}\n}",
		"fulltext":         col("type = text") + "\nindex \"i\" {\ntype = FULLTEXT\ncolumns = [column.c]\n}",
		"spatial":          col(`type = sql("point")`) + "\nindex \"i\" {\ntype = SPATIAL\ncolumns = [column.c]\n}",
		"uuid type":        col(`type = sql("uuid")`),
		"inet6":            col(`type = sql("inet6")`),
		"tinyint(1)":       col(`type = sql("tinyint(1)")`, "default = 0"),
		"int(11)":          col(`type = sql("int(11)")`),
		"float(7,3)":       col(`type = sql("float(7,3)")`),
		"long":             col(`type = sql("long varchar")`),
		"dec":              col(`type = sql("dec(5,2)")`),
		"fixed":            col(`type = sql("fixed(5,2)")`),
		"bool sql":         col(`type = sql("boolean")`),
		"int1":             col(`type = sql("int1")`),
		"middleint":        col(`type = sql("middleint")`),
		"float4":           col(`type = sql("float4")`),
	}
	for name, body := range cases {
		d, err := Compose(MariaDB, []Layer{{Name: "basic", Files: []File{{Path: "layers/basic/p.hcl", Data: []byte("schema \"tenant\" {}\ntable \"p\" {\n  schema = schema.tenant\n" + body + "\n}\n")}}}}, opts)
		if err != nil {
			t.Errorf("%s: compose: %v", name, err)
			continue
		}
		if _, err := srv.DesiredHash(ctx, d); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if name == "uuid default" {
			// A function, not the string 'uuid()'.
			live, err := srv.DesiredLive(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if got := live.ddl["p"].Columns[0].Attrs["default"]; got != "uuid()" {
				t.Errorf("sql(\"uuid()\") is stored as DEFAULT %s, want uuid()", got)
			}
		}
	}
	// A character set the server does not know: the error names the file
	// and line of its column.
	d, err := Compose(MariaDB, []Layer{{Name: "basic", Files: []File{{Path: "layers/basic/p.hcl", Data: []byte("schema \"tenant\" {}\ntable \"p\" {\n  schema = schema.tenant\n" + col("type = varchar(3)", `charset = "nonexistent_cs"`) + "\n}\n")}}}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.DesiredHash(ctx, d); err == nil || !strings.Contains(err.Error(), `layers/basic/p.hcl:4: desired schema: column p.c: unknown character set "nonexistent_cs"`) {
		t.Errorf("unknown charset: %v", err)
	}
	for _, tc := range []struct{ typ, want string }{
		{"varchar(10) binary", `layers/basic/p.hcl:5:1: type "varchar(10) binary": write the type without binary, with a binary collation`},
		{"nvarchar(10)", `layers/basic/p.hcl:5:1: type "nvarchar(10)": write the type without national, with charset = "utf8mb3"`},
		{"money", `layers/basic/p.hcl:5:1: type "money": not a type of MySQL or MariaDB`},
		{"int unique key", `layers/basic/p.hcl:5:1: type "int unique key": "unique" is no part of a type`},
		{"int references users(id)", `"references" is no part of a type`},
		{"int as (id * 2) virtual", `"as" is no part of a type`},
	} {
		_, err := Compose(MariaDB, []Layer{{Name: "basic", Files: []File{{Path: "layers/basic/p.hcl", Data: []byte("schema \"tenant\" {}\ntable \"p\" {\n  schema = schema.tenant\n" + col(`type = sql("`+tc.typ+`")`) + "\n}\n")}}}}, opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.typ, err, tc.want)
		}
	}
}
