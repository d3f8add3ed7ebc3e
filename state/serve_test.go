package state_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// stores opens a fresh landlord database of each dialect.
func stores(t *testing.T) map[string]*state.Store {
	t.Helper()
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, testenv.DB(t), prefix)
	out := map[string]*state.Store{}
	for name, dsn := range map[string]string{
		"sqlite":  filepath.Join(t.TempDir(), "landlord.db"),
		"mariadb": strings.TrimSuffix(testenv.MySQLURL(t), "/") + "/" + prefix + "landlord",
	} {
		st, err := state.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[name] = st
	}
	return out
}

func TestLeases(t *testing.T) {
	ctx := context.Background()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			const ttl = 2 * time.Second // long enough that a loaded machine never lets it lapse between two calls
			l, held, err := st.AcquireLease(ctx, "serve:leader", "a", ttl)
			if err != nil || !held || l.Owner != "a" {
				t.Fatalf("a takes a free lease: %+v %v %v", l, held, err)
			}
			acquired := l.AcquiredAt
			if l, held, _ = st.AcquireLease(ctx, "serve:leader", "b", ttl); held || l.Owner != "a" {
				t.Fatalf("b takes a's live lease: %+v %v", l, held)
			}
			if l, held, _ = st.AcquireLease(ctx, "serve:leader", "a", ttl); !held || !l.AcquiredAt.Equal(acquired) {
				t.Fatalf("a renews: %+v %v; acquired_at must stay %v", l, held, acquired)
			}
			if err := st.WakeLease(ctx, "serve:leader"); err != nil {
				t.Fatal(err)
			}
			if l, _, _ = st.AcquireLease(ctx, "serve:leader", "a", ttl); l.WakeSeq != 1 {
				t.Errorf("wake seq %d after one wake, want 1", l.WakeSeq)
			}
			// a stops renewing: b takes over after the expiry.
			deadline := time.Now().Add(20 * time.Second)
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				l, held, err = st.AcquireLease(ctx, "serve:leader", "b", ttl)
				if err != nil {
					t.Fatal(err)
				}
				if held || time.Now().After(deadline) {
					break
				}
				<-tick.C
			}
			if !held || l.Owner != "b" {
				t.Fatalf("b after a's lease expired: %+v %v", l, held)
			}
			// Releasing hands over at once; only the owner releases.
			if err := st.ReleaseLease(ctx, "serve:leader", "a"); err != nil {
				t.Fatal(err)
			}
			if _, held, _ := st.AcquireLease(ctx, "serve:leader", "a", ttl); held {
				t.Fatal("a released b's lease")
			}
			if err := st.ReleaseLease(ctx, "serve:leader", "b"); err != nil {
				t.Fatal(err)
			}
			if _, held, _ := st.AcquireLease(ctx, "serve:leader", "a", ttl); !held {
				t.Fatal("a cannot take a released lease")
			}
			if _, _, err := st.AcquireLease(ctx, "serve:replica:a", "a", time.Minute); err != nil {
				t.Fatal(err)
			}
			live, err := st.Leases(ctx, "serve:replica:")
			if err != nil || len(live) != 1 || live[0].Owner != "a" {
				t.Errorf("live replica leases %+v %v, want a's", live, err)
			}
		})
	}
}

// A run whose process stopped mid-apply is closed: no statement stays
// pending, the tenant it was changing is failed and OutOfSync, the run
// failed with the reason and its counts.
func TestAbandonRun(t *testing.T) {
	ctx := context.Background()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			id, err := st.StartRun(ctx, "poll", "", "rev1")
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SetRunReplica(ctx, id, "host-1"); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			// One tenant finished before the stop, one was mid-apply.
			if err := st.RecordTenantRun(ctx, state.TenantRun{RunID: id, Tenant: "done", Revision: "rev1", Action: "update", Outcome: "succeeded",
				Statements: 1, StartedAt: now, FinishedAt: now}); err != nil {
				t.Fatal(err)
			}
			if err := st.SaveTenant(ctx, state.Tenant{Slug: "busy", Sync: state.OutOfSync, Health: state.Progressing}); err != nil {
				t.Fatal(err)
			}
			sts := []state.Statement{
				{RunID: id, Tenant: "done", Seq: 1, SQL: "ALTER 1", Status: state.StatementApplied},
				{RunID: id, Tenant: "busy", Seq: 1, SQL: "ALTER 2", Status: state.StatementPending},
				{RunID: id, Tenant: "busy", Seq: 2, SQL: "ALTER 3", Status: state.StatementPending},
			}
			if err := st.AddStatements(ctx, sts); err != nil {
				t.Fatal(err)
			}
			if err := st.FinishStatement(ctx, sts[1].ID, state.StatementApplied, time.Millisecond, ""); err != nil {
				t.Fatal(err)
			}
			running, err := st.RunningRuns(ctx)
			if err != nil || len(running) != 1 || running[0].ID != id || running[0].Replica != "host-1" {
				t.Fatalf("running runs %+v %v", running, err)
			}
			if err := st.AbandonRun(ctx, id, "interrupted: test"); err != nil {
				t.Fatal(err)
			}
			run, _, err := st.GetRun(ctx, id)
			if err != nil || run.Outcome != state.RunFailed || run.FinishedAt == nil || run.Error != "interrupted: test" ||
				run.Counts.Total != 2 || run.Counts.Updated != 1 || run.Counts.Failed != 1 || run.StatementsApplied != 2 {
				t.Errorf("abandoned run %+v %v", run, err)
			}
			got, _ := st.Statements(ctx, id, "busy")
			if len(got) != 2 || got[0].Status != state.StatementApplied || got[1].Status != state.StatementUnknown || got[1].Error != "interrupted: test" {
				t.Errorf("statements of the busy tenant %+v", got)
			}
			busy, _, _ := st.Tenant(ctx, "busy")
			if busy.Health != state.Degraded || busy.Sync != state.OutOfSync || busy.LastRunID != id {
				t.Errorf("busy tenant %+v, want Degraded, OutOfSync, last run %d", busy, id)
			}
			if running, _ := st.RunningRuns(ctx); len(running) != 0 {
				t.Errorf("still running: %+v", running)
			}
			// A finished run is left as it is.
			if err := st.AbandonRun(ctx, id, "again"); err != nil {
				t.Fatal(err)
			}
			if again, _, _ := st.GetRun(ctx, id); again.Error != "interrupted: test" {
				t.Errorf("a finished run was abandoned again: %q", again.Error)
			}
		})
	}
}

func TestRevisionsRetriesDeliveries(t *testing.T) {
	ctx := context.Background()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			must(t, st.RecordRevision(ctx, state.Revision{Revision: "r1", Status: state.RevisionAccepted}))
			must(t, st.RecordRevision(ctx, state.Revision{Revision: "r2", Status: state.RevisionRejected, Problems: 2, Error: "a.yaml:1: x\nb.yaml:2: y"}))
			must(t, st.RecordRevision(ctx, state.Revision{Revision: "r2", Status: state.RevisionRejected, Problems: 2, Error: "a.yaml:1: x\nb.yaml:2: y", SeenBy: "other"}))
			all, err := st.Revisions(ctx, "", 10)
			if err != nil || len(all) != 2 || all[0].Revision != "r2" || all[0].SeenBy != "other" {
				t.Errorf("revisions %+v %v: want r2 (seen again by other) then r1", all, err)
			}
			good, _ := st.Revisions(ctx, state.RevisionAccepted, 1)
			if len(good) != 1 || good[0].Revision != "r1" {
				t.Errorf("last good %+v", good)
			}

			next := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
			must(t, st.SaveRetry(ctx, state.Retry{Tenant: "a", Revision: "r1", Attempts: 1, Class: "transient", NextAt: &next, LastError: "locked"}))
			must(t, st.SaveRetry(ctx, state.Retry{Tenant: "a", Revision: "r1", Attempts: 3, Class: "transient", LastError: "locked"}))
			rs, err := st.Retries(ctx)
			if err != nil || len(rs) != 1 || rs[0].Attempts != 3 || rs[0].NextAt != nil {
				t.Errorf("retries %+v %v: want a stalled after 3", rs, err)
			}
			must(t, st.DeleteRetry(ctx, "a"))
			if rs, _ := st.Retries(ctx); len(rs) != 0 {
				t.Errorf("retries after delete: %+v", rs)
			}

			must(t, st.RecordDelivery(ctx, state.Delivery{EventID: "e1", EventType: "run.finished", Webhook: "ops (hooks.example)", Attempt: 1, Status: state.DeliveryFailed, StatusCode: 503, Error: "busy"}))
			must(t, st.RecordDelivery(ctx, state.Delivery{EventID: "e1", EventType: "run.finished", Webhook: "ops (hooks.example)", Attempt: 2, Status: state.DeliveryDelivered, StatusCode: 200}))
			ds, err := st.Deliveries(ctx, "run.finished", 10)
			if err != nil || len(ds) != 2 || ds[0].Attempt != 2 || ds[0].Status != state.DeliveryDelivered || ds[1].StatusCode != 503 {
				t.Errorf("deliveries %+v %v", ds, err)
			}
		})
	}
}

// Only one process claims an SQLite landlord database; the second is told
// who holds it and what to do instead.
func TestClaimFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "landlord.db")
	a, err := state.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := state.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	release, err := a.ClaimFile("host-1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.ClaimFile("host-2")
	var inUse *state.InUseError
	if !errors.As(err, &inUse) || inUse.Holder != "host-1" || !strings.Contains(err.Error(), "only one landlord serve") || !strings.Contains(err.Error(), "MySQL or MariaDB") {
		t.Fatalf("second claim: %v", err)
	}
	must(t, release())
	release, err = b.ClaimFile("host-2")
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	must(t, release())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
