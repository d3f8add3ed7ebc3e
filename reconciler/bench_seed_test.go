package reconciler

import (
	"context"
	"testing"
)

// BenchmarkSeed seeds the example's development tenant at scale 1000
// (10,401 rows in 22 tables; from the second seed on, the previous rows
// are replaced first) on MariaDB and SQLite, and reports rows inserted
// per second of the whole seed (reading, generating, clearing, inserting).
func BenchmarkSeed(b *testing.B) {
	for name, newFixture := range map[string]func(testing.TB) *fixture{"mariadb": newMariaFixture, "sqlite": newSQLiteFixture} {
		b.Run(name, func(b *testing.B) {
			f := newFixture(b)
			if res := f.reconcile(Options{Tenants: []string{"nepali-congress"}}); res.Failed() {
				b.Fatalf("provision: %+v", res.Tenants)
			}
			repo := f.load()
			rows := 0
			for b.Loop() {
				res, err := f.rec.Seed(context.Background(), repo, "nepali-congress", SeedOptions{Scale: 1000, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				rows += res.Inserted
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
