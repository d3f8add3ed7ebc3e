package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MariaDB is a MariaDB server of the test's own, on a free port of the
// loopback, with its own data directory and tmpdir under the test's
// temporary directory. A test that stops, kills or restarts a server uses
// one: the machine's shared server is never touched. Stop and Start act on
// this server's process only, by its pid.
type MariaDB struct {
	t       testing.TB
	Port    int
	dir     string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
	// Args are more options of mariadbd, set before Start.
	Args []string
}

// StartMariaDB initializes a data directory, starts mariadbd on a free port
// and waits until it answers. The server is stopped after the test. The test
// fails (it is not skipped) when mariadbd or mariadb-install-db is missing,
// unless LANDLORD_SKIP_MYSQL=1 on a developer machine.
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	m := NewMariaDB(t)
	m.Start()
	return m
}

// NewMariaDB prepares a server without starting it: its port is chosen, so
// its URL is known while it is down.
func NewMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a MariaDB server of its own: make test runs it, make test-short does not")
	}
	MySQLURL(t) // the same skip rules as the shared server
	if _, err := exec.LookPath("mariadbd"); err != nil {
		if _, err := os.Stat("/usr/sbin/mariadbd"); err != nil {
			t.Fatal("mariadbd is required for this test (apt-get install mariadb-server)")
		}
	}
	dir, err := os.MkdirTemp("", "landlord-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, tmp := filepath.Join(dir, "data"), filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := installDataDir(data, tmp); err != nil {
		t.Fatal(err)
	}
	m := &MariaDB{t: t, Port: FreePort(t), dir: dir, logPath: filepath.Join(dir, "mariadbd.log")}
	t.Cleanup(m.Stop)
	return m
}

// installDataDir initializes a data directory (a few seconds). The
// bootstrap server it starts removes every #sql file of its tmpdir: it
// gets the instance's own, not /tmp, where the shared server on 3306
// keeps the temporary tables of queries in flight.
func installDataDir(data, tmp string) error {
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--tmpdir="+tmp,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve").CombinedOutput()
	if err != nil {
		return fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
	}
	return nil
}

// FreePort returns a TCP port of the loopback that is free now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// URL is the landlord URL of the server.
func (m *MariaDB) URL() string { return fmt.Sprintf("mysql://root@127.0.0.1:%d/", m.Port) }

// Addr is host:port of the server.
func (m *MariaDB) Addr() string { return "127.0.0.1:" + strconv.Itoa(m.Port) }

// Start starts the server and waits up to 60 s until it answers.
func (m *MariaDB) Start() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return
	}
	mariadbd := "mariadbd"
	if _, err := exec.LookPath(mariadbd); err != nil {
		mariadbd = "/usr/sbin/mariadbd"
	}
	log, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		m.t.Fatal(err)
	}
	cmd := exec.Command(mariadbd, "--no-defaults",
		"--datadir="+filepath.Join(m.dir, "data"),
		"--tmpdir="+filepath.Join(m.dir, "tmp"),
		"--socket="+filepath.Join(m.dir, "mariadbd.sock"),
		"--pid-file="+filepath.Join(m.dir, "mariadbd.pid"),
		"--port="+strconv.Itoa(m.Port), "--bind-address=127.0.0.1",
		"--skip-name-resolve", "--skip-log-bin", "--user=root",
		"--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
		"--performance-schema=OFF", "--max-connections=200")
	cmd.Args = append(cmd.Args, m.Args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		m.t.Fatalf("start mariadbd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(exited) }()
	m.cmd, m.exited = cmd, exited
	db, err := Open(m.URL())
	if err != nil {
		m.t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-exited:
			out, _ := os.ReadFile(m.logPath)
			m.cmd = nil
			m.t.Fatalf("mariadbd exited at start: %s", out)
		default:
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("mariadbd on port %d does not answer after 60 s: %v", m.Port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM to its pid, then SIGKILL after 30 s) and
// waits for its exit.
func (m *MariaDB) Stop() { m.stop(syscall.SIGTERM) }

// Kill kills the server with SIGKILL and waits for its exit.
func (m *MariaDB) Kill() { m.stop(syscall.SIGKILL) }

func (m *MariaDB) stop(sig syscall.Signal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(sig)
	select {
	case <-m.exited:
	case <-time.After(30 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
	m.cmd = nil
}
