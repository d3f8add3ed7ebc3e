package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/signature"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/serve/notify"
)

const (
	testReadToken    = "read-token-0123456789"
	testOperateToken = "operate-token-0123456789"
	testHookSecret   = "github-hook-secret"
	testHookToken    = "generic-hook-token"
	testNotifySecret = "notify-secret-0123"
)

// serveEnv is the environment of a serve process in the tests.
func serveEnv(extra ...string) []string {
	return append([]string{
		"LANDLORD_TOKENS_READ=ro:" + testReadToken,
		"LANDLORD_TOKENS_OPERATE=ci:" + testOperateToken,
		"LANDLORD_GITHUB_WEBHOOK_SECRET=" + testHookSecret,
		"LANDLORD_WEBHOOK_TOKEN=" + testHookToken,
		"LANDLORD_NOTIFY_SECRET=" + testNotifySecret,
	}, extra...)
}

// proc is a landlord serve process.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	addr string
	done chan struct{}
	code int

	mu   sync.Mutex
	logs []string
}

// startServe starts `landlord serve args...` and waits until it listens
// (or exits).
func startServe(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	return startServeBinary(t, os.Args[0], name, env, args...)
}

// startServeBinary is startServe running the binary bin.
func startServeBinary(t *testing.T, bin, name string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(append(os.Environ(), "LANDLORD_TEST_MAIN=1"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, name: name, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			p.mu.Unlock()
			var entry struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "listening" {
				listening <- entry.Addr
			}
		}
	}()
	go func() {
		<-read // Wait closes the pipe: read it all first
		cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			for _, l := range p.lines() {
				t.Logf("%s: %s", name, l)
			}
		}
	})
	select {
	case p.addr = <-listening:
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not start listening", name)
	}
	return p
}

func (p *proc) lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.logs...)
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(3 * time.Minute):
		p.t.Fatalf("%s did not exit", p.name)
	}
	return p.code
}

// signal sends sig and waits for the exit code.
func (p *proc) signal(sig syscall.Signal) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	return p.wait()
}

// call makes an API request and decodes the JSON answer into out.
func (p *proc) call(method, path, token string, header map[string]string, body string, out any) int {
	p.t.Helper()
	return testenv.Call(p.t, "http://"+p.addr, method, path, token, header, body, out)
}

// apiTenant is a tenant as GET /api/v1/tenants shows it.
type apiTenant struct {
	Slug                string `json:"slug"`
	Sync                string `json:"sync"`
	Health              string `json:"health"`
	Lifecycle           string `json:"lifecycle"`
	LastAppliedRevision string `json:"last_applied_revision"`
	LastError           string `json:"last_error"`
}

func (p *proc) tenants() map[string]apiTenant {
	p.t.Helper()
	var list struct{ Tenants []apiTenant }
	if code := p.call("GET", "/api/v1/tenants", testReadToken, nil, "", &list); code != 200 {
		p.t.Fatalf("GET /api/v1/tenants: %d", code)
	}
	out := map[string]apiTenant{}
	for _, t := range list.Tenants {
		out[t.Slug] = t
	}
	return out
}

// allSynced reports whether there are at least active tenants, each Synced
// and Healthy (at revision when it is set), and no run is in flight.
func (p *proc) allSynced(revision string, active int) bool {
	n := 0
	for _, t := range p.tenants() {
		if t.Lifecycle != "active" {
			continue
		}
		n++
		if t.Sync != "Synced" || t.Health != "Healthy" || (revision != "" && t.LastAppliedRevision != revision) {
			return false
		}
	}
	if n < active {
		return false
	}
	var runs struct{ Runs []struct{ Outcome string } }
	p.call("GET", "/api/v1/runs?limit=5", testReadToken, nil, "", &runs)
	for _, r := range runs.Runs {
		if r.Outcome == "running" {
			return false
		}
	}
	return true
}

// metric returns the value of a sample of /metrics (0 when absent).
func (p *proc) metric(sample string) float64 {
	p.t.Helper()
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindSubmatch(data)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// metricsText returns /metrics.
func (p *proc) metricsText() string {
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

// until waits for cond, failing the test after timeout.
func until(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
	return time.Since(start)
}

// receiver is a notification webhook: it keeps every event and whether
// its signature was valid.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	events []receivedEvent
}

type receivedEvent struct {
	notify.Event
	valid bool
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var e notify.Event
		json.Unmarshal(body, &e)
		rc.mu.Lock()
		rc.events = append(rc.events, receivedEvent{e, signature.Valid([]byte(testNotifySecret), body, r.Header.Get(notify.HeaderSignature))})
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	return rc
}

// find returns the events of type typ that match.
func (rc *receiver) find(typ string, match func(notify.Event) bool) []receivedEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []receivedEvent
	for _, e := range rc.events {
		if e.Type == typ && (match == nil || match(e.Event)) {
			out = append(out, e)
		}
	}
	return out
}

// query runs a query on the test server returning one integer.
func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
