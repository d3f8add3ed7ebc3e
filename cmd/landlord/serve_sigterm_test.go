package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

const bulkTable = `table "bulk" {
  schema = schema.tenant
  column "id" {
    type = int
    auto_increment = true
  }
  column "n" {
    type = int
  }
  column "v" {
    type = varchar(64)
  }
  primary_key {
    columns = [column.id]
  }
}
`

// SIGTERM during a long apply (a real ALTER of a table of 1.5 million
// rows): within the grace period the apply finishes and the run is
// recorded complete, exit 0; past it the run is recorded failed, never
// half, exit 1; a restart converges.
func TestServeSIGTERMDuringLongApply(t *testing.T) {
	if testing.Short() {
		t.Skip("a long ALTER on a bulk table: make test runs it, make test-short does not")
	}
	prefix := testenv.Name(t)
	mysql := testenv.MySQLURL(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	repo := testenv.CopyExample(t, prefix)
	testenv.WriteFile(t, repo, "layers/custom/cpn-uml/bulk.hcl", bulkTable)
	git := testenv.NewGit(t, repo)
	dir := t.TempDir()
	stateFile := filepath.Join(dir, "landlord.db")
	args := func(grace string) []string {
		return []string{"--repo", git.URL(), "--ref", "main", "--state", stateFile, "--server", "primary=" + mysql,
			"--cache-dir", filepath.Join(dir, "cache"), "--poll-interval", "1h", "--grace", grace}
	}
	p := startServe(t, "serve", serveEnv(), args("60s")...)
	until(t, 2*time.Minute, "every tenant Synced", func() bool { return p.allSynced("", 3) })
	bulk := prefix + "cpn_uml`.`bulk"
	if _, err := db.Exec("INSERT INTO `" + bulk + "` (n, v) SELECT seq, CONCAT('value-', seq) FROM `" + prefix + "cpn_uml`.seq_1_to_1500000"); err != nil {
		t.Fatal(err)
	}

	// applying waits until the statement of the newest run is running
	// (recorded pending, not finished).
	applying := func(p *proc) int64 {
		var id int64
		until(t, 2*time.Minute, "the ALTER of bulk running", func() bool {
			var runs struct {
				Runs []struct {
					ID      int64
					Outcome string
				}
			}
			p.call("GET", "/api/v1/runs?limit=1", testReadToken, nil, "", &runs)
			if len(runs.Runs) == 0 || runs.Runs[0].Outcome != "running" {
				return false
			}
			var run struct {
				Statements []struct{ SQL, Status string }
			}
			p.call("GET", fmt.Sprintf("/api/v1/runs/%d?tenant=cpn-uml", runs.Runs[0].ID), testReadToken, nil, "", &run)
			for _, s := range run.Statements {
				if strings.Contains(s.SQL, "`bulk`") && s.Status == state.StatementPending {
					id = runs.Runs[0].ID
					return true
				}
			}
			return false
		})
		return id
	}
	wake := func(p *proc) {
		if code := p.call("POST", "/hooks/generic", testHookToken, nil, "", nil); code != 202 {
			t.Fatalf("generic webhook: %d", code)
		}
	}

	// Within the grace period.
	testenv.Replace(t, git.Work, "layers/custom/cpn-uml/bulk.hcl", "type = int\n  }\n  column \"v\"", "type = bigint\n  }\n  column \"v\"")
	git.Commit(t, "bulk.n bigint")
	wake(p)
	runID := applying(p)
	t0 := time.Now()
	if code := p.signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d after SIGTERM within the grace period, want 0", code)
	}
	t.Logf("figure: SIGTERM during the ALTER: exited %s later, the apply finished", time.Since(t0).Round(time.Millisecond))
	st := openState(t, stateFile)
	run, _, _ := st.GetRun(context.Background(), runID)
	sts, _ := st.Statements(context.Background(), runID, "cpn-uml")
	if run.Outcome != state.RunSucceeded || run.FinishedAt == nil || len(sts) != 1 || sts[0].Status != state.StatementApplied {
		t.Errorf("run %d after a graceful stop: %+v, statements %+v; want succeeded and applied", runID, run, sts)
	}
	if typ := columnType(t, prefix+"cpn_uml", "bulk", "n"); typ != "bigint(20)" {
		t.Errorf("bulk.n is %s, want bigint(20)", typ)
	}
	st.Close()

	// Past the grace period.
	p = startServe(t, "serve-2", serveEnv(), args("100ms")...)
	until(t, 2*time.Minute, "restarted", func() bool { return p.allSynced("", 3) })
	testenv.Replace(t, git.Work, "layers/custom/cpn-uml/bulk.hcl", "  primary_key {", "  index \"bulk_v\" {\n    columns = [column.v]\n  }\n  primary_key {")
	indexed := git.Commit(t, "index bulk.v")
	wake(p)
	runID = applying(p)
	if code := p.signal(syscall.SIGTERM); code != 1 {
		t.Fatalf("exit code %d when the grace period ran out, want 1", code)
	}
	st = openState(t, stateFile)
	run, _, _ = st.GetRun(context.Background(), runID)
	sts, _ = st.Statements(context.Background(), runID, "cpn-uml")
	if run.Outcome != state.RunFailed || run.FinishedAt == nil || !strings.Contains(run.Error, "grace period") {
		t.Errorf("run %d after the grace period: %+v; want failed, finished, with the reason", runID, run)
	}
	if len(sts) != 1 || sts[0].Status != state.StatementUnknown || !strings.Contains(sts[0].Error, "unknown") {
		t.Errorf("statements %+v; want the ALTER failed with an unknown outcome, none pending", sts)
	}
	if running, _ := st.RunningRuns(context.Background()); len(running) != 0 {
		t.Errorf("runs left running: %+v", running)
	}
	if rec, _, _ := st.Tenant(context.Background(), "cpn-uml"); rec.Health != state.Degraded || rec.Sync != state.OutOfSync {
		t.Errorf("cpn-uml after the cut: %s %s, want OutOfSync Degraded", rec.Sync, rec.Health)
	}
	st.Close()

	// A restart converges.
	p = startServe(t, "serve-3", serveEnv(), args("30s")...)
	took := until(t, 2*time.Minute, "converged after restart", func() bool {
		u := p.tenants()["cpn-uml"]
		return u.Sync == "Synced" && u.LastAppliedRevision == indexed && p.allSynced("", 3)
	})
	t.Logf("figure: restart after a cut apply converged in %s", took.Round(time.Millisecond))
	if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'bulk' AND INDEX_NAME = 'bulk_v'", prefix+"cpn_uml"); n != 1 {
		t.Errorf("index bulk_v: %d rows in information_schema, want 1", n)
	}
	if code := p.signal(syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
}

func openState(t *testing.T, dsn string) *state.Store {
	t.Helper()
	st, err := state.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func columnType(t *testing.T, schema, table, column string) string {
	t.Helper()
	var typ string
	err := testenv.DB(t).QueryRow("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
		schema, table, column).Scan(&typ)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}
