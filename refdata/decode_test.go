package refdata

import (
	"fmt"
	"strings"
	"testing"
)

var parties = map[string]Table{
	"fee_types": {Columns: []string{"id", "code", "name_en", "amount"}, Key: []string{"id"},
		Uniques: [][]string{{"code"}}, Integers: map[string]bool{"id": true, "amount": true}},
	"nokey": {Columns: []string{"a", "b"}},
}

func TestCSV(t *testing.T) {
	data := "# Fee types.\n# key: code\ncode,name_en,amount\nannual,Annual fee,500\nlife,\"Life, once\",\\N\n"
	s, err := Compose([]File{{Layer: "template/p", Path: "fee_types.csv", Data: []byte(data)}}, parties)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Tables["fee_types"]
	if strings.Join(tr.Def.Key, ",") != "code" || len(tr.Rows) != 2 {
		t.Fatalf("key %v rows %d", tr.Def.Key, len(tr.Rows))
	}
	r := tr.Rows[1]
	if v, _ := tr.Value(r, "name_en"); v.S != "Life, once" || v.Line != 5 || r.Line != 5 {
		t.Errorf("name_en %+v line %d", v, r.Line)
	}
	if v, _ := tr.Value(r, "amount"); !v.Null {
		t.Errorf("\\N is not NULL: %+v", v)
	}
	if _, ok := tr.Value(r, "id"); ok {
		t.Error("a column the file leaves out is declared")
	}
	sts, _, err := Plan(s, nil, nil, false)
	if err != nil || len(sts) != 1 || sts[0].SQL != "INSERT INTO `fee_types` (`code`, `name_en`, `amount`) VALUES (?, ?, ?), (?, ?, ?)" || sts[0].Line != 4 {
		t.Errorf("%v %+v", err, sts)
	}

	cases := []struct{ name, data, want string }{
		{"unknown column", "id,nmae_en\n1,x\n", "fee_types.csv:1:4: unknown column \"nmae_en\" of table fee_types"},
		{"type mismatch", "id,amount\n1,500\n2,lots\n", "fee_types.csv:3:3: column amount: \"lots\" is not an integer"},
		{"duplicate key", "id,name_en\n1,a\n2,b\n1,c\n", "fee_types.csv:4:1: duplicate key id=1 of fee_types: first at line 2"},
		{"field count", "id,name_en\n1,a,b\n", "fee_types.csv:2:1: wrong number of fields"},
		{"bare quote", "id,name_en\n1,a\"b\n", "fee_types.csv:2:4: bare \" in non-quoted-field"},
		{"column twice", "id,id\n1,1\n", "fee_types.csv:1:4: column id given twice in the header"},
		{"key not unique", "# key: name_en\nname_en\nx\n", "fee_types.csv:1:1: key (name_en) is neither the primary key nor a unique key of table fee_types"},
		{"key unknown", "# key: cdoe\ncode\nx\n", "fee_types.csv:1:1: key: unknown column \"cdoe\""},
		{"no key value", "# key: code\ncode,name_en\n\\N,x\n", "fee_types.csv:3:1: a row of fee_types without its key column code"},
		{"invalid UTF-8", "id,name_en\n1,a\xffb\n", "fee_types.csv:2:3: column name_en: not valid UTF-8"},
		{"long line", "id,name_en\n1," + strings.Repeat(",", MaxRowBytes) + "\n", "fee_types.csv:2:1: a line of more than 65536 bytes"},
		{"no primary key", "a,b\n1,2\n", "nokey.csv:1:1: table nokey has no primary key"},
	}
	for _, c := range cases {
		table := "fee_types"
		if strings.HasPrefix(c.want, "nokey") {
			table = "nokey"
		}
		_, err := Compose([]File{{Layer: "basic", Path: table + ".csv", Data: []byte(c.data)}}, parties)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestYAMLKeyHeader(t *testing.T) {
	base := File{Layer: "template/p", Path: "t/fee_types.yaml", Data: []byte("# Fees.\nkey: code\n---\n- code: annual\n  name_en: Annual\n  amount: 500\n- code: life\n  name_en: Life\n")}
	over := File{Layer: "custom/x", Path: "c/fee_types.csv", Data: []byte("# key: code\ncode,amount\nlife,9000\nstudent,50\n")}
	s, err := Compose([]File{base, over}, parties)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Tables["fee_types"]
	if len(tr.Rows) != 3 || tr.Rows[1].Line != 7 || tr.Rows[2].Src.File != "c/fee_types.csv" {
		t.Fatalf("rows %d", len(tr.Rows))
	}
	if v, _ := tr.Value(tr.Rows[1], "amount"); v.S != "9000" || v.Src.File != "c/fee_types.csv" || v.Line != 3 {
		t.Errorf("amount of life %+v", v)
	}
	// A file keyed otherwise than the table's first file names both.
	_, err = Compose([]File{base, {Layer: "custom/x", Path: "c/fee_types.yaml", Data: []byte("- id: 1\n  code: x\n")}}, parties)
	if err == nil || !strings.Contains(err.Error(), "c/fee_types.yaml:1:1: rows of fee_types keyed by (id), but t/fee_types.yaml keys them by (code): every file of a table uses one key") {
		t.Errorf("two keys: %v", err)
	}
}

func TestYAMLStreamErrors(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"error in a later row", "- id: 1\n  name_en: a\n# c\n\n- id: 2\n  name_en: b\n  nmae_ne: c\n", "provinces.yaml:7:3: unknown column \"nmae_ne\""},
		{"syntax error in a later row", "- id: 1\n- id: 2\n  name_en: \"open\n", "provinces.yaml:3:"},
		{"anchor", "- id: 1\n  name_en: &a Koshi\n- id: 2\n  name_en: *a\n", "provinces.yaml:2:12: anchors and aliases are not read"},
		{"tag", "- id: 1\n  name_en: !!binary aGVsbG8=\n", "provinces.yaml:2:12: tag !!binary is not read"},
		{"second document", "- id: 1\n---\n- id: 2\n", "provinces.yaml:2:1: a second document"},
		{"text at the margin", "- id: 1\nname_en: x\n", "provinces.yaml:2:1: want a row of the list"},
		{"long row", "- id: 1\n  name_en: x\n" + strings.Repeat("  # pad\n", MaxRowBytes/8+1), "provinces.yaml:1:1: a row of more than 65536 bytes"},
		{"long line", "- id: 1\n  name_en: " + strings.Repeat("x", MaxRowBytes+1) + "\n", "provinces.yaml:2:1: a line of more than 65536 bytes"},
		{"long value", "- id: 1\n  name_en: " + strings.Repeat("x", MaxValueLength+1) + "\n", "provinces.yaml:2:12: column name_en: a value of 16385 bytes, at most 16384"},
		{"deep value", "- id: 1\n  name_en: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n", "provinces.yaml:2:12: column name_en: want a single value"},
		{"bad header", "kee: id\n---\n- id: 1\n", "provinces.yaml:1:1: unknown header field \"kee\""},
		{"directive", "%YAML 1.2\n---\n- id: 1\n", "provinces.yaml:1:1: a YAML directive"},
	}
	for _, c := range cases {
		_, err := Compose([]File{{Layer: "basic", Path: "provinces.yaml", Data: []byte(c.data)}}, tables)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	// A file wrong on every row reports its first errors, not all.
	var b strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "- id: x%d\n", i)
	}
	_, err := Compose([]File{{Layer: "basic", Path: "provinces.yaml", Data: []byte(b.String())}}, tables)
	if es, ok := err.(Errors); !ok || len(es) != maxErrors+1 {
		t.Errorf("errors of a file wrong on every row: %d", len(es))
	}
	for _, ok := range []string{"", "# nothing\n", "[]\n", "---\n[]\n", "[{id: 1, name_en: a}, {id: 2}]\n", "key: id\n---\n", "---\n- id: 1\n"} {
		if _, err := Compose([]File{{Layer: "basic", Path: "provinces.yaml", Data: []byte(ok)}}, tables); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestStreamedRowsMatchWholeDecode: rows read item by item are the rows
// of the list decoded whole, with their lines, for the shapes a row
// takes: block scalars, quoted multi-line values, comments, flow maps.
func TestStreamedRowsMatchWholeDecode(t *testing.T) {
	data := "# head\n\n- id: 1\n  name_en: |\n    two\n    lines\n  name_ne: \"quoted\n    folded\"\n# between\n- {id: 2, name_en: flow}\n-   id: 3\n    capital: ~\n-\n  id: 4\n  kind: a\n"
	s := compose(t, File{Layer: "basic", Path: "provinces.yaml", Data: []byte(data)})
	tr := s.Tables["provinces"]
	var got []string
	for _, r := range tr.Rows {
		got = append(got, fmt.Sprintf("%d:%s", r.Line, tr.describe(r, tr.Columns())))
	}
	want := []string{
		`3:id=1: name_en="two\nlines\n", name_ne="quoted folded" (provinces.yaml:3)`,
		`10:id=2: name_en="flow" (provinces.yaml:10)`,
		`11:id=3: capital=NULL (provinces.yaml:11)`,
		`14:id=4: kind="a" (provinces.yaml:14)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRowBounds: a table holds at most MaxRows declared rows, a tenant's
// tables together MaxTenantRows; past either, an error at the row's line.
func TestRowBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("a million rows: not under -short")
	}
	csv := func(n int) []byte {
		var b strings.Builder
		b.WriteString("id\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%d\n", i)
		}
		return []byte(b.String())
	}
	tbl := map[string]Table{}
	var files []File
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("t%d", i)
		tbl[name] = Table{Columns: []string{"id"}, Key: []string{"id"}}
		files = append(files, File{Layer: "basic", Path: name + ".csv", Data: csv(MaxTenantRows / 4)})
	}
	_, err := Compose(files, tbl)
	if err == nil || err.Error() != "t4.csv:2: more than 1000000 rows for the tenant's tables together" {
		t.Errorf("tenant bound: %v", err)
	}
	_, err = Compose([]File{{Layer: "basic", Path: "t0.csv", Data: csv(MaxRows + 1)}}, tbl)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("t0.csv:%d: more than %d rows for t0", MaxRows+2, MaxRows)) {
		t.Errorf("table bound: %v", err)
	}
}

// TestKeyChange: a revision that keys a table otherwise than the revision
// before it finds no drift and deletes nothing of it.
func TestKeyChange(t *testing.T) {
	prev, err := Compose([]File{{Layer: "basic", Path: "fee_types.yaml", Data: []byte("- id: 1\n  code: a\n- id: 2\n  code: b\n")}}, parties)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Compose([]File{{Layer: "basic", Path: "fee_types.csv", Data: []byte("# key: code\ncode,name_en\na,A\n")}}, parties)
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]*Live{"fee_types": liveRows([]*string{str("a"), str("old")}, []*string{str("b"), nil})}
	sts, found, err := Plan(set, prev, live, false)
	if err != nil || len(found) != 0 || len(sts) != 1 || sts[0].Kind != "update" || !strings.HasSuffix(sts[0].SQL, "WHERE `code` = ?") {
		t.Errorf("%v found %+v statements %+v", err, found, sts)
	}
}

// TestNullLiveKey: a live row with NULL in its key (a unique key may hold
// NULLs; declared keys never do) is no declared row: it is neither
// compared with, nor deleted as, nor counted for the row keyed "".
func TestNullLiveKey(t *testing.T) {
	set, err := Compose([]File{{Layer: "basic", Path: "fee_types.csv", Data: []byte("# key: code\ncode,name_en\n\"\",none\n")}}, parties)
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]*Live{"fee_types": liveRows([]*string{nil, str("tenant's own")})}
	sts, found, err := Plan(set, nil, live, false)
	if err != nil || len(found) != 0 || len(sts) != 1 || sts[0].Kind != "insert" {
		t.Errorf("%v found %+v statements %+v, want the declared row inserted and the NULL-keyed one left alone", err, found, sts)
	}
	tr := set.Tables["fee_types"]
	if got := must(tr.LiveChecksum(live["fee_types"].Each)); got == tr.Checksum() {
		t.Errorf("the NULL-keyed live row counted as the declared row keyed \"\"")
	}
}
