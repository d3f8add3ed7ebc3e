package seed

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDemoFile: any demo.yaml is decoded without a panic, and what
// composes generates rows that fit the small tenant of the tests, or an
// error.
func FuzzDemoFile(f *testing.F) {
	f.Add(demo)
	f.Add("members:\n  rows: 3\n  columns:\n    label: {format: \"{district_id.name_en}{n}{x.y}\"}\n")
	f.Add("members: {columns: {born: {date: [2000-01-01, 1999-01-01]}}}\n")
	f.Add("fees:\n  rows: 5\n  columns:\n    amount: {decimal: [-9999.99, 9999.99]}\n")
	f.Add("members:\n  columns:\n    joined: {after: {column: joined, days: [1, 2]}}\n")
	f.Add("&a [*a]\n")
	examples, _ := filepath.Glob("../examples/platform/layers/*/*/demo.yaml")
	for _, p := range append(examples, "../examples/platform/layers/basic/demo.yaml") {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, data string) {
		s, err := Compose([]File{{Layer: "l", Path: "l/demo.yaml", Data: []byte(data)}}, tables())
		if err != nil {
			return
		}
		rows, err := s.Generate(1, 2, existing())
		if err != nil {
			return
		}
		for _, r := range rows {
			for st := range Inserts("db", r) {
				if st.Rows == 0 || len(st.Args) != st.Rows*len(r.Columns) {
					t.Fatalf("insert of %d rows with %d args", st.Rows, len(st.Args))
				}
			}
		}
	})
}
