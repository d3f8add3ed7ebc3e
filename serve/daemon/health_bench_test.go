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

// BenchmarkHealthInputs10000 reads what a health round needs of the
// landlord database (SQLite) for 10,000 tenants with 20 runs each (200,000
// tenant runs, one in a hundred tenants failing its last two), one in
// fifty with open drift and a backup each.
func BenchmarkHealthInputs10000(b *testing.B) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(b.TempDir(), "landlord.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tx, err := st.DB().Begin()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	for i := range 10000 {
		if _, err := tx.Exec("INSERT INTO tenants (slug, last_synced_at, updated_at) VALUES (?, ?, ?)", fmt.Sprintf("tenant-%05d", i), now, now); err != nil {
			b.Fatal(err)
		}
	}
	for run := 1; run <= 20; run++ {
		if _, err := tx.Exec("INSERT INTO runs (id, trigger_kind, started_at, outcome) VALUES (?, 'schedule', ?, 'succeeded')", run, now); err != nil {
			b.Fatal(err)
		}
		for i := range 10000 {
			outcome := state.OutcomeSucceeded
			if i%100 == 0 && run > 18 {
				outcome = state.OutcomeFailed
			}
			if _, err := tx.Exec("INSERT INTO run_tenants (run_id, tenant, action, outcome, started_at, finished_at) VALUES (?, ?, 'noop', ?, ?, ?)",
				run, fmt.Sprintf("tenant-%05d", i), outcome, now, now); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 10000; i += 50 {
		slug := fmt.Sprintf("tenant-%05d", i)
		if _, err := st.RecordDrift(ctx, slug, []state.Drift{{Kind: "index", Table: "posts", Name: "i", Change: "removed", Severity: state.SeverityHigh}}, 0); err != nil {
			b.Fatal(err)
		}
	}
	l := &Loop{store: st}
	for name, read := range map[string]func() error{
		"tenants":  func() error { _, err := st.Tenants(ctx); return err },
		"failures": func() error { _, err := st.FailuresInARow(ctx); return err },
		"drift":    func() error { _, err := st.OpenDriftCounts(ctx); return err },
		"checks":   func() error { _, err := st.HealthChecks(ctx); return err },
	} {
		start := time.Now()
		if err := read(); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %v", name, time.Since(start))
	}
	for b.Loop() {
		in, err := l.healthInputs(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(in.records) != 10000 || len(in.failures) != 100 || in.failures["tenant-00100"] != 2 || len(in.drift) != 200 {
			b.Fatalf("%d records, %d failing, %d drifted", len(in.records), len(in.failures), len(in.drift))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/read")
}
