package reconciler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/schema"
)

// Permanent MySQL errors stay permanent through wrapping and redaction;
// the network and the watchdog's stalls are transient.
func TestClassifyKeepsCause(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Class
	}{
		{&gomysql.MySQLError{Number: 1045, Message: "Access denied for user 'app'@'host'"}, Stalled},
		{&gomysql.MySQLError{Number: 1049, Message: "Unknown database 'x'"}, Stalled},
		{&gomysql.MySQLError{Number: 1064, Message: "You have an error in your SQL syntax"}, Stalled},
		{&gomysql.MySQLError{Number: 1213, Message: "Deadlock found"}, Transient},
		{&gomysql.MySQLError{Number: 1290, Message: "The MariaDB server is running with the --read-only option so it cannot execute this statement"}, Transient},
		{&gomysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded; try restarting transaction"}, Transient},
		{&gomysql.MySQLError{Number: 1114, Message: "The table 'f' is full"}, Transient},
		{fmt.Errorf("%w: db cannot write", schema.ErrOutOfSpace), Transient},
		{&gomysql.MySQLError{Number: 1005, Message: "Can't create table `d`.`t` (errno: 150 \"Foreign key constraint is incorrectly formed\")"}, Stalled},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, Transient},
		{fmt.Errorf("%w: no answer", schema.ErrStalled), Transient},
		{fmt.Errorf("%w: killed after 1h", schema.ErrStatementTimeout), Stalled},
	} {
		err := fmt.Errorf("server %q: %w", "primary", redact.Error(fmt.Errorf("connect mysql://app:s3cret@db/: %w", tc.err)))
		if got := classify(err); got != tc.want {
			t.Errorf("classify(%v) = %s, want %s", err, got, tc.want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q holds the password", err)
		}
	}
}

// A server that went away (the connection dropped mid-statement, the
// server shut down) is unreachable, as a refused dial is: the tenant
// waits for its server instead of spending a retry. A statement error of
// the tenant's own is not.
func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{fmt.Errorf("%w: no answer", schema.ErrStalled), true},
		{fmt.Errorf("apply: statement 1: %w", gomysql.ErrInvalidConn), true},
		{&gomysql.MySQLError{Number: 2013, Message: "Lost connection to server during query"}, true},
		{&gomysql.MySQLError{Number: 1053, Message: "Server shutdown in progress"}, true},
		{&gomysql.MySQLError{Number: 1213, Message: "Deadlock found"}, false},
		{&gomysql.MySQLError{Number: 1064, Message: "You have an error in your SQL syntax"}, false},
	} {
		if got := unreachable(fmt.Errorf("server %q: %w", "primary", tc.err)); got != tc.want {
			t.Errorf("unreachable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// A server that refuses the user fails its tenants as stalled (not retried
// like a network blip), with the server's own error number.
func TestAccessDeniedIsStalled(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	u := testenv.MySQLURL(t)
	f.server = "mysql://lltest_nobody:wrong@" + u[strings.LastIndex(u, "@")+1:]
	res := f.reconcile(Options{})
	tr := byslug(res)["cpn-uml"]
	if tr.Action != ActionError || tr.Class != Stalled || !strings.Contains(tr.Error, "Access denied") {
		t.Fatalf("cpn-uml: action %s, class %s, error %q; want a stalled access denied", tr.Action, tr.Class, tr.Error)
	}
	if strings.Contains(tr.Error, "wrong") || !strings.Contains(tr.Error, "lltest_nobody:xxxxx@") {
		t.Errorf("the error holds the password or lost the user: %q", tr.Error)
	}
}

// A server that is down when landlord starts is used once it is up, with
// no restart: failures are never kept beyond their backoff.
func TestServerDownAtStartRecovers(t *testing.T) {
	t.Parallel()
	m := testenv.NewMariaDB(t) // not started
	f := &fixture{t: t, server: m.URL()}
	f.repo = testenv.CopyExample(t, "")
	f.open(filepath.Join(t.TempDir(), "landlord.db"))

	res := f.reconcile(Options{})
	tr := byslug(res)["cpn-uml"]
	if tr.Action != ActionError || tr.Class != Transient {
		t.Fatalf("with the server down: cpn-uml %s (%s): %s; want a transient error", tr.Action, tr.Class, tr.Error)
	}
	// A second attempt before the server is up fails again, fast.
	f.reconcile(Options{})

	m.Start()
	up := time.Now()
	for {
		res := f.reconcile(Options{})
		if !res.Failed() {
			t.Logf("every tenant reconciled %s after the server came up (%d runs)", time.Since(up).Round(time.Millisecond), res.RunID)
			break
		}
		if time.Since(up) > 30*time.Second {
			t.Fatalf("still failing 30s after the server came up: %+v", res.Tenants)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A tenant whose server stalls fails within the stall timeout; the
// tenants of other servers go on.
func TestStalledServerOthersGoOn(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	u := testenv.MySQLURL(t)
	addr := strings.TrimSuffix(u[strings.LastIndex(u, "@")+1:], "/")
	p := testenv.NewProxy(t, addr)
	slow := strings.Replace(u, addr, p.Addr(), 1) + "?stallTimeout=1s&connectTimeout=2s"
	testenv.Replace(t, f.repo, "landlord.yaml", "servers:\n", "servers:\n  slow:\n    url: sqlite://unused\n")
	testenv.Replace(t, f.repo, "tenants/cpn-uml.yaml", "domain:", "server: slow\ndomain:")
	load := func() *desired.Repo {
		co, err := desired.Open(context.Background(), desired.Source{Repo: f.repo})
		if err != nil {
			t.Fatal(err)
		}
		repo, err := desired.Load(co.FS, co.Revision, desired.LoadOptions{Servers: map[string]string{"primary": f.server, "slow": slow}})
		if err != nil {
			t.Fatal(err)
		}
		return repo
	}
	if res, err := f.rec.Reconcile(context.Background(), load(), Options{}); err != nil || res.Failed() {
		t.Fatalf("first reconcile: %v %+v", err, res)
	}
	addElectionColumn(t, f.repo)
	p.Stall()
	start := time.Now()
	res, err := f.rec.Reconcile(context.Background(), load(), Options{})
	took := time.Since(start)
	p.Resume()
	if err != nil {
		t.Fatal(err)
	}
	got := byslug(res)
	if tr := got["cpn-uml"]; tr.Action != ActionError || tr.Class != Transient || !strings.Contains(tr.Error, "stalled") {
		t.Errorf("cpn-uml behind the stalled proxy: %s (%s): %q; want a transient stall", tr.Action, tr.Class, tr.Error)
	}
	if tr := got["nepali-congress"]; tr.Action != ActionUpdate {
		t.Errorf("nepali-congress on the other server: %s %q, want update", tr.Action, tr.Error)
	}
	if took > 15*time.Second {
		t.Errorf("the reconcile took %s with a 1s stall timeout", took)
	}
	t.Logf("reconcile with one stalled server (stallTimeout 1s, connectTimeout 2s) took %s; cpn-uml: %s", took.Round(time.Millisecond), got["cpn-uml"].Error)
}

// A change of git that a run applied and did not record (it was killed
// after the statement) is not drift; a change by hand beside it is.
func TestUnrecordedGitChangeIsNotDrift(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)
	f.reconcile(Options{})
	addElectionColumn(t, f.repo)
	db := f.database("cpn-uml")
	for _, q := range []string{
		"ALTER TABLE `" + db + "`.candidates ADD COLUMN manifesto_url varchar(255) NULL", // git's change, as the dead run applied it
		"ALTER TABLE `" + db + "`.candidates ADD COLUMN nickname varchar(40) NULL",       // by hand
	} {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	res, err := f.rec.Drift(ctx, f.load(), DriftOptions{Tenants: []string{"cpn-uml"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Tenants[0].Drift {
		got = append(got, d.Table+"."+d.Name)
	}
	if len(got) != 1 || got[0] != "candidates.nickname" {
		t.Errorf("drift %v, want only candidates.nickname", got)
	}
}

// The server killed during a reconcile and started again: the same
// Reconciler (serve's) converges on the next run, nothing applied twice.
func TestServerKilledDuringReconcile(t *testing.T) {
	t.Parallel()
	m := testenv.StartMariaDB(t)
	f := &fixture{t: t, server: m.URL()}
	f.repo = testenv.CopyExample(t, "")
	f.open(filepath.Join(t.TempDir(), "landlord.db"))
	done := make(chan *Result, 1)
	go func() {
		res, err := f.rec.Reconcile(context.Background(), f.load(), Options{})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	time.Sleep(700 * time.Millisecond)
	m.Kill()
	first := <-done
	m.Start()
	up := time.Now()
	for {
		res := f.reconcile(Options{})
		if !res.Failed() {
			t.Logf("converged %s after the restart; the killed run: %+v", time.Since(up).Round(time.Millisecond), first.Counts)
			break
		}
		if time.Since(up) > 30*time.Second {
			t.Fatalf("still failing 30s after the restart: %+v", res.Tenants)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res := f.reconcile(Options{Plan: true}); res.Changed() {
		t.Errorf("a plan after convergence has changes: %+v", res.Counts)
	}
}
