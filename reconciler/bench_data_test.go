package reconciler

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// levelRows is a local_levels.yaml of n rows (six columns, ids from
// 10000, every district_id a real district).
func levelRows(n int) string {
	var data strings.Builder
	data.WriteString("# generated\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&data, "- id: %d\n  district_id: %d\n  name_en: Level %d\n  name_ne: स्थानीय तह %d\n  kind: rural_municipality\n  ward_count: %d\n",
			10000+i, 1+i%77, i, i, 1+i%20)
	}
	return data.String()
}

// provisionOne provisions nepali-congress alone on a new fixture; opts
// reconcile it alone.
func provisionOne(t testing.TB, newFixture func(testing.TB) *fixture) (*fixture, Options) {
	t.Helper()
	f := newFixture(t)
	opts := Options{Tenants: []string{"nepali-congress"}}
	if res := f.reconcile(opts); res.Failed() {
		t.Fatalf("provision: %+v", res.Tenants)
	}
	return f, opts
}

// levelCSV is levelRows as a CSV file.
func levelCSV(n int) string {
	var data strings.Builder
	data.WriteString("id,district_id,name_en,name_ne,kind,ward_count\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&data, "%d,%d,Level %d,स्थानीय तह %d,rural_municipality,%d\n", 10000+i, 1+i%77, i, i, 1+i%20)
	}
	return data.String()
}

// heapPeak samples the live heap while it runs; stop returns the most it
// saw above the heap when it started.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var (
		peak = base
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				peak = max(peak, read())
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		peak = max(peak, read())
		return peak - base
	}
}

// TestReferenceData100k applies a layer of 100,000 declared rows to a
// tenant on MariaDB and SQLite: every row is there, the next reconcile
// plans nothing, and the heap the reconcile grows stays within a bound
// linear in the rows declared (the rows are decoded as a stream and the
// live rows read back are not held).
func TestReferenceData100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 rows: not under -short")
	}
	if !alone(t) {
		return
	}
	const rows = 100_000
	data := levelRows(rows)
	for name, newFixture := range map[string]func(testing.TB) *fixture{"mariadb": newMariaFixture, "sqlite": newSQLiteFixture} {
		t.Run(name, func(t *testing.T) {
			f, opts := provisionOne(t, newFixture)
			testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/data/local_levels.yaml", data)
			repo := f.load()
			stop := heapPeak()
			res, err := f.rec.Reconcile(context.Background(), repo, opts)
			peak := stop()
			if err != nil || res.Failed() {
				t.Fatalf("apply: %v %+v", err, res.Tenants)
			}
			tr := res.Tenants[0]
			if len(tr.Data) != 1 || tr.Data[0].Table != "local_levels" || tr.Data[0].Insert != rows || len(tr.Data[0].Rows) != 5 {
				t.Errorf("data summary %+v", tr.Data)
			}
			_, q := f.tenantDB("nepali-congress")
			if got := f.scalar("nepali-congress", "SELECT COUNT(*) FROM "+q("local_levels")); got != fmt.Sprint(rows+21) {
				t.Errorf("%s local levels, want %d", got, rows+21)
			}
			if got := f.scalar("nepali-congress", "SELECT name_ne FROM "+q("local_levels")+" WHERE id = 109999"); got != "स्थानीय तह 99999" {
				t.Errorf("the last row's name_ne: %q", got)
			}
			stop = heapPeak()
			again, err := f.rec.Reconcile(context.Background(), repo, opts)
			noopPeak := stop()
			if err != nil || again.Applied != 0 || again.Changed() {
				t.Fatalf("second reconcile: %v applied %d %+v", err, again.Applied, again.Counts)
			}
			// The file is 12 MB of YAML; its rows held compactly, the
			// statements' bound values and the plan are what the apply
			// holds. 400 bytes a row would be ten times a row's text.
			const bound = 400 * rows * 6
			t.Logf("%s: heap grew by at most %d MB applying %d rows, %d MB reading them back", name, peak>>20, rows, noopPeak>>20)
			if peak > bound || noopPeak > bound {
				t.Errorf("heap grew by %d and %d bytes, want at most %d", peak, noopPeak, bound)
			}
		})
	}
}

// BenchmarkReferenceData applies declared rows (local levels, six
// columns) to one tenant already provisioned, on MariaDB and SQLite, and
// reports rows per second of the reconcile that inserts them (planning
// included), then of the no-op reconcile that reads them back, and the
// most the heap grew in either.
func BenchmarkReferenceData(b *testing.B) {
	for _, c := range []struct {
		rows int
		ext  string
	}{{1400, "yaml"}, {100_000, "yaml"}, {100_000, "csv"}} {
		rows := c.rows
		data := levelRows(rows)
		if c.ext == "csv" {
			data = levelCSV(rows)
		}
		for _, engine := range []string{"mariadb", "sqlite"} {
			newFixture := newMariaFixture
			if engine == "sqlite" {
				newFixture = newSQLiteFixture
			}
			b.Run(fmt.Sprintf("%s/%s/rows=%d", engine, c.ext, rows), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					f, _ := provisionOne(b, newFixture)
					testenv.WriteFile(b, f.repo, "layers/custom/nepali-congress/data/local_levels."+c.ext, data)
					repo := f.load()
					b.StartTimer()
					stop := heapPeak()
					start := time.Now()
					res, err := f.rec.Reconcile(context.Background(), repo, Options{Tenants: []string{"nepali-congress"}})
					insert := time.Since(start)
					peak := stop()
					if err != nil || res.Failed() || res.Tenants[0].Data[0].Insert != rows {
						b.Fatalf("insert: %v applied %d %+v", err, res.Applied, res.Tenants)
					}
					stop = heapPeak()
					start = time.Now()
					res, err = f.rec.Reconcile(context.Background(), repo, Options{Tenants: []string{"nepali-congress"}})
					noop := time.Since(start)
					noopPeak := stop()
					if err != nil || res.Applied != 0 || res.Changed() {
						b.Fatalf("no-op: %v %+v", err, res.Counts)
					}
					b.ReportMetric(float64(rows)/insert.Seconds(), "inserted-rows/s")
					b.ReportMetric(float64(rows)/noop.Seconds(), "noop-rows/s")
					b.ReportMetric(float64(peak)/(1<<20), "insert-heap-MB")
					b.ReportMetric(float64(noopPeak)/(1<<20), "noop-heap-MB")
				}
			})
		}
	}
}
