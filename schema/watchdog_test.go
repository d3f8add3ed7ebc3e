package schema

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// openThrough opens the test server through a fault-injecting proxy, with
// the URL's extra query.
func openThrough(t *testing.T, query string) (*Server, *testenv.Proxy) {
	t.Helper()
	u := testenv.MySQLURL(t)
	addr := strings.TrimSuffix(u[strings.LastIndex(u, "@")+1:], "/")
	p := testenv.NewProxy(t, addr)
	pu := strings.Replace(u, addr, p.Addr(), 1) + "?" + query
	srv, err := Open(context.Background(), pu, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, p
}

func lockTest(t *testing.T, srv *Server) *Target {
	t.Helper()
	tg, err := srv.Lock(context.Background(), testenv.Name(t)+"db", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// A statement whose connection stops forwarding fails as stalled within
// about the stall timeout, although the read timeout is far longer.
func TestWatchdogStall(t *testing.T) {
	t.Parallel()
	srv, p := openThrough(t, "stallTimeout=1s")
	tg := lockTest(t, srv)
	start := time.Now()
	go func() { time.Sleep(300 * time.Millisecond); p.Stall() }()
	_, err := tg.w.ExecContext(context.Background(), "DO SLEEP(20)")
	took := time.Since(start)
	p.Resume()
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("err = %v, want ErrStalled", err)
	}
	if took > 10*time.Second {
		t.Errorf("the stall was noticed after %s, want about 1s (the statement sleeps 20s)", took)
	}
	t.Logf("stalled statement failed after %s (stallTimeout 1s): %v", took.Round(time.Millisecond), err)
}

// A statement beyond the statement timeout is killed on the server.
func TestWatchdogStatementTimeout(t *testing.T) {
	t.Parallel()
	srv, _ := openThrough(t, "statementTimeout=2s&stallTimeout=1s")
	tg := lockTest(t, srv)
	_, err := tg.w.ExecContext(context.Background(), "DO SLEEP(30)")
	if !errors.Is(err, ErrStatementTimeout) {
		t.Fatalf("err = %v, want ErrStatementTimeout", err)
	}
	assertNotRunning(t, tg.w.id)
}

// A statement whose context ends is killed on the server, not left to run.
func TestCancelKillsStatement(t *testing.T) {
	t.Parallel()
	srv, _ := openThrough(t, "stallTimeout=1s")
	tg := lockTest(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	_, err := tg.w.ExecContext(ctx, "DO SLEEP(30)")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	assertNotRunning(t, tg.w.id)
}

// A long statement that the server confirms is left alone.
func TestWatchdogLongStatement(t *testing.T) {
	t.Parallel()
	srv, _ := openThrough(t, "stallTimeout=1s")
	tg := lockTest(t, srv)
	if _, err := tg.w.ExecContext(context.Background(), "DO SLEEP(3)"); err != nil {
		t.Fatalf("a 3s statement with a 1s stall timeout: %v", err)
	}
}

func assertNotRunning(t *testing.T, id int64) {
	t.Helper()
	db := testenv.DB(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var command sql.NullString
		err := db.QueryRow("SELECT COMMAND FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE 'DO SLEEP%'", id).Scan(&command)
		if errors.Is(err, sql.ErrNoRows) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the statement of connection %d still runs on the server (%s)", id, command.String)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
