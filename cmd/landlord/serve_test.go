package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/signature"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/serve/notify"
)

// serve on a bare repository holding the example, end to end: every tenant
// Synced, a new tenant provisioned with a signed run.finished notification,
// the API's scopes, the webhooks' checks, an invalid revision rejected and
// its fix applied, a second serve on the SQLite file refused, SIGTERM.
func TestServe(t *testing.T) {
	if testing.Short() {
		t.Skip("serve end to end for about 10 s: make test runs it; make test-short has serve/daemon's tests of the same loop")
	}
	prefix := testenv.Name(t)
	mysql := testenv.MySQLURL(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	git := testenv.NewGit(t, testenv.CopyExample(t, prefix))
	rc := newReceiver(t)
	dir := t.TempDir()
	const poll = 2 * time.Second
	args := []string{"--repo", git.URL(), "--ref", "main", "--state", filepath.Join(dir, "landlord.db"),
		"--server", "primary=" + mysql, "--cache-dir", filepath.Join(dir, "cache"), "--poll-interval", poll.String(),
		"--notify", rc.URL, "--notify-backoff", "100ms,200ms"}
	start := time.Now()
	p := startServe(t, "serve", serveEnv(), args...)
	took := until(t, 2*time.Minute, "every tenant Synced", func() bool { return p.allSynced("", 3) })
	t.Logf("figure: every example tenant Synced %s after start (%s waiting for it)", time.Since(start).Round(time.Millisecond), took.Round(time.Millisecond))

	// The dashboard shares serve's listener.
	if res, err := http.Get("http://" + p.addr + "/ui/login"); err != nil {
		t.Errorf("GET /ui/login: %v", err)
	} else {
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET /ui/login on serve's listener: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
	}

	// A second serve on the same SQLite landlord database refuses to start.
	second := startServe(t, "second", serveEnv(), args...)
	if code := second.wait(); code != 1 || !slices.ContainsFunc(second.lines(), func(l string) bool {
		return strings.Contains(l, "in use by another landlord serve") && strings.Contains(l, "MySQL or MariaDB")
	}) {
		t.Errorf("second serve: exit %d, output %q; want 1 and a clear message", code, second.lines())
	}

	// A new tenant, committed: provisioned within a poll interval, and a
	// signed run.finished reaches the receiver.
	testenv.WriteFile(t, git.Work, "tenants/ujyaalo.yaml", "slug: ujyaalo\nname: Ujyaalo\ntemplate: political-party\nmodules: [social]\ndatabase: "+prefix+"ujyaalo\n")
	rev := git.Commit(t, "add ujyaalo")
	took = until(t, 2*time.Minute, "ujyaalo provisioned", func() bool {
		u, ok := p.tenants()["ujyaalo"]
		return ok && u.Sync == "Synced" && u.LastAppliedRevision == rev && p.allSynced("", 4)
	})
	t.Logf("figure: new tenant provisioned %s after its commit (poll interval %s)", took, poll)
	until(t, time.Minute, "run.finished of the commit delivered", func() bool {
		return len(rc.find(notify.RunFinished, func(e notify.Event) bool { return e.Revision == rev })) > 0
	})
	for _, e := range rc.find(notify.RunFinished, func(e notify.Event) bool { return e.Revision == rev }) {
		if !e.valid {
			t.Errorf("run.finished %s: invalid signature", e.ID)
		}
	}
	for _, typ := range []string{notify.ProvisioningStarted, notify.ProvisioningCompleted, notify.LayerApplied} {
		if len(rc.find(typ, func(e notify.Event) bool { return e.Tenant == "ujyaalo" })) == 0 {
			t.Errorf("no %s event for ujyaalo", typ)
		}
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", prefix+"ujyaalo"); n == 0 {
		t.Error("ujyaalo's database has no tables")
	}

	// API: 401 without a token, 403 for read calling a trigger, 200 for
	// operate; the run records the token's name.
	if code := p.call("GET", "/api/v1/tenants", "", nil, "", nil); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	if code := p.call("POST", "/api/v1/reconcile", testReadToken, nil, `{}`, nil); code != 403 {
		t.Errorf("read token triggering: %d, want 403", code)
	}
	var res struct {
		RunID int64 `json:"run_id"`
	}
	if code := p.call("POST", "/api/v1/reconcile", testOperateToken, nil, `{"tenants": ["ujyaalo"]}`, &res); code != 200 || res.RunID == 0 {
		t.Fatalf("operate token triggering: %d %+v, want 200 and a run", code, res)
	}
	var run struct {
		Run struct{ Actor, Trigger string }
	}
	p.call("GET", fmt.Sprintf("/api/v1/runs/%d", res.RunID), testReadToken, nil, "", &run)
	if run.Run.Actor != "ci" || run.Run.Trigger != "api" {
		t.Errorf("run %d: %+v, want actor ci and trigger api", res.RunID, run.Run)
	}
	latencies := make([]time.Duration, 50)
	for i := range latencies {
		t0 := time.Now()
		p.call("GET", "/api/v1/tenants", testReadToken, nil, "", nil)
		latencies[i] = time.Since(t0)
	}
	slices.Sort(latencies)
	t.Logf("figure: GET /api/v1/tenants latency over 50 calls (5 tenants): p50 %s, p95 %s, max %s",
		latencies[25].Round(time.Microsecond), latencies[47].Round(time.Microsecond), latencies[49].Round(time.Microsecond))

	// Webhooks: a bad signature is refused and triggers nothing; a good
	// one triggers a fetch.
	push := `{"ref": "refs/heads/main"}`
	github := func(secret string) int {
		return p.call("POST", "/hooks/github", "", map[string]string{"X-GitHub-Event": "push",
			"X-Hub-Signature-256": signature.Sign([]byte(secret), []byte(push))}, push, nil)
	}
	triggered := `landlord_triggers_total{source="github"}`
	before := p.metric(triggered)
	if code := github("wrong-secret"); code != 401 || p.metric(triggered) != before {
		t.Errorf("bad signature: %d and %v fetches triggered, want 401 and none", code, p.metric(triggered)-before)
	}
	if code := github(testHookSecret); code != 202 || p.metric(triggered) != before+1 {
		t.Errorf("good signature: %d and %v fetches triggered, want 202 and one", code, p.metric(triggered)-before)
	}

	// An invalid manifest in a commit that also changes a layer: nothing
	// of it is applied; the API and /metrics show it rejected, the last
	// good revision stays in force.
	good := git.Commit(t, "nothing") // an empty commit: a new good revision
	until(t, time.Minute, "the empty commit accepted", func() bool { return p.status().Revision == good })
	testenv.Replace(t, git.Work, "layers/modules/social/social.hcl", `column "avatar_url" {`, `column "motto" {
    type = varchar(120)
    null = true
  }
  column "avatar_url" {`)
	testenv.Replace(t, git.Work, "tenants/ujyaalo.yaml", "modules:", "colour: red\nmodules:")
	bad := git.Commit(t, "motto, and a typo")
	until(t, time.Minute, "the bad revision rejected", func() bool { r := p.status().Rejected; return r != nil && r.Revision == bad })
	st := p.status()
	if st.Revision != good || len(st.Rejected.Problems) != 1 || !strings.Contains(st.Rejected.Problems[0], "tenants/ujyaalo.yaml:") {
		t.Errorf("status after the bad commit: %+v", st)
	}
	if v := p.metric(`landlord_revision_rejected{revision="` + bad + `"}`); v != 1 {
		t.Errorf("/metrics: landlord_revision_rejected for the bad revision = %v, want 1\n%s", v, p.metricsText())
	}
	if v := p.metric(`landlord_revision_info{revision="` + good + `"}`); v != 1 {
		t.Errorf("/metrics: the good revision is not the one in force")
	}
	var rejected struct {
		Revisions []struct{ Revision, Status, Error string }
	}
	p.call("GET", "/api/v1/revisions?status=rejected", testReadToken, nil, "", &rejected)
	if len(rejected.Revisions) != 1 || rejected.Revisions[0].Revision != bad || !strings.Contains(rejected.Revisions[0].Error, "colour") {
		t.Errorf("GET /api/v1/revisions?status=rejected: %+v", rejected)
	}
	until(t, time.Minute, "revision.rejected delivered", func() bool {
		e := rc.find(notify.RevisionRejected, func(e notify.Event) bool { return e.Revision == bad })
		return len(e) == 1 && e[0].valid
	})
	motto := func() int {
		return queryInt(t, db, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA LIKE ? AND COLUMN_NAME = 'motto'", strings.ReplaceAll(prefix, "_", `\_`)+"%")
	}
	if n := motto(); n != 0 {
		t.Errorf("%d motto columns applied from the rejected revision", n)
	}

	// The fix is applied: the motto reaches the tenants with the social
	// module.
	testenv.Replace(t, git.Work, "tenants/ujyaalo.yaml", "colour: red\n", "")
	fixed := git.Commit(t, "fix the typo")
	until(t, 2*time.Minute, "the fix applied", func() bool { return p.status().Rejected == nil && p.allSynced("", 4) && motto() == 3 })
	if st := p.status(); st.Revision != fixed {
		t.Errorf("in force after the fix: %.8s, want %.8s", st.Revision, fixed)
	}

	// Logs are JSON with the fixed keys.
	var sawRun bool
	for _, l := range p.lines() {
		var entry map[string]any
		if err := json.Unmarshal([]byte(l), &entry); err != nil {
			t.Errorf("log line is not JSON: %s", l)
			continue
		}
		if entry["msg"] == "run finished" && entry["run_id"] != nil && entry["revision"] != nil && entry["duration_ms"] != nil {
			sawRun = true
		}
		for _, secret := range []string{testReadToken, testOperateToken, testHookSecret, testHookToken, testNotifySecret} {
			if strings.Contains(l, secret) {
				t.Errorf("a log line holds a secret: %s", l)
			}
		}
	}
	if !sawRun {
		t.Error("no \"run finished\" log line with run_id, revision and duration_ms")
	}
	if code := p.signal(syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM: %d, want 0", code)
	}
}

// serveStatus is the serve part of GET /api/v1/status.
type serveStatus struct {
	Revision string `json:"revision"`
	Rejected *struct {
		Revision string   `json:"revision"`
		Problems []string `json:"problems"`
	} `json:"rejected"`
	Leader bool `json:"leader"`
}

func (p *proc) status() serveStatus {
	p.t.Helper()
	var out struct{ Serve serveStatus }
	if code := p.call("GET", "/api/v1/status", testReadToken, nil, "", &out); code != 200 {
		p.t.Fatalf("GET /api/v1/status: %d", code)
	}
	return out.Serve
}
