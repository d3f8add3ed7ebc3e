package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// BenchmarkHealthJudge10000 judges 10,000 probed tenants by the default
// rules (one in fifty drifted, one in a hundred failing, one server of
// four down) and records their checks in the landlord database, SQLite and
// MariaDB: the part of a health round after the probes, per round.
func BenchmarkHealthJudge10000(b *testing.B) {
	const n = 10000
	now := time.Now().UTC()
	rules := desired.DefaultHealthRules()
	probes := map[string]reconciler.TenantProbe{}
	in := &healthInputs{records: map[string]state.Tenant{}, failures: map[string]int{}, drift: map[string]map[state.Severity]int{},
		backups: map[string]time.Time{}, prev: map[string]state.HealthCheck{}}
	var tenants []*desired.Tenant
	for i := range n {
		slug := fmt.Sprintf("tenant-%05d", i)
		server := fmt.Sprintf("db-%d", i%4)
		tenants = append(tenants, &desired.Tenant{Slug: slug, Server: server, Database: "t" + slug[7:], Lifecycle: desired.Active})
		synced := now.Add(-time.Duration(i%7) * time.Hour)
		in.records[slug] = state.Tenant{Slug: slug, LastSyncedAt: &synced, DatabaseCreatedAt: &synced}
		p := reconciler.TenantProbe{Server: server, Reachable: i%4 != 3, Exists: true, Measured: true, Size: schema.Size{Bytes: int64(i) << 12, Tables: 30}}
		if !p.Reachable {
			p.Error, p.Exists, p.Measured = "dial tcp: connection refused", false, false
		}
		probes[slug] = p
		if i%50 == 0 {
			in.drift[slug] = map[state.Severity]int{state.SeverityHigh: 1, state.SeverityLow: 2}
		}
		if i%100 == 1 {
			in.failures[slug] = 2
		}
	}
	prefix := testenv.Name(b)
	testenv.DropPrefix(b, testenv.DB(b), prefix)
	for name, dsn := range map[string]string{
		"sqlite":  filepath.Join(b.TempDir(), "landlord.db"),
		"mariadb": strings.TrimSuffix(testenv.MySQLURL(b), "/") + "/" + prefix + "landlord",
	} {
		st, err := state.Open(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			var judge time.Duration
			for b.Loop() {
				start := time.Now()
				checks := make([]state.HealthCheck, 0, n)
				alerts := 0
				for _, t := range tenants {
					c := evaluate(rules, t, probes, in, now)
					if episode(rules, &c, in.prev[t.Slug], now) != nil {
						alerts++
					}
					checks = append(checks, c)
				}
				judge += time.Since(start)
				if err := st.SaveHealthChecks(context.Background(), checks, nil); err != nil {
					b.Fatal(err)
				}
				if alerts == 0 {
					b.Fatal("no alert")
				}
			}
			b.ReportMetric(float64(judge.Microseconds())/1000/float64(b.N), "ms-judge/round")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/round")
		})
		st.Close()
	}
}
