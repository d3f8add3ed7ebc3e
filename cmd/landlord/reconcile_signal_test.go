package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// SIGTERM while an ALTER TABLE waits (for a metadata lock another session
// holds): the statement is killed on the server within --abort-after, the
// run is recorded as failed with the statement, landlord exits 130 well
// within 10 s.
func TestReconcileSIGTERMAbortsStatement(t *testing.T) {
	c := newCLI(t)
	c.must(0, "reconcile")
	testenv.Replace(t, c.repo, "layers/modules/election/election.hcl", `  column "nominated_on" {`, `  column "manifesto_url" {
    type = varchar(255)
    null = true
  }
  column "nominated_on" {`)

	// Another session holds the table: the ALTER waits.
	ctx := context.Background()
	holder, err := c.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, "SELECT COUNT(*) FROM `"+c.database("cpn-uml")+"`.candidates"); err != nil {
		t.Fatal(err)
	}
	defer holder.ExecContext(ctx, "ROLLBACK")

	cmd := exec.Command(os.Args[0], append([]string{"reconcile", "--tenant", "cpn-uml", "--abort-after", "1s"}, c.repoArgs()...)...)
	cmd.Env = append(os.Environ(), "LANDLORD_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitAlter(t, c.db, c.database("cpn-uml"), true)

	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	var code int
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no exit 30 s after SIGTERM\n%s", stderr.String())
	}
	took := time.Since(start)
	t.Logf("exit %d %s after SIGTERM (--abort-after 1s)", code, took.Round(time.Millisecond))
	if code != exitInterrupted {
		t.Errorf("exit code %d, want %d\n%s", code, exitInterrupted, stderr.String())
	}
	if took > 10*time.Second {
		t.Errorf("exited %s after SIGTERM, want within 10 s", took)
	}
	waitAlter(t, c.db, c.database("cpn-uml"), false)

	st, err := state.Open(ctx, c.state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Outcome == state.RunRunning {
		t.Errorf("the interrupted run is left running: %+v", runs[0])
	}
	sts, err := st.Statements(ctx, runs[0].ID, "cpn-uml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 || sts[0].Status != state.StatementFailed || !strings.Contains(sts[0].Error, "aborted") {
		t.Errorf("statements of the interrupted run: %+v, want one failed as aborted", sts)
	}
}

// kill -9 of reconcile during an ALTER: the next reconcile closes the run
// as abandoned (its statement unknown), re-plans from the live schema and
// finishes; no run is left running.
func TestReconcileKilledRunClosedByNext(t *testing.T) {
	c := newCLI(t)
	c.must(0, "reconcile")
	testenv.Replace(t, c.repo, "layers/modules/election/election.hcl", `  column "nominated_on" {`, `  column "manifesto_url" {
    type = varchar(255)
    null = true
  }
  column "nominated_on" {`)
	ctx := context.Background()
	holder, err := c.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	holder.ExecContext(ctx, "BEGIN")
	if _, err := holder.ExecContext(ctx, "SELECT COUNT(*) FROM `"+c.database("cpn-uml")+"`.candidates"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], append([]string{"reconcile", "--tenant", "cpn-uml"}, c.repoArgs()...)...)
	cmd.Env = append(os.Environ(), "LANDLORD_TEST_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitAlter(t, c.db, c.database("cpn-uml"), true)
	cmd.Process.Kill()
	cmd.Wait()
	holder.ExecContext(ctx, "ROLLBACK") // the ALTER, still on the server, now runs

	c.must(0, "reconcile")
	st, err := state.Open(ctx, c.state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	killed := runs[1]
	if killed.Outcome != state.RunFailed || !strings.Contains(killed.Error, "abandoned") {
		t.Errorf("the killed run: %+v, want failed as abandoned", killed)
	}
	sts, _ := st.Statements(ctx, killed.ID, "cpn-uml")
	if len(sts) != 1 || sts[0].Status != state.StatementUnknown {
		t.Errorf("statements of the killed run: %+v, want one unknown", sts)
	}
	for _, r := range runs {
		if r.Outcome == state.RunRunning {
			t.Errorf("run %d left running", r.ID)
		}
	}
	var n int
	c.db.QueryRow("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'candidates' AND COLUMN_NAME = 'manifesto_url'", c.database("cpn-uml")).Scan(&n)
	if n != 1 {
		t.Error("the column is not there after the rerun")
	}
}

// waitAlter waits until an ALTER TABLE of database runs on the server
// (running) or no longer does.
func waitAlter(t *testing.T, db *sql.DB, database string, running bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ?", "ALTER TABLE `"+database+"`%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n > 0) == running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ALTER TABLE of %s running: %v, want %v", database, n > 0, running)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SIGTERM during an ALTER while the tenant server stalls (a proxy that
// stops forwarding): landlord exits non-zero within 10 s, with the default
// --abort-after.
func TestReconcileSIGTERMWhileStalled(t *testing.T) {
	c := newCLI(t)
	addr := strings.TrimSuffix(c.server[strings.LastIndex(c.server, "@")+1:], "/")
	p := testenv.NewProxy(t, addr)
	c.server = strings.Replace(c.server, addr, p.Addr(), 1)
	c.must(0, "reconcile")
	testenv.Replace(t, c.repo, "layers/modules/election/election.hcl", `  column "nominated_on" {`, `  column "manifesto_url" {
    type = varchar(255)
    null = true
  }
  column "nominated_on" {`)
	// The ALTER waits for a metadata lock; then the server stalls.
	ctx := context.Background()
	holder, err := c.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	holder.ExecContext(ctx, "BEGIN")
	if _, err := holder.ExecContext(ctx, "SELECT COUNT(*) FROM `"+c.database("cpn-uml")+"`.candidates"); err != nil {
		t.Fatal(err)
	}
	defer holder.ExecContext(ctx, "ROLLBACK")
	cmd := exec.Command(os.Args[0], append([]string{"reconcile", "--tenant", "cpn-uml"}, c.repoArgs()...)...)
	cmd.Env = append(os.Environ(), "LANDLORD_TEST_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitAlter(t, c.db, c.database("cpn-uml"), true)
	p.Stall()
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Errorf("exit %v after SIGTERM, want non-zero\n%s", err, out.String())
		}
		t.Logf("exit %v %s after SIGTERM with the server stalled", err, time.Since(start).Round(time.Millisecond))
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("exited %s after SIGTERM, want within 10 s", took)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no exit 30 s after SIGTERM with the server stalled\n%s", out.String())
	}
	p.Resume()
}
