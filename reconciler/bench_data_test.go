package reconciler

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// BenchmarkReferenceData applies 1,400 declared rows (local levels, six
// columns: near the most one data file may hold within the manifest
// bounds) to one tenant already provisioned, on MariaDB and SQLite, and
// reports rows per second of the reconcile that inserts them (planning
// included), then of the no-op reconcile that reads them back.
func BenchmarkReferenceData(b *testing.B) {
	const rows = 1400
	var data strings.Builder
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&data, "- id: %d\n  district_id: %d\n  name_en: Level %d\n  name_ne: स्थानीय तह %d\n  kind: rural_municipality\n  ward_count: %d\n",
			10000+i, 1+i%77, i, i, 1+i%20)
	}
	for name, newFixture := range map[string]func(testing.TB) *fixture{"mariadb": newMariaFixture, "sqlite": newSQLiteFixture} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				f := newFixture(b)
				if res := f.reconcile(Options{Tenants: []string{"nepali-congress"}}); res.Failed() {
					b.Fatalf("provision: %+v", res.Tenants)
				}
				testenv.WriteFile(b, f.repo, "layers/custom/nepali-congress/data/local_levels.yaml", data.String())
				repo := f.load()
				b.StartTimer()
				start := time.Now()
				res, err := f.rec.Reconcile(context.Background(), repo, Options{Tenants: []string{"nepali-congress"}})
				insert := time.Since(start)
				if err != nil || res.Failed() || res.Applied != (rows+199)/200 {
					b.Fatalf("insert: %v applied %d %+v", err, res.Applied, res.Tenants)
				}
				start = time.Now()
				res, err = f.rec.Reconcile(context.Background(), repo, Options{Tenants: []string{"nepali-congress"}})
				noop := time.Since(start)
				if err != nil || res.Applied != 0 || res.Changed() {
					b.Fatalf("no-op: %v %+v", err, res.Counts)
				}
				b.ReportMetric(rows/insert.Seconds(), "inserted-rows/s")
				b.ReportMetric(rows/noop.Seconds(), "noop-rows/s")
			}
		})
	}
}
