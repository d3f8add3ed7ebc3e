package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/signature"
	"github.com/landlord/landlord/internal/testenv"
)

// serveSQLite starts serve on a bare remote holding the example, its
// tenants as SQLite files, and waits until every tenant is Synced.
func serveSQLite(t *testing.T, poll time.Duration, extra ...string) (*proc, *testenv.Git) {
	t.Helper()
	return serveSQLiteBinary(t, os.Args[0], poll, extra...)
}

// serveSQLiteBinary is serveSQLite running the binary bin.
func serveSQLiteBinary(t *testing.T, bin string, poll time.Duration, extra ...string) (*proc, *testenv.Git) {
	t.Helper()
	git := testenv.NewGit(t, testenv.CopyExample(t, ""))
	dir := t.TempDir()
	args := append([]string{"--repo", git.URL(), "--ref", "main", "--state", filepath.Join(dir, "landlord.db"),
		"--server", "primary=sqlite://" + filepath.Join(dir, "tenants"), "--cache-dir", filepath.Join(dir, "cache"),
		"--poll-interval", poll.String()}, extra...)
	p := startServeBinary(t, bin, "serve", serveEnv(), args...)
	until(t, 2*time.Minute, "every tenant Synced", func() bool { return p.allSynced("", 3) })
	return p, git
}

// TestServeRejectsDeepHCL: a commit with a layer file nested 100,000 levels
// deep is rejected like any invalid revision: serve keeps running, /readyz
// stays 200 on the previous revision, and the next good commit is applied.
func TestServeRejectsDeepHCL(t *testing.T) {
	p, git := serveSQLite(t, 500*time.Millisecond)
	good := p.status().Revision
	testenv.WriteFile(t, git.Work, "layers/basic/deep.hcl", "x = "+strings.Repeat("(", 100_000)+"1"+strings.Repeat(")", 100_000)+"\n")
	bad := git.Commit(t, "a file nested 100k levels deep")
	until(t, time.Minute, "the deep revision rejected", func() bool { r := p.status().Rejected; return r != nil && r.Revision == bad })
	st := p.status()
	if st.Revision != good || len(st.Rejected.Problems) == 0 || !strings.Contains(st.Rejected.Problems[0], "layers/basic/deep.hcl:1:") ||
		!strings.Contains(st.Rejected.Problems[0], "nested more than 64 levels deep") {
		t.Errorf("status after the deep commit: %+v", st)
	}
	select {
	case <-p.done:
		t.Fatalf("serve exited with %d on the deep revision", p.code)
	default:
	}
	var ready map[string]string
	if code := p.call("GET", "/readyz", "", nil, "", &ready); code != 200 {
		t.Errorf("/readyz after the deep commit: %d %v", code, ready)
	}

	os.Remove(filepath.Join(git.Work, "layers/basic/deep.hcl"))
	testenv.Replace(t, git.Work, "layers/modules/social/social.hcl", `column "avatar_url" {`, `column "motto" {
    type = varchar(120)
    null = true
  }
  column "avatar_url" {`)
	fixed := git.Commit(t, "motto")
	until(t, 2*time.Minute, "the next good commit applied", func() bool {
		return p.status().Rejected == nil && p.status().Revision == fixed && p.allSynced("", 3)
	})
	if code := p.signal(syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM: %d, want 0", code)
	}
}

// TestServeWebhookFlood: 50 unsigned posts of 25 MB at once leave serve's
// memory bounded; a body trickled slowly is cut at the read timeout; a
// replayed GitHub delivery triggers no second fetch. Under the race
// detector (make test), whose memory is several times a plain build's, it
// builds landlord as shipped and measures that.
func TestServeWebhookFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("floods serve with large webhook bodies: make test runs it, make test-short does not")
	}
	bin := os.Args[0]
	if raceEnabled {
		bin = filepath.Join(t.TempDir(), "landlord")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	p, _ := serveSQLiteBinary(t, bin, time.Hour, "--http-read-timeout", "2s")
	pid := p.cmd.Process.Pid
	before, peakBefore := procStatus(t, pid, "VmRSS"), procStatus(t, pid, "VmHWM")

	const posts, size = 50, 25 << 20
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[string]int{}
	)
	for i := range posts {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", "http://"+p.addr+"/hooks/github", io.LimitReader(zeros{}, size))
			req.Header.Set("X-GitHub-Event", "push")
			if i%2 == 0 {
				req.ContentLength = size // half announce their size, half stream it
			}
			resp, err := http.DefaultClient.Do(req)
			key := "error"
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				key = strconv.Itoa(resp.StatusCode)
			}
			mu.Lock()
			codes[key]++
			mu.Unlock()
		})
	}
	wg.Wait()
	peak := procStatus(t, pid, "VmHWM")
	t.Logf("figure: %d unsigned posts of 25 MB at once: answers %v; serve's RSS %d MB before (peak %d MB), peak %d MB after",
		posts, codes, before>>10, peakBefore>>10, peak>>10)
	// What the flood adds to serve's peak: buffered bodies would add 25 MB
	// each, hundreds of MB for the 16 let in at once. serve's own peak
	// before it (its first reconcile, 75–90 MB) varies with the machine.
	if grown := peak - peakBefore; grown > 64<<10 {
		t.Errorf("the flood grew serve's peak RSS by %d MB (%d → %d MB), want under 64 MB", grown>>10, peakBefore>>10, peak>>10)
	}
	if codes["202"] > 0 || codes["200"] > 0 {
		t.Errorf("unsigned posts were accepted: %v", codes)
	}

	// A body trickled one byte every 200 ms is cut at the read timeout.
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nX-GitHub-Event: push\r\n\r\n")
	cut := make(chan time.Duration, 1)
	go func() { io.Copy(io.Discard, conn); cut <- time.Since(start) }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var took time.Duration
trickle:
	for {
		select {
		case took = <-cut:
			break trickle
		case <-tick.C:
			conn.Write([]byte("x"))
			if time.Since(start) > 30*time.Second {
				t.Fatal("serve still reads a trickled body after 30 s")
			}
		}
	}
	t.Logf("figure: a body trickled at 5 bytes a second cut after %s (read timeout 2s)", took.Round(time.Millisecond))
	if took > 10*time.Second {
		t.Errorf("a trickled body was cut after %s, read timeout 2s", took)
	}

	// A signed delivery fetches once; its replay is answered 200 and
	// fetches nothing.
	push := `{"ref": "refs/heads/main"}`
	header := map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
		"X-Hub-Signature-256": signature.Sign([]byte(testHookSecret), []byte(push))}
	fetches := func() float64 { return p.metric(`landlord_git_fetches_total{result="ok"}`) }
	n := fetches()
	if code := p.call("POST", "/hooks/github", "", header, push, nil); code != 202 {
		t.Fatalf("signed push: %d, want 202", code)
	}
	until(t, time.Minute, "the push fetched", func() bool { return fetches() == n+1 })
	if code := p.call("POST", "/hooks/github", "", header, push, nil); code != 200 {
		t.Errorf("replayed delivery: %d, want 200", code)
	}
	// The loop fetches at once when woken; give it the time it took for
	// the first delivery and more.
	time.Sleep(time.Second)
	if got := fetches(); got != n+1 {
		t.Errorf("the replayed delivery fetched: %v fetches, want %v", got, n+1)
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// procStatus returns a field of /proc/PID/status in kB.
func procStatus(t *testing.T, pid int, field string) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
