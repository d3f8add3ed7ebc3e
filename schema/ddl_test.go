package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const mariaT1 = "CREATE TABLE `t1` (\n" +
	"  `id` int(10) unsigned zerofill NOT NULL AUTO_INCREMENT,\n" +
	"  `a` tinyint(1) unsigned NOT NULL DEFAULT 0,\n" +
	"  `f` float(7,3) DEFAULT NULL,\n" +
	"  `v` varchar(300) CHARACTER SET utf8mb3 COLLATE utf8mb3_bin INVISIBLE DEFAULT NULL,\n" +
	"  `b` blob /*M!100301 COMPRESSED*/ DEFAULT NULL,\n" +
	"  `bin` binary(16) DEFAULT '\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0',\n" +
	"  `c` varchar(20) DEFAULT 'it''s' COMMENT 'a, \"b\"',\n" +
	"  `t` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n" +
	"  `e` enum('A','b') NOT NULL DEFAULT 'A',\n" +
	"  `g` int(11) GENERATED ALWAYS AS (`id` + 1) VIRTUAL,\n" +
	"  PRIMARY KEY (`id`),\n" +
	"  UNIQUE KEY `u` (`v`) USING HASH,\n" +
	"  KEY `k` (`a`) KEY_BLOCK_SIZE=8 IGNORED,\n" +
	"  FULLTEXT KEY `ft` (`c`) WITH PARSER `ngram`,\n" +
	"  CONSTRAINT `fk` FOREIGN KEY (`a`) REFERENCES `p` (`id`) ON DELETE CASCADE ON UPDATE SET NULL,\n" +
	"  CONSTRAINT `chk` CHECK (`a` < 5 and `c` <> 'x')\n" +
	") ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci STATS_PERSISTENT=1 CHECKSUM=1 ROW_FORMAT=COMPRESSED `PAGE_COMPRESSED`='1' COMMENT='hi, there'\n" +
	" PARTITION BY HASH (`id`)\n" +
	"PARTITIONS 2"

func TestParseTableDDL(t *testing.T) {
	t.Parallel()
	d, err := ParseTableDDL(mariaT1)
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) map[string]string {
		for _, c := range d.Columns {
			if c.Name == name {
				return c.Attrs
			}
		}
		t.Fatalf("no column %s", name)
		return nil
	}
	for _, tc := range []struct {
		col  string
		want map[string]string
	}{
		{"id", map[string]string{"type": "int(10) unsigned zerofill", "null": "NOT NULL", "auto_increment": "AUTO_INCREMENT"}},
		{"a", map[string]string{"type": "tinyint(1) unsigned", "null": "NOT NULL", "default": "0"}},
		{"f", map[string]string{"type": "float(7,3)", "null": "NULL"}},
		{"v", map[string]string{"type": "varchar(300)", "charset": "utf8mb3", "collation": "utf8mb3_bin", "invisible": "INVISIBLE", "null": "NULL"}},
		{"b", map[string]string{"type": "blob compressed", "null": "NULL"}},
		{"bin", map[string]string{"type": "binary(16)", "null": "NULL", "default": `'\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'`}},
		{"c", map[string]string{"type": "varchar(20)", "null": "NULL", "default": "'it''s'", "comment": `'a, "b"'`}},
		{"t", map[string]string{"type": "timestamp", "null": "NOT NULL", "default": "current_timestamp()", "on_update": "current_timestamp()"}},
		{"e", map[string]string{"type": "enum('A','b')", "null": "NOT NULL", "default": "'A'"}},
		{"g", map[string]string{"type": "int(11)", "null": "NULL", "generated": "(`id` + 1) VIRTUAL"}},
	} {
		if diff := cmp.Diff(col(tc.col), tc.want); diff != "" {
			t.Errorf("column %s (-got +want):\n%s", tc.col, diff)
		}
	}
	wantKeys := map[string]map[string]string{
		"PRIMARY": {"kind": "primary", "columns": "(`id`)", "using": "BTREE"},
		"u":       {"kind": "unique", "columns": "(`v`)", "using": "HASH"},
		"k":       {"kind": "index", "columns": "(`a`)", "key_block_size": "8", "ignored": "IGNORED", "using": "BTREE"},
		"ft":      {"kind": "fulltext", "columns": "(`c`)", "parser": "`ngram`"},
	}
	for _, k := range d.Keys {
		if diff := cmp.Diff(k.Attrs, wantKeys[k.Name]); diff != "" {
			t.Errorf("key %s (-got +want):\n%s", k.Name, diff)
		}
	}
	wantOpts := map[string]string{"ENGINE": "InnoDB", "CHARSET": "utf8mb3", "COLLATE": "utf8mb3_general_ci", "STATS_PERSISTENT": "1",
		"CHECKSUM": "1", "ROW_FORMAT": "COMPRESSED", "PAGE_COMPRESSED": "'1'", "COMMENT": "'hi, there'"}
	if diff := cmp.Diff(d.Options, wantOpts); diff != "" {
		t.Errorf("options (-got +want):\n%s", diff)
	}
	if d.Partition != "PARTITION BY HASH (`id`) PARTITIONS 2" {
		t.Errorf("partition %q", d.Partition)
	}
	if len(d.Constraints) != 2 || d.Constraints[0].Attrs["on_delete"] != "CASCADE" || d.Constraints[0].Attrs["on_update"] != "SET NULL" ||
		d.Constraints[0].Attrs["references"] != "`p` (`id`)" || d.Constraints[1].Attrs["expression"] != "(`a` < 5 and `c` <> 'x')" {
		t.Errorf("constraints: %+v", d.Constraints)
	}
}
