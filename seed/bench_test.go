package seed

import "testing"

// BenchmarkGenerate draws 1000 members with their fees (3000 rows) per
// iteration; rows/s is reported.
func BenchmarkGenerate(b *testing.B) {
	s, err := Compose([]File{{Layer: "l", Path: "l/demo.yaml", Data: []byte(demo)}}, tables())
	if err != nil {
		b.Fatal(err)
	}
	rows := 0
	for b.Loop() {
		out, err := s.Generate(1, 1000, existing())
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range out {
			rows += len(r.Rows)
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
