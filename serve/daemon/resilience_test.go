package daemon

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/landlord/landlord/internal/testenv"
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
