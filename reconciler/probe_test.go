package reconciler

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
)

// probeRepo is a repository of tenants by server, without layers: what
// ProbeTenants reads.
func probeRepo(servers map[string]string, tenants map[string][2]string) *desired.Repo {
	repo := &desired.Repo{Config: desired.Config{Servers: map[string]*desired.Server{}}}
	for name, u := range servers {
		repo.Config.Servers[name] = &desired.Server{URL: u, Timeouts: desired.Timeouts{Connect: time.Second, Stall: 2 * time.Second}}
	}
	for slug, sd := range tenants {
		repo.Tenants = append(repo.Tenants, &desired.Tenant{Slug: slug, Server: sd[0], Database: sd[1], Lifecycle: desired.Active})
	}
	return repo
}

// TestProbeTenants: a tenant whose database exists is reachable with its
// size and tables, one whose database is missing is reachable but not
// there, and the tenant of a server that stops answering (a stalled
// proxy) is unreachable once the probe's deadline passes, without holding
// up the other server's.
func TestProbeTenants(t *testing.T) {
	t.Parallel()
	prefix := testenv.Name(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	for _, q := range []string{"CREATE DATABASE `" + prefix + "a`", "CREATE TABLE `" + prefix + "a`.x (id int PRIMARY KEY)", "CREATE TABLE `" + prefix + "a`.y (id int PRIMARY KEY)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	proxy := testenv.NewProxy(t, "127.0.0.1:3306")
	r := New(nil, nil)
	defer r.Close()
	repo := probeRepo(map[string]string{"up": testenv.MySQLURL(t), "stalled": proxy.URL()},
		map[string][2]string{"a": {"up", prefix + "a"}, "b": {"up", prefix + "b"}, "c": {"stalled", prefix + "a"}})
	ctx := context.Background()
	if got := r.ProbeTenants(ctx, repo, ProbeOptions{Timeout: 5 * time.Second, Measure: true, SizeTimeout: 5 * time.Second}); !got["c"].Reachable || !got["c"].Exists {
		t.Fatalf("through the proxy before the stall: %+v", got["c"])
	}
	proxy.Stall()
	start := time.Now()
	got := r.ProbeTenants(ctx, repo, ProbeOptions{Timeout: 2 * time.Second, Measure: true, SizeTimeout: 2 * time.Second})
	t.Logf("probe with a stalled server: %v", time.Since(start))
	if a := got["a"]; !a.Reachable || !a.Exists || !a.Measured || a.Size.Tables != 2 || a.Size.Bytes == 0 {
		t.Errorf("a: %+v, want reachable with 2 tables", a)
	}
	if b := got["b"]; !b.Reachable || b.Exists || b.Measured {
		t.Errorf("b: %+v, want reachable, missing", b)
	}
	if c := got["c"]; c.Reachable || c.Error == "" {
		t.Errorf("c: %+v, want unreachable with the cause", c)
	}
}

// BenchmarkProbeTenants probes N tenant databases of three tables on the
// shared MariaDB (one bulk information_schema query for the server, with
// whatever else the server holds): time per probe of the whole fleet.
func BenchmarkProbeTenants(b *testing.B) {
	prefix := testenv.Name(b)
	db := testenv.DB(b)
	testenv.DropPrefix(b, db, prefix)
	created := 0
	for _, n := range []int{100, 1000, 2000} {
		createProbeDatabases(b, db, prefix, created, n)
		created = n
		tenants := map[string][2]string{}
		for i := range n {
			tenants[fmt.Sprintf("t%04d", i)] = [2]string{"primary", fmt.Sprintf("%st%04d", prefix, i)}
		}
		repo := probeRepo(map[string]string{"primary": testenv.MySQLURL(b)}, tenants)
		r := New(nil, nil)
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			for b.Loop() {
				got := r.ProbeTenants(context.Background(), repo, ProbeOptions{Timeout: time.Minute, Measure: true, SizeTimeout: time.Minute})
				if p := got["t0000"]; !p.Exists || p.Size.Tables != 3 || len(got) != n {
					b.Fatalf("%d probes, t0000 %+v", len(got), p)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/probe")
		})
		b.Run(fmt.Sprintf("tenants=%d,existence only", n), func(b *testing.B) {
			for b.Loop() {
				if p := r.ProbeTenants(context.Background(), repo, ProbeOptions{Timeout: time.Minute})["t0000"]; !p.Exists || p.Measured {
					b.Fatalf("t0000 %+v", p)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/probe")
		})
		r.Close()
	}
}

func createProbeDatabases(b *testing.B, db *sql.DB, prefix string, from, to int) {
	b.Helper()
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range jobs {
				name := fmt.Sprintf("%st%04d", prefix, i)
				for _, q := range []string{"CREATE DATABASE `" + name + "`",
					"CREATE TABLE `" + name + "`.a (id int PRIMARY KEY, v varchar(40))",
					"CREATE TABLE `" + name + "`.b (id int PRIMARY KEY, a int, KEY (a))",
					"CREATE TABLE `" + name + "`.c (id bigint PRIMARY KEY)"} {
					if _, err := db.Exec(q); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	for i := from; i < to; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}
