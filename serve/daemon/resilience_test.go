package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// serve started while its tenant server is down syncs every tenant soon
// after the server comes up, without a restart and although the retry
// backoff is long: the server's probe retries the tenants waiting for it.
func TestServeRecoversServerDownAtStart(t *testing.T) {
	f := newFixture(t, false)
	m := testenv.NewMariaDB(t) // not started
	rev := strings.TrimSpace(f.git.Commit(t, "start"))
	cfg := f.config("a")
	cfg.Servers = map[string]string{"primary": m.URL()}
	cfg.Backoff = []time.Duration{time.Hour}
	cfg.ProbeInterval = 500 * time.Millisecond
	l := f.start(cfg, f.store)
	eventually(t, "the start run failed", func() bool {
		runs := f.runs(f.store)
		return len(runs) > 0 && runs[0].FinishedAt != nil && runs[0].Counts.Failed == 3
	})
	eventually(t, "the server reported down", func() bool {
		s := l.Status().Servers
		return len(s) == 1 && !s[0].Up && s[0].Error != ""
	})
	if up := testutil.ToFloat64(l.metrics.ServerUp.WithLabelValues("primary")); up != 0 {
		t.Errorf("landlord_server_up{server=primary} = %v with the server down", up)
	}
	m.Start()
	up := time.Now()
	eventually(t, "Synced", func() bool { return f.synced(f.store, rev) })
	took := time.Since(up)
	if took > 30*time.Second {
		t.Errorf("every tenant Synced %s after the server came up, want within 30s", took)
	}
	t.Logf("every tenant Synced %s after the server came up (probe every %s)", took.Round(time.Millisecond), cfg.ProbeInterval)
	eventually(t, "the server reported up", func() bool {
		s := l.Status().Servers
		return len(s) == 1 && s[0].Up && testutil.ToFloat64(l.metrics.ServerUp.WithLabelValues("primary")) == 1
	})
}

// A loop whose job hangs on a stalled server is reported not ready, and
// API runs are answered at once instead of queueing behind it.
func TestStuckLoopNotReady(t *testing.T) {
	f := newFixture(t, false)
	u := f.mysql
	addr := strings.TrimSuffix(u[strings.LastIndex(u, "@")+1:], "/")
	p := testenv.NewProxy(t, addr)
	p.Stall()
	f.git.Commit(t, "start")
	cfg := f.config("a")
	// Timeouts far beyond the test: the loop is stuck.
	cfg.Servers = map[string]string{"primary": strings.Replace(u, addr, p.Addr(), 1) + "?connectTimeout=1h&stallTimeout=1h"}
	cfg.StuckAfter = time.Second
	cfg.DispatchWait = 300 * time.Millisecond
	cfg.Grace = time.Second
	l := f.start(cfg, f.store)
	eventually(t, "the revision loaded", func() bool { return l.Current() != nil })
	eventually(t, "not ready while stuck", func() bool { return errors.Is(l.Ready(), ErrStuck) })
	start := time.Now()
	_, err := l.Reconcile(context.Background(), Request{})
	if !errors.Is(err, ErrBusy) {
		t.Errorf("an API run while the loop is stuck: %v, want ErrBusy", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the API run waited %s", took)
	}
	p.Resume()
	eventually(t, "ready once the server answers", func() bool { return l.Ready() == nil })
}

// A leader whose landlord database stops answering steps down before its
// lease can lapse (renewals have a third of the TTL each).
func TestLeaderStepsDownBeforeLeaseLapses(t *testing.T) {
	f := newFixture(t, true)
	addr := strings.TrimSuffix(f.mysql[strings.LastIndex(f.mysql, "@")+1:], "/")
	p := testenv.NewProxy(t, addr)
	st, err := state.Open(context.Background(), strings.Replace(f.stateDSN, addr, p.Addr(), 1))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f.git.Commit(t, "start")
	cfg := f.config("a") // LeaseTTL 3s
	l := f.start(cfg, st)
	eventually(t, "leader", func() bool { return l.Status().Leader })
	p.Stall()
	stalled := time.Now()
	eventually(t, "stepped down", func() bool { return !l.Status().Leader })
	took := time.Since(stalled)
	p.Resume()
	t.Logf("the leader stepped down %s after its landlord database stalled (lease TTL %s)", took.Round(time.Millisecond), cfg.LeaseTTL)
	if took >= cfg.LeaseTTL {
		t.Errorf("stepped down after %s: the lease (%s) could lapse first", took, cfg.LeaseTTL)
	}
}

// The tenant server killed while serve runs, a commit pushed while it is
// down, the server started again: the tenants converge soon after, without
// a restart and although the retry backoff is long.
func TestServeServerRestarted(t *testing.T) {
	f := newFixture(t, false)
	m := testenv.StartMariaDB(t)
	rev := strings.TrimSpace(f.git.Commit(t, "start"))
	cfg := f.config("a")
	cfg.Servers = map[string]string{"primary": m.URL()}
	cfg.Backoff = []time.Duration{time.Hour}
	cfg.ProbeInterval = 500 * time.Millisecond
	l := f.start(cfg, f.store)
	eventually(t, "Synced", func() bool { return f.synced(f.store, rev) })
	m.Kill()
	f.write("layers/modules/election/election.hcl", strings.Replace(readFile(t, f.git.Work, "layers/modules/election/election.hcl"), `  column "nominated_on" {`, `  column "manifesto_url" {
    type = varchar(255)
    null = true
  }
  column "nominated_on" {`, 1))
	rev2 := strings.TrimSpace(f.git.Commit(t, "a column while the server is down"))
	l.Wake(context.Background(), "test")
	eventually(t, "the run with the server down failed", func() bool {
		runs := f.runs(f.store)
		r := runs[len(runs)-1]
		return r.Revision == rev2 && r.FinishedAt != nil && r.Counts.Failed > 0
	})
	m.Start()
	up := time.Now()
	eventually(t, "Synced at the new revision", func() bool {
		return f.synced(f.store, rev2, "cpn-uml", "nepali-congress")
	})
	t.Logf("Synced %s after the server came back", time.Since(up).Round(time.Millisecond))
	if took := time.Since(up); took > 30*time.Second {
		t.Errorf("Synced %s after the server came back, want within 30 s", took)
	}
}

func readFile(t *testing.T, dir, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
