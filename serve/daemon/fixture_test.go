package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/serve/metrics"
	"github.com/landlord/landlord/serve/notify"
	"github.com/landlord/landlord/state"
)

// fixture is the example repository behind a bare git remote, its tenants
// on MariaDB under the test's prefix, and a landlord database.
type fixture struct {
	t      *testing.T
	prefix string
	git    *testenv.Git
	store  *state.Store
	mysql  string
	cache  string
	// stateDSN is the landlord database.
	stateDSN string
}

// newFixture makes the fixture; the landlord database is an SQLite file,
// or with mysqlState a MariaDB database under the test's prefix.
func newFixture(t *testing.T, mysqlState bool) *fixture {
	t.Helper()
	f := &fixture{t: t, prefix: testenv.Name(t), mysql: testenv.MySQLURL(t), cache: t.TempDir()}
	testenv.DropPrefix(t, testenv.DB(t), f.prefix)
	f.git = testenv.NewGit(t, testenv.CopyExample(t, f.prefix))
	f.stateDSN = filepath.Join(t.TempDir(), "landlord.db")
	if mysqlState {
		f.stateDSN = strings.TrimSuffix(f.mysql, "/") + "/" + f.prefix + "landlord"
	}
	st, err := state.Open(context.Background(), f.stateDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	return f
}

// config is a loop configuration for tests: no polling, schedules far
// away; tests wake the loop themselves.
func (f *fixture) config(replica string) Config {
	return Config{
		Source:       desired.Source{Repo: f.git.URL(), Ref: "main", CacheDir: f.cache},
		Servers:      map[string]string{"primary": f.mysql},
		PollInterval: time.Hour, Schedule: "@every 1h", DriftSchedule: "@every 1h",
		Backoff: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, Jitter: 0.1,
		LockWait: time.Second, Grace: 30 * time.Second, LeaseTTL: 3 * time.Second, Replica: replica,
	}
}

// running is a loop started by a test.
type running struct {
	*Loop
	stop func() error
}

// start runs a loop until stop or the end of the test.
func (f *fixture) start(cfg Config, store *state.Store) *running {
	f.t.Helper()
	return f.startWith(cfg, store, nil, metrics.New(metrics.Sources{Tenants: store.Tenants, Drift: store.OpenDriftBySeverity}))
}

// startWith runs a loop with a notifier and metrics.
func (f *fixture) startWith(cfg Config, store *state.Store, n *notify.Notifier, m *metrics.Set) *running {
	f.t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{f.t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	loop, err := New(cfg, store, n, m, log)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg     sync.WaitGroup
		runErr error
	)
	wg.Go(func() { runErr = loop.Run(ctx) })
	var once sync.Once
	stop := func() error {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
		return runErr
	}
	f.t.Cleanup(func() { stop() })
	return &running{Loop: loop, stop: stop}
}

// testWriter sends logs to the test's log, shown when it fails.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

// eventually waits for cond, failing the test after a minute and a half.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// synced reports whether every active tenant of the example is Synced at
// revision.
func (f *fixture) synced(store *state.Store, revision string, slugs ...string) bool {
	f.t.Helper()
	if len(slugs) == 0 {
		slugs = []string{"cpn-uml", "nepali-congress", "rastriya-swatantra"}
	}
	tenants, err := store.Tenants(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	// Tenants are recorded before their run: wait for the run's record too.
	if running, err := store.RunningRuns(context.Background()); err != nil || len(running) > 0 {
		return false
	}
	want := map[string]bool{}
	for _, s := range slugs {
		want[s] = true
	}
	n := 0
	for _, t := range tenants {
		if want[t.Slug] && t.Sync == state.Synced && t.Health == state.Healthy && t.LastAppliedRevision == revision {
			n++
		}
	}
	return n == len(slugs)
}

// runs returns the recorded runs, oldest first.
func (f *fixture) runs(store *state.Store) []state.Run {
	f.t.Helper()
	rs, err := store.Runs(context.Background(), 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return rs
}

// tenantsOf returns the slugs a run reconciled.
func (f *fixture) tenantsOf(store *state.Store, runID int64) []string {
	f.t.Helper()
	trs, err := store.TenantRuns(context.Background(), "", runID, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, tr := range trs {
		out = append(out, tr.Tenant)
	}
	return out
}

func (f *fixture) write(rel, content string) {
	f.t.Helper()
	testenv.WriteFile(f.t, f.git.Work, rel, content)
}

func (f *fixture) remove(rel string) {
	f.t.Helper()
	if err := os.Remove(filepath.Join(f.git.Work, rel)); err != nil {
		f.t.Fatal(err)
	}
}

// loadRepo loads a directory as the desired-state repository.
func loadRepo(t *testing.T, dir string) *desired.Repo {
	t.Helper()
	co, err := desired.Open(context.Background(), desired.Source{Repo: dir})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := desired.Load(co.FS, co.Revision, desired.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}
