package reconciler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/schema"
)

// moduleSets cycle over the generated tenants: 4 distinct layer sets.
var moduleSets = []string{"[election, social, volunteers]", "[election]", "[social]", "[]"}

// generateTenants replaces the example's tenants with n generated ones.
func generateTenants(b testing.TB, repo, prefix string, n int) {
	for _, slug := range []string{"nepali-congress", "cpn-uml", "rastriya-swatantra", "janamat"} {
		if err := os.Remove(filepath.Join(repo, "tenants", slug+".yaml")); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		slug := fmt.Sprintf("party-%03d", i)
		testenv.WriteFile(b, repo, "tenants/"+slug+".yaml", fmt.Sprintf(
			"slug: %s\nname: Party %d\ntemplate: political-party\nmodules: %s\ndatabase: %sp%03d\n", slug, i, moduleSets[i%len(moduleSets)], prefix, i))
	}
}

// BenchmarkReconcile200 provisions 200 tenants generated from the example on
// MariaDB, then reconciles them again with nothing to do. It reports wall
// time per tenant for both, and as ratios against a baseline measured in
// the same process: Atlas inspecting the same 200 databases one after the
// other, the floor any reconcile must pay to observe.
func BenchmarkReconcile200(b *testing.B) {
	const n = 200
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newMariaFixture(b)
		generateTenants(b, f.repo, f.prefix, n)
		repo := f.load()
		for _, t := range repo.Tenants {
			if !t.Valid() {
				b.Fatalf("generated tenant %s: %v", t.Slug, t.Errors)
			}
		}
		b.StartTimer()

		start := time.Now()
		fresh, err := f.rec.Reconcile(ctx, repo, Options{})
		freshTime := time.Since(start)
		if err != nil || fresh.Counts.Created != n {
			b.Fatalf("fresh: %v %+v", err, fresh.Counts)
		}
		if fresh.Composed != len(moduleSets) {
			b.Fatalf("%d desired schemas composed for %d distinct layer sets", fresh.Composed, len(moduleSets))
		}
		start = time.Now()
		noop, err := f.rec.Reconcile(ctx, repo, Options{})
		noopTime := time.Since(start)
		if err != nil || noop.Counts.Unchanged != n || noop.Applied != 0 {
			b.Fatalf("no-op: %v %+v", err, noop.Counts)
		}

		b.StopTimer()
		inspectTime := inspectBaseline(b, f, repo)

		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
		b.ReportMetric(per(freshTime), "fresh-ms/tenant")
		b.ReportMetric(per(noopTime), "noop-ms/tenant")
		b.ReportMetric(per(inspectTime), "baseline-inspect-ms/tenant")
		b.ReportMetric(float64(freshTime)/float64(inspectTime), "fresh/baseline")
		b.ReportMetric(float64(noopTime)/float64(inspectTime), "noop/baseline")
		b.Logf("%d tenants: fresh %s (%d statements), no-op %s, baseline sequential inspect %s",
			n, freshTime.Round(time.Millisecond), fresh.Applied, noopTime.Round(time.Millisecond), inspectTime.Round(time.Millisecond))
		b.StartTimer()
	}
}

// inspectBaseline is the floor of any reconcile of the fixture's tenants:
// Atlas inspecting their databases one after the other, timed.
func inspectBaseline(b *testing.B, f *fixture, repo *desired.Repo) time.Duration {
	ctx := context.Background()
	srv, err := schema.Open(ctx, f.server, schema.ServerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	start := time.Now()
	for _, t := range repo.Tenants {
		tg, err := srv.Read(ctx, t.Database)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tg.Inspect(ctx); err != nil {
			b.Fatal(err)
		}
		tg.Close()
	}
	return time.Since(start)
}
