package refdata

import (
	"errors"
	"testing"
)

// FuzzDataFile: no data file, YAML or CSV, makes Compose panic or accept
// an error without a file; every row it accepts has its whole key, and
// every statement planned for it binds as many values as it has
// placeholders.
func FuzzDataFile(f *testing.F) {
	for _, seed := range []string{
		"- id: 1\n  name_en: Koshi\n",
		"key: id\n---\n- id: 1\n  kind: a\n",
		"[{id: 1}, {id: 2, capital: ~}]\n",
		"- id: &a 1\n- id: *a\n",
		"- id: 1\n  name_en: |\n    two\n    lines\n",
		"%YAML 1.2\n---\n- id: 1\n",
		"# key: id\nid,name_en\n1,\"a,b\"\n2,\\N\n",
		"id,name_en\n1\n",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, data string, csv bool) {
		p := "layers/basic/data/provinces.yaml"
		if csv {
			p = "layers/basic/data/provinces.csv"
		}
		s, err := Compose([]File{{Layer: "basic", Path: p, Data: []byte(data)}}, tables)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 || es[0].File != p {
				t.Fatalf("error %v names no file", err)
			}
			return
		}
		tr := s.Tables["provinces"]
		for _, r := range tr.Rows {
			if len(r.Key) != len(tr.Def.Key) {
				t.Fatalf("row without its key: %+v", r)
			}
		}
		sts, _, err := Plan(s, nil, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			n := 0
			for _, c := range st.SQL {
				if c == '?' {
					n++
				}
			}
			if n != len(st.Args) {
				t.Fatalf("%d placeholders, %d values: %s", n, len(st.Args), st.SQL)
			}
		}
	})
}
