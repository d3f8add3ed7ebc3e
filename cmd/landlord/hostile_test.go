package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/state"
)

// hostileCase is a change to the example repository that an attacker with
// merge rights could make, and the error (file:line:col: message) that
// validate, reconcile --plan and reconcile must give for it.
type hostileCase struct {
	name  string
	files map[string]string // path: content; "~old~new" replaces in the file
	want  string
	// tenant is the tenant the case is about: reconciles are limited to it.
	tenant string
}

const (
	evilLayer = "layers/custom/nepali-congress/evil.hcl"
	evilData  = "layers/basic/data/provinces.yaml"
)

// evilTable is a custom-layer table with a hostile body.
func evilTable(body string) string {
	return "table \"evil\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = bigint\n  }\n" + body + "}\n"
}

func hostileCases(prefix string) []hostileCase {
	congress := "tenants/nepali-congress.yaml"
	manifestDB := func(db string) map[string]string {
		return map[string]string{congress: "~database: " + prefix + "nepali_congress~database: " + db}
	}
	return []hostileCase{
		{name: "table name", files: map[string]string{evilLayer: "table \"leak` AS SELECT * FROM `t_002`.`users` #\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n}\n"},
			want: evilLayer + ":1:7: table name \"leak` AS SELECT * FROM `t_002`.`users` #\""},
		{name: "column name", files: map[string]string{evilLayer: evilTable("  column \"x` int, `y\" {\n    type = int\n  }\n")},
			want: evilLayer + ":6:10: column name \"x` int, `y\""},
		{name: "index name", files: map[string]string{evilLayer: evilTable("  index \"i`(id)); DROP TABLE users; #\" {\n    columns = [column.id]\n  }\n")},
			want: evilLayer + ":6:9: index name"},
		{name: "foreign key name", files: map[string]string{evilLayer: evilTable("  foreign_key \"f` FOREIGN KEY (id) REFERENCES mysql.user (id) -- \" {\n    columns = [column.id]\n    ref_columns = [table.users.column.id]\n  }\n")},
			want: evilLayer + ":6:15: foreign key name"},
		{name: "check name", files: map[string]string{evilLayer: evilTable("  check \"c` CHECK (1), DROP COLUMN id, ADD CONSTRAINT `d\" {\n    expr = \"id > 0\"\n  }\n")},
			want: evilLayer + ":6:9: check name"},
		{name: "check expression", files: map[string]string{evilLayer: evilTable("  check \"c\" {\n    expr = \"id > 0), DROP COLUMN `id`, CHECK (1\"\n  }\n")},
			want: evilLayer + ":7:5: expr"},
		{name: "enum value", files: map[string]string{evilLayer: evilTable("  column \"e\" {\n    type = enum(\"a\", \"b') NULL, `x` int NULL, `y` enum('c\")\n  }\n")},
			want: evilLayer + ":7:22: enum value"},
		{name: "set value", files: map[string]string{evilLayer: evilTable("  column \"s\" {\n    type = set(\"a\", \"b\\\\\")\n  }\n")},
			want: evilLayer + ":7:21: set value"},
		{name: "table comment", files: map[string]string{evilLayer: evilTable("  comment = \"'x''\"\n")},
			want: evilLayer + ":6:3: comment"},
		{name: "column comment", files: map[string]string{evilLayer: evilTable("  column \"c\" {\n    type = int\n    comment = \"'a', ADD COLUMN `z` int, COMMENT 'b'\"\n  }\n")},
			want: evilLayer + ":8:5: comment"},
		{name: "string default", files: map[string]string{evilLayer: evilTable("  column \"v\" {\n    type = varchar(10)\n    default = \"'a' , ADD COLUMN `z` int, MODIFY `v` varchar(10) DEFAULT 'b'\"\n  }\n")},
			want: evilLayer + ":8:5: default"},
		{name: "number default", files: map[string]string{evilLayer: evilTable("  column \"n\" {\n    type = int\n    default = \"1, ADD COLUMN `z` int\"\n  }\n")},
			want: evilLayer + ":8:5: column \"n\" of table \"evil\": default \"1, ADD COLUMN `z` int\": a number column's default must be a number"},
		{name: "sql default", files: map[string]string{evilLayer: evilTable("  column \"n\" {\n    type = int\n    default = sql(\"1, ADD COLUMN `z` int\")\n  }\n")},
			want: evilLayer + ":8:5: default"},
		{name: "for directive", files: map[string]string{evilLayer: evilTable("  comment = \"%{for a in [1, 2]}%{for b in [1, 2]}x%{endfor}%{endfor}\"\n")},
			want: evilLayer + ":6:14: a string with ${...} or %{...}: a layer file's strings are literal text"},
		{name: "function", files: map[string]string{evilLayer: evilTable("  column \"c\" {\n    type = varchar(length(range(10)))\n  }\n")},
			want: evilLayer + ":7:20: function \"length\""},
		{name: "mysql", files: manifestDB("mysql"), want: congress + ":8:11: database: a tenant may not have database \"mysql\": mysql is a database of the server itself"},
		{name: "sys", files: manifestDB("sys"), want: congress + ":8:11: database: a tenant may not have database \"sys\""},
		{name: "information_schema", files: manifestDB("information_schema"), want: "a tenant may not have database \"information_schema\""},
		{name: "performance_schema", files: manifestDB("performance_schema"), want: "a tenant may not have database \"performance_schema\""},
		{name: "landlord", files: manifestDB("landlord"), want: congress + ":8:11: database: a tenant may not have database \"landlord\": landlord is the landlord database"},
		{name: "state database", files: manifestDB(prefix + "landlord"), want: "is the landlord database"},
		{name: "scratch database", files: manifestDB("landlord_dev_0123456789ab"), want: "names starting with landlord_dev_ are landlord's scratch databases"},
		{name: "denied database", files: map[string]string{"landlord.yaml": "~database:\n~database:\n  deny: [\"" + prefix + "nepali_*\"]\n"},
			want: congress + ":8:11: database: a tenant may not have database \"" + prefix + "nepali_congress\": " + prefix + "nepali_congress is denied by database.deny"},
		{name: "manifest loosens policy", files: map[string]string{
			congress: "~domain:~policy:\n  allowDestructive: true\ndomain:",
			// The loosened policy would drop a column of the tenant's.
			"layers/custom/nepali-congress/congress.hcl": "~  column \"elected_from\" {\n    type = varchar(64)\n  }\n~",
		}, want: congress + ":7:21: policy.allowDestructive: a tenant manifest may only tighten the policy of landlord.yaml"},
		{name: "data column name", files: map[string]string{evilData: "~  capital: Biratnagar~  \"name_en` = 'x', `id\": Biratnagar"},
			want: evilData + ":6:3: unknown column \"name_en` = 'x', `id\" of table provinces"},
		{name: "data table name", files: map[string]string{"layers/basic/data/mysql.yaml": "- id: 1\n"},
			want: "layers/basic/data/mysql.yaml: rows for table \"mysql\": no layer of this tenant declares it"},
		{name: "data key twice in a layer", files: map[string]string{evilData: "~- id: 2\n~- id: 1\n"},
			want: evilData + ":7:3: duplicate key id=1 of provinces: first at line 3"},
		{name: "manifest heals drift", files: map[string]string{congress: "~domain:~policy:\n  drift: heal\ndomain:"},
			want: congress + ":7:10: policy.drift: a tenant manifest may only tighten the policy of landlord.yaml: drift: heal needs policy.tenantOverrides: true"},
	}
}

// TestHostileRepositories runs each hostile change of the example through
// validate, reconcile --plan and reconcile against MariaDB, with the
// landlord database on MariaDB too: each is a clear error at file:line:col
// with exit code 1, and the server's databases, tables and rows are as
// they were.
func TestHostileRepositories(t *testing.T) {
	c := newCLI(t)
	c.state = strings.TrimSuffix(c.server, "/") + "/" + c.prefix + "landlord"
	st, err := state.Open(context.Background(), c.state)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	c.must(0, "reconcile")
	for _, slug := range []string{"nepali-congress", "cpn-uml"} {
		c.exec("INSERT INTO `" + c.database(slug) + "`.`provinces` VALUES (98, 'Own', 'आफ्नै', NULL), (99, 'Other', 'अर्को', 'x')")
	}
	before := c.serverState()
	for _, tc := range hostileCases(c.prefix) {
		t.Run(tc.name, func(t *testing.T) {
			restore := c.change(t, tc.files)
			defer restore()
			runs := [][]string{
				{"validate", "--repo", c.repo, "--server", "primary=" + c.server, "--state", c.state},
				append([]string{"reconcile", "--plan", "--tenant", "nepali-congress"}, c.repoArgs()...),
				append([]string{"reconcile", "--tenant", "nepali-congress"}, c.repoArgs()...),
			}
			for _, args := range runs {
				out, errOut, code := c.run(args...)
				if code != 1 || !strings.Contains(out+errOut, tc.want) {
					t.Errorf("landlord %s: exit %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", args[0]+" "+args[1], code, tc.want, out, errOut)
				}
			}
			if diff := cmp.Diff(c.serverState(), before); diff != "" {
				t.Errorf("the server changed (-after +before):\n%s", diff)
			}
		})
	}
}

// change writes files of the repository ("~old~new" replaces old by new in
// the file) and returns what restores them.
func (c *cli) change(t *testing.T, files map[string]string) func() {
	t.Helper()
	saved := map[string][]byte{}
	for rel, content := range files {
		p := filepath.Join(c.repo, rel)
		old, err := os.ReadFile(p)
		if err == nil {
			saved[rel] = old
		}
		if strings.HasPrefix(content, "~") {
			parts := strings.SplitN(content[1:], "~", 2)
			if !strings.Contains(string(old), parts[0]) {
				t.Fatalf("%s does not contain %q", rel, parts[0])
			}
			content = strings.Replace(string(old), parts[0], parts[1], 1)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		for rel := range files {
			p := filepath.Join(c.repo, rel)
			if old, ok := saved[rel]; ok {
				os.WriteFile(p, old, 0o644)
			} else {
				os.Remove(p)
			}
		}
	}
}

var countable = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// serverState lists the server's databases that a hostile repository
// could reach — the server's own, landlord's, and the test's — with their
// tables, and the columns, row counts and checksums of every table of the
// test's tenants (the rows of the server's own tables change with other
// tests on the shared server; the landlord database records every run).
func (c *cli) serverState() []string {
	c.t.Helper()
	var out []string
	rows, err := c.db.Query(`SELECT s.SCHEMA_NAME, COALESCE(t.TABLE_NAME, '') FROM information_schema.SCHEMATA s
		LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME
		WHERE s.SCHEMA_NAME IN ('mysql', 'sys', 'information_schema', 'performance_schema', 'landlord') OR s.SCHEMA_NAME LIKE ?
		ORDER BY 1, 2`, strings.ReplaceAll(c.prefix, "_", `\_`)+"%")
	if err != nil {
		c.t.Fatal(err)
	}
	type table struct{ db, name string }
	var mine []table
	for rows.Next() {
		var db, name string
		if err := rows.Scan(&db, &name); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, db+"."+name)
		// The landlord database records every run: its rows change.
		if strings.HasPrefix(db, c.prefix) && db != c.prefix+"landlord" && name != "" && countable.MatchString(db) && countable.MatchString(name) {
			mine = append(mine, table{db, name})
		}
	}
	rows.Close()
	if len(mine) == 0 {
		c.t.Fatal("no tables of the test's tenants")
	}
	for _, tb := range mine {
		var n int
		if err := c.db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`%s`", tb.db, tb.name)).Scan(&n); err != nil {
			c.t.Fatal(err)
		}
		var name string
		var sum sql.NullInt64
		if err := c.db.QueryRow(fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", tb.db, tb.name)).Scan(&name, &sum); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s.%s rows %d checksum %d", tb.db, tb.name, n, sum.Int64))
	}
	cols, err := c.db.Query(`SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA LIKE ? AND TABLE_SCHEMA <> ? ORDER BY 1, 2, 3`, strings.ReplaceAll(c.prefix, "_", `\_`)+"%", c.prefix+"landlord")
	if err != nil {
		c.t.Fatal(err)
	}
	defer cols.Close()
	for cols.Next() {
		var db, table, col, typ, null string
		if err := cols.Scan(&db, &table, &col, &typ, &null); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s.%s.%s %s null=%s", db, table, col, typ, null))
	}
	return out
}
