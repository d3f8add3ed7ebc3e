package main

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// TestServerURLErrorAtItsLine: a server URL that cannot be read is
// reported at its line in landlord.yaml, by validate and by reconcile,
// once for the server and not once per tenant.
func TestServerURLErrorAtItsLine(t *testing.T) {
	r := newSQLiteRepo(t)
	testenv.Replace(t, r.dir, "landlord.yaml", "url: ${LANDLORD_PRIMARY_URL:-sqlite://.landlord/tenants}", "url: mysql://db:notaport/")
	code, out, _ := landlord(t, "", "validate", "--repo", r.dir)
	if want := `landlord.yaml:9:10: server url "mysql://db:notaport/": invalid port ":notaport" after host`; code != 1 || !strings.Contains(out, want) {
		t.Errorf("validate: exit %d, want 1 and %q:\n%s", code, want, out)
	}
	code, out, _ = landlord(t, "", "reconcile", "--plan", "--repo", r.dir, "--state", r.state)
	want := `landlord.yaml:9:10: server "primary": server url "mysql://db:notaport/": invalid port ":notaport" after host (3 tenant(s): cpn-uml, nepali-congress, rastriya-swatantra)`
	if code != 1 || !strings.Contains(out, want+"\n") || strings.Count(out, "invalid port") != 1 {
		t.Errorf("reconcile: exit %d, want 1 and one line %q:\n%s", code, want, out)
	}
}

// TestUnreachableServer: a server that refuses connections is one short
// line for the server; a server that hangs up mid-handshake leaves no raw
// driver line on stderr: the driver logs to landlord's logger, at debug.
func TestUnreachableServer(t *testing.T) {
	r := newSQLiteRepo(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	code, out, errOut := landlord(t, "", "reconcile", "--plan", "--repo", r.dir, "--state", r.state, "--server", "primary=mysql://root@"+addr+"/")
	want := `server "primary": connect mysql://root@` + addr + `/: dial tcp ` + addr + `: connect: connection refused (3 tenant(s): cpn-uml, nepali-congress, rastriya-swatantra)`
	if code != 1 || !strings.Contains(out, want) || strings.Count(out, "connection refused") != 1 {
		t.Errorf("exit %d, want 1 and one line %q:\n%s%s", code, want, out, errOut)
	}

	// A listener that accepts and hangs up: the driver has something to
	// say ("unexpected EOF"), to the debug log.
	hangup, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hangup.Close()
	go func() {
		for {
			c, err := hangup.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	code, _, errOut = landlord(t, "", "reconcile", "--plan", "--log-level", "debug", "--repo", r.dir, "--state", r.state,
		"--server", "primary=mysql://root@"+hangup.Addr().String()+"/?timeout=2s")
	if code != 1 || !strings.Contains(errOut, `msg="mysql driver"`) || strings.Contains(errOut, "[mysql]") {
		t.Errorf("exit %d; the driver's lines belong in the debug log, not raw on stderr:\n%s", code, errOut)
	}
}

// TestCLILogs: the CLI logs to stderr at --log-level in --log-format, like
// serve; stdout keeps the output.
func TestCLILogs(t *testing.T) {
	r := newSQLiteRepo(t)
	code, out, errOut := landlord(t, "", append([]string{"reconcile", "--plan", "--tenant", "cpn-uml", "--log-level", "debug"}, r.args()...)...)
	if code != 0 || !strings.Contains(errOut, `level=DEBUG msg="tenant reconciled" tenant=cpn-uml`) || strings.Contains(out, "level=") {
		t.Errorf("exit %d; want the debug log on stderr only\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, _, errOut = landlord(t, "", append([]string{"reconcile", "--plan", "--tenant", "cpn-uml", "--log-level", "debug", "--log-format", "json"}, r.args()...)...)
	if code != 0 || !strings.Contains(errOut, `"msg":"tenant reconciled","tenant":"cpn-uml"`) {
		t.Errorf("exit %d; want JSON log lines:\n%s", code, errOut)
	}
	code, _, errOut = landlord(t, "", "status", "--log-level", "loud")
	if code != 1 || !strings.Contains(errOut, `--log-level "loud": want debug, info, warn or error`) {
		t.Errorf("status --log-level loud: exit %d, %q", code, errOut)
	}
}

// TestDriftServerDownOnce: drift says a server failure once, naming its
// tenants.
func TestDriftServerDownOnce(t *testing.T) {
	r := newSQLiteRepo(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, out, _ := landlord(t, "", "drift", "--repo", r.dir, "--state", r.state, "--server", "primary=mysql://root@"+addr+"/")
	if code != 1 || strings.Count(out, "connection refused") != 1 || !strings.Contains(out, "(3 tenant(s): cpn-uml, nepali-congress, rastriya-swatantra)") {
		t.Errorf("exit %d, want 1 and the server's failure once:\n%s", code, out)
	}
}

// A landlord database (MariaDB) that is not up yet when serve starts:
// serve waits for it, saying so, and serves once it answers, without a
// restart.
func TestServeWaitsForItsLandlordDatabase(t *testing.T) {
	r := newSQLiteRepo(t)
	db := testenv.DB(t)
	name := testenv.Name(t) + "state"
	testenv.DropPrefix(t, db, name)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there yet
	u := testenv.MySQLURL(t)
	target := u[strings.LastIndex(u, "@")+1 : strings.LastIndex(u, "/")]
	up := make(chan struct{})
	go func() {
		time.Sleep(2 * time.Second)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		close(up)
		t.Cleanup(func() { ln.Close() })
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				s, err := net.Dial("tcp", target)
				if err != nil {
					c.Close()
					return
				}
				go func() { io.Copy(s, c); s.Close() }()
				io.Copy(c, s)
				c.Close()
			}()
		}
	}()
	p := startServe(t, "serve", serveEnv(), "--repo", r.dir, "--server", "primary=sqlite://"+r.tenants, "--state", "mysql://root@"+addr+"/"+name, "--poll-interval", "1h")
	<-up
	if p.addr == "" {
		t.Fatalf("serve exited (%d) instead of waiting for its landlord database", p.wait())
	}
	waited := false
	for _, l := range p.lines() {
		waited = waited || strings.Contains(l, "landlord database not answering; trying again")
	}
	if !waited {
		t.Error("serve did not say it waits for its landlord database")
	}
	until(t, time.Minute, "ready", func() bool { return p.call("GET", "/readyz", "", nil, "", nil) == 200 })
}
