package refdata

import (
	"strconv"
	"strings"
	"testing"
)

var tables = map[string]Table{
	"provinces": {Columns: []string{"id", "name_en", "name_ne", "capital", "kind"}, Key: []string{"id"},
		Integers: map[string]bool{"id": true}, Enums: map[string][]string{"kind": {"a", "b"}}},
}

func compose(t *testing.T, files ...File) *Set {
	t.Helper()
	s, err := Compose(files, tables)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestComposeErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name string
		data string
		want string
	}{
		{"unknown column", "- id: 1\n  name_en: Koshi\n  nmae_ne: x\n", "layers/basic/data/provinces.yaml:3:3: unknown column \"nmae_ne\""},
		{"duplicate key", "- id: 1\n  name_en: Koshi\n- id: 1\n  name_en: Madhesh\n", "layers/basic/data/provinces.yaml:3:3: duplicate key id=1 of provinces: first at line 1"},
		{"no key", "- name_en: Koshi\n", "provinces.yaml:1:3: a row of provinces without its primary key column id"},
		{"not a list", "id: 1\n", "provinces.yaml:1:1: want a list of rows"},
		{"not an integer", "- id: 1.5\n", "provinces.yaml:1:7: column id: \"1.5\" is not an integer"},
		{"not in the enum", "- id: 1\n  kind: c\n", "provinces.yaml:2:9: column kind: \"c\" is not one of a, b"},
		{"nested value", "- id: 1\n  name_en: [a]\n", "provinces.yaml:2:12: column name_en: want a single value"},
	}
	for _, c := range cases {
		_, err := Compose([]File{{Layer: "basic", Path: "layers/basic/data/provinces.yaml", Data: []byte(c.data)}}, tables)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	_, err := Compose([]File{{Layer: "basic", Path: "layers/basic/data/wards.yaml", Data: []byte("- id: 1\n")}}, tables)
	if err == nil || !strings.Contains(err.Error(), `layers/basic/data/wards.yaml: rows for table "wards": no layer of this tenant declares it`) {
		t.Errorf("unknown table: %v", err)
	}
	_, err = Compose([]File{
		{Layer: "basic", Path: "layers/basic/data/provinces.yaml", Data: []byte("- id: 1\n  name_en: Koshi\n")},
		{Layer: "basic", Path: "layers/basic/data2/provinces.yaml", Data: []byte("- id: 1\n  name_en: Other\n")},
	}, tables)
	if err == nil || !strings.Contains(err.Error(), "layers/basic/data2/provinces.yaml:1:3: key id=1 of provinces is also declared by layers/basic/data/provinces.yaml:1 in the same layer") {
		t.Errorf("conflict: %v", err)
	}
}

func TestLaterLayerOverridesColumns(t *testing.T) {
	s := compose(t,
		File{Layer: "basic", Path: "b/provinces.yaml", Data: []byte("- id: 1\n  name_en: Koshi\n  capital: Biratnagar\n")},
		File{Layer: "custom/x", Path: "c/provinces.yaml", Data: []byte("- id: 1\n  capital: ~\n- id: 2\n  name_en: Madhesh\n")},
	)
	tr := s.Tables["provinces"]
	if len(tr.Rows) != 2 {
		t.Fatalf("rows %d", len(tr.Rows))
	}
	r := tr.Rows[0]
	if v, _ := tr.Value(r, "capital"); !v.Null || v.Src.File != "c/provinces.yaml" || v.Line != 2 {
		t.Errorf("capital %+v", v)
	}
	if v, _ := tr.Value(r, "name_en"); v.S != "Koshi" || v.Src.File != "b/provinces.yaml" {
		t.Errorf("name_en %+v", v)
	}
}

func str(s string) *string { return &s }

// liveRows is a live table holding rows, streamed in the order given.
func liveRows(rows ...[]*string) *Live {
	return &Live{Exists: true, Each: func(fn func([]*string) error) error {
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func TestPlan(t *testing.T) {
	prev := compose(t, File{Layer: "basic", Path: "provinces.yaml", Data: []byte("- id: 1\n  name_en: Koshi\n- id: 2\n  name_en: Madhesh\n- id: 3\n  name_en: Bagmati\n")})
	set := compose(t, File{Layer: "basic", Path: "provinces.yaml", Data: []byte("- id: 1\n  name_en: Koshi\n- id: 2\n  name_en: Madhesh Pradesh\n- id: 4\n  name_en: Gandaki\n")})
	live := map[string]*Live{"provinces": liveRows(
		[]*string{str("1"), str("Koshi")}, []*string{str("2"), str("Madhesh")}, []*string{str("3"), str("Bagmati")}, []*string{str("9"), str("tenant's own")},
	)}
	sts, found, err := Plan(set, prev, live, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 0 {
		t.Errorf("found %+v", found)
	}
	var got []string
	for _, s := range sts {
		got = append(got, s.Kind+" "+s.SQL+" "+s.File+":"+itoa(s.Line))
	}
	want := []string{
		"update UPDATE `provinces` SET `name_en` = ? WHERE `id` = ? provinces.yaml:4",
		"insert INSERT INTO `provinces` (`id`, `name_en`) VALUES (?, ?) provinces.yaml:5",
		"delete DELETE FROM `provinces` WHERE `id` = ? provinces.yaml:5",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !sts[2].Destructive || sts[0].Destructive || sts[1].Destructive {
		t.Errorf("destructive flags wrong")
	}
	// Out of band: row 1 changed, row 2 deleted; git unchanged.
	live = map[string]*Live{"provinces": liveRows(
		[]*string{str("3"), str("Bagmati")}, []*string{str("1"), str("Kosi")},
	)}
	sts, found, _ = Plan(prev, prev, live, true)
	if len(sts) != 0 || len(found) != 2 || !found[0].Left || found[0].Change != "modified" || found[1].Change != "removed" {
		t.Errorf("report: %d statements, found %+v", len(sts), found)
	}
	sts, found, _ = Plan(prev, prev, live, false)
	if len(sts) != 2 || len(found) != 2 || found[0].Left {
		t.Errorf("heal: %d statements, found %+v", len(sts), found)
	}
	if tr := prev.Tables["provinces"]; tr.Checksum() == must(tr.LiveChecksum(live["provinces"].Each)) {
		t.Error("checksum equal on drifted rows")
	}
	fixed := liveRows([]*string{str("7"), str("x")}, []*string{str("3"), str("Bagmati")}, []*string{str("1"), str("Koshi")}, []*string{str("2"), str("Madhesh")})
	if tr := prev.Tables["provinces"]; tr.Checksum() != must(tr.LiveChecksum(fixed.Each)) {
		t.Error("checksum differs on declared rows")
	}
}

func TestInsertBatches(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 450; i++ {
		b.WriteString("- id: " + itoa(i) + "\n  name_en: n\n")
	}
	set := compose(t, File{Layer: "basic", Path: "provinces.yaml", Data: []byte(b.String())})
	sts, _, _ := Plan(set, nil, nil, true)
	if len(sts) != 3 || sts[0].Rows != 200 || sts[2].Rows != 50 || len(sts[2].Args) != 100 || sts[1].Line != 401 {
		t.Errorf("%d statements", len(sts))
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestKeyTextQuotesHostileValues: a key value with control characters, a
// separator or pages of text is shown quoted and clipped; a plain one as
// it is.
func TestKeyTextQuotesHostileValues(t *testing.T) {
	for _, c := range []struct{ v, want string }{
		{"30", "code=30"},
		{"ललितपुर", "code=ललितपुर"},
		{"a\x1b[2Jb", `code="a\x1b[2Jb"`},
		{"a,b=c", `code="a,b=c"`},
		{strings.Repeat("x", 100), `code="` + strings.Repeat("x", 59) + "…"},
	} {
		if got := keyText([]string{"code"}, []string{c.v}); got != c.want {
			t.Errorf("keyText(%q) = %q, want %q", c.v, got, c.want)
		}
	}
}
