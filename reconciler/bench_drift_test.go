package reconciler

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkDrift40 provisions 40 tenants generated from the example on
// MariaDB, then checks them for drift with none, adds a column by hand to
// every fourth one and checks again, and reconciles (policy report: the
// drift is left, so nothing is applied). It reports wall time per tenant,
// and as ratios against Atlas inspecting the same databases one after the
// other.
func BenchmarkDrift40(b *testing.B) {
	const n = 40
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newMariaFixture(b)
		generateTenants(b, f.repo, f.prefix, n)
		repo := f.load()
		if res, err := f.rec.Reconcile(ctx, repo, Options{}); err != nil || res.Counts.Created != n {
			b.Fatalf("provision: %v %+v", err, res.Counts)
		}
		b.StartTimer()

		start := time.Now()
		clean, err := f.rec.Drift(ctx, repo, DriftOptions{})
		cleanTime := time.Since(start)
		if err != nil || clean.Counts.Clean != n {
			b.Fatalf("clean check: %v %+v", err, clean.Counts)
		}
		b.StopTimer()
		for j := 0; j < n; j += 4 {
			if _, err := f.db.Exec(fmt.Sprintf("ALTER TABLE `%sp%03d`.members ADD COLUMN nickname varchar(40)", f.prefix, j)); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start = time.Now()
		dirty, err := f.rec.Drift(ctx, repo, DriftOptions{})
		dirtyTime := time.Since(start)
		if err != nil || dirty.Counts.Drifted != n/4 {
			b.Fatalf("drifted check: %v %+v", err, dirty.Counts)
		}
		start = time.Now()
		left, err := f.rec.Reconcile(ctx, repo, Options{})
		reconcileTime := time.Since(start)
		if err != nil || left.Counts.Unchanged != n || left.Applied != 0 {
			b.Fatalf("reconcile with drift left: %v %+v", err, left.Counts)
		}

		b.StopTimer()
		inspectTime := inspectBaseline(b, f, repo)

		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
		b.ReportMetric(per(cleanTime), "clean-check-ms/tenant")
		b.ReportMetric(per(dirtyTime), "drifted-check-ms/tenant")
		b.ReportMetric(per(reconcileTime), "reconcile-drift-left-ms/tenant")
		b.ReportMetric(per(inspectTime), "baseline-inspect-ms/tenant")
		b.ReportMetric(float64(cleanTime)/float64(inspectTime), "clean-check/baseline")
		b.ReportMetric(float64(dirtyTime)/float64(inspectTime), "drifted-check/baseline")
		b.Logf("%d tenants: drift check %s clean, %s with %d drifted; reconcile leaving the drift %s; baseline sequential inspect %s",
			n, cleanTime.Round(time.Millisecond), dirtyTime.Round(time.Millisecond), n/4, reconcileTime.Round(time.Millisecond), inspectTime.Round(time.Millisecond))
		b.StartTimer()
	}
}
