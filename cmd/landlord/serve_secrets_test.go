package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// TestServeSecretsRedacted plants secrets in the user info of every URL
// serve is given: the repository (served over HTTP by git http-backend),
// the database server and a notification webhook. It lets serve fetch,
// fail to reach the server, record the failures and notify, then scans
// every log line, every API answer, /metrics and every row of the landlord
// database for the secrets.
func TestServeSecretsRedacted(t *testing.T) {
	const (
		repoSecret   = "repo-s3cret-7f3a1c"
		serverSecret = "server-s3cret-9b1c2e"
		notifySecret = "notify-s3cret-2d4e5f"
		stateSecret  = "state-s3cret-6a7b8c"
	)
	secrets := []string{repoSecret, serverSecret, notifySecret, stateSecret}
	backend, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	git := testenv.NewGit(t, testenv.CopyExample(t, ""))
	gitServer := httptest.NewServer(&cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(backend)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(git.Bare), "GIT_HTTP_EXPORT_ALL=1"},
	})
	t.Cleanup(gitServer.Close)
	repoURL := strings.Replace(gitServer.URL, "http://", "http://landlord:"+repoSecret+"@", 1) + "/" + filepath.Base(git.Bare)

	server, err := url.Parse(testenv.MySQLURL(t))
	if err != nil {
		t.Fatal(err)
	}
	server.User = url.UserPassword("lltest_nobody", serverSecret) // refused by the server
	rc := newReceiver(t)
	notifyURL := strings.Replace(rc.URL, "http://", "http://hook:"+notifySecret+"@", 1)

	dir := t.TempDir()
	statePath := filepath.Join(dir, "landlord.db")
	p := startServe(t, "serve", serveEnv(), "--repo", repoURL, "--ref", "main", "--state", statePath,
		"--server", "primary="+server.String(), "--cache-dir", filepath.Join(dir, "cache"), "--poll-interval", "500ms",
		"--retry-backoff", "100ms", "--notify", notifyURL, "--notify-backoff", "100ms")
	until(t, 2*time.Minute, "the tenants failed on the server and were recorded", func() bool {
		var runs struct{ Runs []struct{ Outcome string } }
		p.call("GET", "/api/v1/runs?limit=5", testReadToken, nil, "", &runs)
		return len(runs.Runs) > 0 && len(rc.find("run.finished", nil)) > 0
	})
	// A fetch that fails quotes the URL in its error: make the remote
	// unreachable for a moment.
	gitServer.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	})
	testenv.WriteFile(t, git.Work, "tenants/ujyaalo.yaml", "slug: ujyaalo\ntemplate: political-party\nmodules: [social]\n")
	git.Commit(t, "ujyaalo")
	until(t, time.Minute, "a failed fetch", func() bool { return p.metric("landlord_git_fetch_errors_total") > 0 })

	var scanned []string
	scan := func(where, text string) {
		t.Helper()
		scanned = append(scanned, where)
		for _, s := range secrets {
			if strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Errorf("%s holds a secret: …%s…", where, text[max(0, i-80):min(len(text), i+len(s)+20)])
			}
		}
	}
	var runs struct{ Runs []struct{ ID int64 } }
	p.call("GET", "/api/v1/runs", testReadToken, nil, "", &runs)
	paths := []string{"/api/v1/status", "/api/v1/tenants", "/api/v1/runs", "/api/v1/revisions", "/api/v1/deliveries", "/readyz", "/healthz"}
	for _, r := range runs.Runs {
		paths = append(paths, fmt.Sprintf("/api/v1/runs/%d", r.ID))
	}
	for _, slug := range []string{"cpn-uml", "janamat"} {
		paths = append(paths, "/api/v1/tenants/"+slug)
	}
	for _, path := range paths {
		var body json.RawMessage
		p.call("GET", path, testReadToken, nil, "", &body)
		scan("GET "+path, string(body))
	}
	metrics := p.metricsText()
	scan("/metrics", metrics)
	if code := p.signal(syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM: %d", code)
	}
	logs := strings.Join(p.lines(), "\n")
	scan("the log", logs)
	if !strings.Contains(logs, `"msg":"serve started"`) || !strings.Contains(logs, "landlord:xxxxx@") {
		t.Errorf("no \"serve started\" line with the redacted repository URL")
	}
	for _, e := range rc.events {
		data, _ := json.Marshal(e.Event)
		scan("notification "+e.Type, string(data))
	}

	st, err := state.Open(context.Background(), statePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows := dumpTables(t, st)
	scan("the landlord database", rows)
	for _, want := range []string{"lltest_nobody", "fetch"} {
		if !strings.Contains(rows+logs, want) {
			t.Errorf("the landlord database and the log never mention %q: the scan saw no failure", want)
		}
	}
	t.Logf("scanned for %d secrets: %d log lines, %d API answers, /metrics (%d bytes), %d notifications, the landlord database (%d bytes)",
		len(secrets), len(p.lines()), len(paths), len(metrics), len(rc.events), len(rows))

	// The state URL: a landlord database that cannot be opened.
	stateURL := server.String() + "lltest_landlord"
	stateURL = strings.Replace(stateURL, serverSecret, stateSecret, 1)
	out, errOut, code := (&cli{t: t}).run("status", "--state", stateURL)
	if code == 0 {
		t.Errorf("status on an unreachable landlord database: exit 0")
	}
	scan("status --state", out+errOut)
}

// dumpTables returns every row of every table of the landlord database as
// text.
func dumpTables(t *testing.T, st *state.Store) string {
	t.Helper()
	db := st.DB()
	names, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for names.Next() {
		var n string
		names.Scan(&n)
		tables = append(tables, n)
	}
	names.Close()
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s:", table)
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, " %v", v)
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}
