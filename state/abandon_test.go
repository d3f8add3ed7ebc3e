package state_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/landlord/landlord/state"
)

// Any process closes the runs whose owner is gone: no heartbeat, and on
// this host no such process. Their pending statements become unknown.
func TestCloseAbandonedRuns(t *testing.T) {
	ctx := context.Background()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			start := func(owner string) int64 {
				t.Helper()
				id, err := st.StartRun(ctx, "cli", "", "rev1")
				if err != nil {
					t.Fatal(err)
				}
				if owner != "" {
					if err := st.SetRunReplica(ctx, id, owner); err != nil {
						t.Fatal(err)
					}
				}
				return id
			}
			killed := start("cli:" + host + ":" + strconv.Itoa(dead.Process.Pid))
			mine := start("") // this process, recorded by StartRun
			beating := start("cli:elsewhere:1")
			silent := start("cli:elsewhere:2")
			if _, _, err := st.AcquireLease(ctx, "owner:cli:elsewhere:1", "cli:elsewhere:1", time.Minute); err != nil {
				t.Fatal(err)
			}
			sts := []state.Statement{{RunID: killed, Tenant: "t1", Seq: 1, SQL: "ALTER 1", Status: state.StatementPending}}
			if err := st.AddStatements(ctx, sts); err != nil {
				t.Fatal(err)
			}
			closed, err := st.CloseAbandonedRuns(ctx)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(closed)
			if want := []int64{killed, silent}; !slices.Equal(closed, want) {
				t.Errorf("closed %v, want %v (mine %d, beating %d left running)", closed, want, mine, beating)
			}
			got, _ := st.Statements(ctx, killed, "t1")
			if len(got) != 1 || got[0].Status != state.StatementUnknown {
				t.Errorf("statement of the killed run: %+v, want unknown", got)
			}
			run, _, _ := st.GetRun(ctx, killed)
			if run.Outcome != state.RunFailed || run.FinishedAt == nil {
				t.Errorf("killed run %+v, want failed and finished", run)
			}
		})
	}
}

// A writer that read a tenant before its database was created never clears
// database_created_at.
func TestDatabaseCreatedAtKept(t *testing.T) {
	ctx := context.Background()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			created := time.Now().UTC().Truncate(time.Second)
			stale := state.Tenant{Slug: "t1", Sync: state.Unknown, Health: state.Missing}
			fresh := stale
			fresh.DatabaseCreatedAt = &created
			if err := st.SaveTenant(ctx, fresh); err != nil {
				t.Fatal(err)
			}
			stale.Sync = state.OutOfSync
			if err := st.SaveTenant(ctx, stale); err != nil {
				t.Fatal(err)
			}
			got, _, err := st.Tenant(ctx, "t1")
			if err != nil || got.DatabaseCreatedAt == nil || !got.DatabaseCreatedAt.Equal(created) || got.Sync != state.OutOfSync {
				t.Errorf("tenant %+v %v: want database_created_at %v kept and the new sync status", got, err, created)
			}
		})
	}
}
