package daemon

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// The landlord database (MySQL) restarted while serve runs a reconcile:
// the run whose end could not be recorded is not left running forever
// once the database is back, and the tenants converge.
func TestServeLandlordDBRestartedDuringRun(t *testing.T) {
	f := newFixture(t, false)
	m := testenv.StartMariaDB(t)
	st, err := state.Open(context.Background(), m.URL()+"landlord")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rev := strings.TrimSpace(f.git.Commit(t, "start"))
	cfg := f.config("a")
	l := f.start(cfg, st)
	eventually(t, "a run in flight", func() bool {
		rs, err := st.RunningRuns(context.Background())
		return err == nil && len(rs) > 0
	})
	m.Kill()
	time.Sleep(5 * time.Second) // the run ends while the database is down
	m.Start()
	l.Wake(context.Background(), "test")
	eventually(t, "no run left running and every tenant Synced", func() bool {
		return f.synced(st, rev)
	})
	for _, r := range f.runs(st) {
		t.Logf("run %d %s %s %q", r.ID, r.Trigger, r.Outcome, r.Error)
	}
}

// A run left running by an earlier process of the same replica name (a
// restarted pod keeps its name) is closed as abandoned by the new one:
// its own name no longer shields it.
func TestServeClosesRunsOfItsEarlierProcess(t *testing.T) {
	f := newFixture(t, false)
	rev := strings.TrimSpace(f.git.Commit(t, "start"))
	ctx := context.Background()
	id, err := f.store.StartRun(ctx, "start", "", rev)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetRunReplica(ctx, id, "a"); err != nil {
		t.Fatal(err)
	}
	f.start(f.config("a"), f.store)
	eventually(t, "the earlier process's run closed and every tenant Synced", func() bool {
		return f.synced(f.store, rev)
	})
	for _, r := range f.runs(f.store) {
		if r.ID == id && (r.FinishedAt == nil || !strings.Contains(r.Error, "abandoned")) {
			t.Errorf("run %d of the earlier process: %s %q, want it closed as abandoned", r.ID, r.Outcome, r.Error)
		}
	}
}

// A leader that has just come to lead (at start, or when the landlord
// database answers again after an outage, when every heartbeat has
// expired) does not take the run of a process on another host for
// abandoned before that process had the time to renew its heartbeat.
func TestNewLeaderWaitsForHeartbeatsBeforeClosingRuns(t *testing.T) {
	f := newFixture(t, false)
	f.git.Commit(t, "start")
	ctx := context.Background()
	owner := "cli:another-host:4242"
	id, err := f.store.StartRun(ctx, "manual", "", "abc")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetRunReplica(ctx, id, owner); err != nil {
		t.Fatal(err)
	}
	// Its heartbeat expired during an outage of the landlord database.
	if _, _, err := f.store.AcquireLease(ctx, "owner:"+owner, owner, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	l := f.start(f.config("a"), f.store)
	eventually(t, "leader", func() bool { return l.Status().Leader })
	time.Sleep(3 * time.Second) // several renewals of the leader (LeaseTTL 3 s), a run
	// The process is alive: it renews its heartbeat on its next tick.
	if _, _, err := f.store.AcquireLease(ctx, "owner:"+owner, owner, state.OwnerTTL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	for _, r := range f.runs(f.store) {
		if r.ID == id && r.FinishedAt != nil {
			t.Errorf("the run of a live process on another host was closed: %s %q", r.Outcome, r.Error)
		}
	}
}
