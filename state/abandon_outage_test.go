package state

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// After an outage of the landlord database every heartbeat has expired:
// the run of a process on another host whose heartbeat expired lately is
// closed only once this process has seen it missing for OwnerTTL; one
// whose heartbeat expired long ago is closed at once.
func TestCloseAbandonedRunsAfterAnOutage(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "landlord.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := func(owner string, expiredAgo time.Duration) int64 {
		t.Helper()
		id, err := st.StartRun(ctx, "cli", "", "rev1")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetRunReplica(ctx, id, owner); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.AcquireLease(ctx, "owner:"+owner, owner, -expiredAgo); err != nil {
			t.Fatal(err)
		}
		return id
	}
	lately := start("cli:elsewhere:1", time.Millisecond)
	long := start("cli:elsewhere:2", recentlyExpired+time.Minute)
	closed, err := st.CloseAbandonedRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{long}; !slices.Equal(closed, want) {
		t.Fatalf("first look: closed %v, want %v (%d expired lately)", closed, want, lately)
	}
	// Seen missing for a heartbeat's lifetime.
	st.heartbeatMissed["cli:elsewhere:1"] = time.Now().Add(-OwnerTTL)
	closed, err = st.CloseAbandonedRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{lately}; !slices.Equal(closed, want) {
		t.Fatalf("after OwnerTTL: closed %v, want %v", closed, want)
	}
}
