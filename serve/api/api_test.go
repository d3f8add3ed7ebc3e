package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/signature"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/serve/metrics"
	"github.com/landlord/landlord/state"
)

const (
	readToken    = "read-token-0123456789"
	operateToken = "operate-token-0123456789"
	hookSecret   = "github-hook-secret"
	hookToken    = "generic-hook-token"
)

// env is the API over a real loop: the example repository on SQLite
// tenant files and an SQLite landlord database.
type env struct {
	t     *testing.T
	url   string
	store *state.Store
	m     *metrics.Set
	loop  *daemon.Loop
	api   *Server
	start func()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, Options{})
}

// newEnvWith is newEnv with the limits of opts.
func newEnvWith(t *testing.T, opts Options) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := state.Open(context.Background(), filepath.Join(dir, "landlord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := metrics.New(metrics.Sources{Tenants: st.Tenants, Backups: st.LastBackups})
	repo := testenv.CopyExample(t, "")
	yaml, err := os.ReadFile(filepath.Join(repo, "landlord.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, repo, "landlord.yaml", string(yaml)+"\nbackups:\n  location: "+filepath.Join(dir, "backups")+"\n")
	loop, err := daemon.New(daemon.Config{
		Source:       desired.Source{Repo: repo},
		Servers:      map[string]string{"primary": "sqlite://" + filepath.Join(dir, "tenants")},
		PollInterval: time.Hour, Schedule: "@every 1h", DriftSchedule: "@every 1h", Replica: "test",
	}, st, nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens := &Tokens{}
	if err := tokens.Add("ro:"+readToken, ScopeRead, "read"); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Add("ci:"+operateToken, ScopeOperate, "operate"); err != nil {
		t.Fatal(err)
	}
	opts.Tokens, opts.GitHubSecret, opts.WebhookToken, opts.Branch = tokens, hookSecret, hookToken, "main"
	a := New(opts, loop, st, m, nil)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, store: st, m: m, loop: loop, api: a}
	e.start = func() {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { loop.Run(ctx) })
		t.Cleanup(func() { cancel(); wg.Wait() })
		deadline := time.Now().Add(time.Minute)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for loop.Ready() != nil || running(t, st) {
			if time.Now().After(deadline) {
				t.Fatal("the loop did not get ready")
			}
			<-tick.C
		}
	}
	return e
}

func running(t *testing.T, st *state.Store) bool {
	rs, err := st.RunningRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A run records its replica just after it starts: until then (and if
	// that write fails on a loaded machine) only its missing end says it
	// is running.
	runs, _ := st.Runs(context.Background(), 1)
	return len(rs) > 0 || len(runs) == 0 || runs[0].FinishedAt == nil
}

// call makes a request and decodes the JSON answer into out (if not nil).
func (e *env) call(method, path, token string, header map[string]string, body string, out any) int {
	e.t.Helper()
	return testenv.Call(e.t, e.url, method, path, token, header, body, out)
}

func TestAuthAndActor(t *testing.T) {
	e := newEnv(t)
	e.start()
	for _, c := range []struct {
		name, method, path, token string
		want                      int
	}{
		{"no token", "GET", "/api/v1/tenants", "", 401},
		{"unknown token", "GET", "/api/v1/tenants", "not-a-token-at-all-1234", 401},
		{"read reads", "GET", "/api/v1/tenants", readToken, 200},
		{"operate reads", "GET", "/api/v1/runs", operateToken, 200},
		{"read triggers", "POST", "/api/v1/reconcile", readToken, 403},
		{"read repairs", "POST", "/api/v1/tenants/cpn-uml/repair", readToken, 403},
		{"no token triggers", "POST", "/api/v1/reconcile", "", 401},
		{"public health", "GET", "/healthz", "", 200},
		{"public document", "GET", "/api/v1/openapi.json", "", 200},
		{"unknown tenant", "GET", "/api/v1/tenants/nobody", readToken, 404},
		{"unknown path", "GET", "/api/v2/tenants", readToken, 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := e.call(c.method, c.path, c.token, nil, "", nil); got != c.want {
				t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.want)
			}
		})
	}
	var list struct {
		Tenants []struct{ Slug, Sync, Health string } `json:"tenants"`
	}
	e.call("GET", "/api/v1/tenants", readToken, nil, "", &list)
	var got []string
	for _, t := range list.Tenants {
		got = append(got, t.Slug+" "+t.Sync+" "+t.Health)
	}
	want := []string{"cpn-uml Synced Healthy", "janamat Unknown Suspended", "nepali-congress Synced Healthy", "rastriya-swatantra Synced Healthy"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("tenants (-got +want):\n%s", diff)
	}

	// operate: the run records the token's name.
	var res struct {
		RunID  int64 `json:"run_id"`
		Counts state.Counts
	}
	if code := e.call("POST", "/api/v1/reconcile", operateToken, nil, `{"tenants": ["cpn-uml"]}`, &res); code != 200 || res.RunID == 0 || res.Counts.Unchanged != 1 {
		t.Fatalf("operate reconcile: %d %+v", code, res)
	}
	run, _, err := e.store.GetRun(context.Background(), res.RunID)
	if err != nil || run.Actor != "ci" || run.Trigger != "api" {
		t.Errorf("run %+v %v: want actor ci, trigger api", run, err)
	}
	if code := e.call("POST", "/api/v1/tenants/rastriya-swatantra/repair", operateToken, nil, "", &res); code != 200 {
		t.Fatalf("repair: %d", code)
	}
	if run, _, _ := e.store.GetRun(context.Background(), res.RunID); run.Actor != "ci" || run.Trigger != "repair" {
		t.Errorf("repair run %+v: want actor ci, trigger repair", run)
	}
	// A plan applies and records nothing.
	before, _ := e.store.Runs(context.Background(), 100)
	var plan struct {
		RunID   int64 `json:"run_id"`
		Plan    bool
		Against string `json:"against"`
		Tenants []struct{ Action, Engine string }
	}
	// The answer is the JSON landlord reconcile --output json prints
	// (reconciler.Report): against and each tenant's engine included.
	if code := e.call("POST", "/api/v1/reconcile", operateToken, nil, `{"plan": true}`, &plan); code != 200 || !plan.Plan || plan.RunID != 0 || len(plan.Tenants) != 4 ||
		plan.Against != "live" || plan.Tenants[0].Engine != "sqlite" {
		t.Errorf("plan: %d %+v", code, plan)
	}
	if after, _ := e.store.Runs(context.Background(), 100); len(after) != len(before) {
		t.Errorf("a plan recorded a run")
	}
	if code := e.call("POST", "/api/v1/reconcile", operateToken, nil, `{"tenants": ["nobody"]}`, nil); code != 404 {
		t.Errorf("reconcile of an unknown tenant: %d, want 404", code)
	}
	if code := e.call("POST", "/api/v1/reconcile", operateToken, nil, `{"tenant": "typo"}`, nil); code != 400 {
		t.Errorf("reconcile with an unknown field: %d, want 400", code)
	}
	var detail struct {
		Tenant struct {
			Slug      string
			Snapshots int
		}
		Runs      []state.TenantRun
		Snapshots []state.Snapshot
		Drift     []state.Drift
	}
	e.call("GET", "/api/v1/tenants/cpn-uml", readToken, nil, "", &detail)
	if detail.Tenant.Slug != "cpn-uml" || len(detail.Runs) != 2 || len(detail.Snapshots) != 1 || detail.Tenant.Snapshots != 1 || detail.Drift == nil {
		t.Errorf("tenant detail %+v: want 2 runs (start, api), 1 snapshot, no drift", detail)
	}
	var one struct {
		Run        state.Run
		Statements []state.Statement
	}
	e.call("GET", "/api/v1/runs/1?tenant=cpn-uml", readToken, nil, "", &one)
	if one.Run.ID != 1 || len(one.Statements) == 0 || one.Statements[0].Tenant != "cpn-uml" {
		t.Errorf("run 1: %+v with %d statements", one.Run, len(one.Statements))
	}
}

func TestWebhooks(t *testing.T) {
	e := newEnv(t)
	big := `{"ref": "refs/heads/main", "padding": "` + strings.Repeat("x", DefaultMaxHookBody) + `"}`
	triggers := func(source string) float64 { return testutil.ToFloat64(e.m.Triggers.WithLabelValues(source)) }
	push := `{"ref": "refs/heads/main", "after": "abc"}`
	sign := func(body string) map[string]string {
		return map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": signature.Sign([]byte(hookSecret), []byte(body))}
	}
	for _, c := range []struct {
		name, path, token string
		header            map[string]string
		body              string
		want              int
		triggered         bool
	}{
		{"github unsigned", "/hooks/github", "", map[string]string{"X-GitHub-Event": "push"}, push, 401, false},
		{"github bad signature", "/hooks/github", "", map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": signature.Sign([]byte("guess"), []byte(push))}, push, 401, false},
		{"github body changed", "/hooks/github", "", sign(push), strings.Replace(push, "abc", "abd", 1), 401, false},
		{"github push", "/hooks/github", "", sign(push), push, 202, true},
		{"github other branch", "/hooks/github", "", sign(`{"ref": "refs/heads/dev"}`), `{"ref": "refs/heads/dev"}`, 200, false},
		{"github ping", "/hooks/github", "", map[string]string{"X-GitHub-Event": "ping", "X-Hub-Signature-256": signature.Sign([]byte(hookSecret), []byte("{}"))}, "{}", 200, false},
		{"generic no token", "/hooks/generic", "", nil, "", 401, false},
		{"generic bad token", "/hooks/generic", "generic-hook-tokeN", nil, "", 401, false},
		{"generic bearer", "/hooks/generic", hookToken, nil, "", 202, true},
		{"generic header", "/hooks/generic", "", map[string]string{"X-Landlord-Token": hookToken}, "", 202, true},
		{"github delivery", "/hooks/github", "", withDelivery(sign(push), "d-1"), push, 202, true},
		{"github delivery replayed", "/hooks/github", "", withDelivery(sign(push), "d-1"), push, 200, false},
		{"github next delivery", "/hooks/github", "", withDelivery(sign(push), "d-2"), push, 202, true},
		{"github body over the bound", "/hooks/github", "", sign(big), big, 413, false},
		{"generic body over the bound", "/hooks/generic", hookToken, nil, big, 413, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			source := strings.TrimPrefix(c.path, "/hooks/")
			before := triggers(source)
			if got := e.call("POST", c.path, c.token, c.header, c.body, nil); got != c.want {
				t.Errorf("%d, want %d", got, c.want)
			}
			if got := triggers(source) - before; got != map[bool]float64{true: 1, false: 0}[c.triggered] {
				t.Errorf("%v fetches triggered, want triggered=%v", got, c.triggered)
			}
		})
	}
}

func TestReadyz(t *testing.T) {
	e := newEnv(t)
	var body map[string]string
	if code := e.call("GET", "/readyz", "", nil, "", &body); code != 503 || !strings.Contains(body["reason"], "no valid revision") {
		t.Errorf("before the first revision: %d %v", code, body)
	}
	e.start()
	if code := e.call("GET", "/readyz", "", nil, "", &body); code != 200 {
		t.Errorf("with a revision: %d %v", code, body)
	}
	var status struct {
		Serve    daemon.Status
		Leader   string
		Replicas []string
		Health   map[string]int
	}
	e.call("GET", "/api/v1/status", readToken, nil, "", &status)
	if status.Leader != "test" || status.Serve.Revision == "" {
		t.Errorf("status %+v", status)
	}
	if len(status.Health) != 4 {
		t.Errorf("status health %v: want the count of each of the four statuses", status.Health)
	}
	// The loop records the run in the landlord database before it
	// observes the run's duration: scrape until the observation is in.
	var data []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(e.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		data, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(data), `landlord_reconcile_duration_seconds_count{`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if runs, _ := e.store.Runs(context.Background(), 5); t.Failed() || !strings.Contains(string(data), `trigger="start"} 1`) {
		for _, r := range runs {
			t.Logf("run %d %s %s %+v %s", r.ID, r.Trigger, r.Outcome, r.Counts, r.Error)
		}
	}
	for _, want := range []string{
		`landlord_tenants{health="Healthy",sync="Synced"} 3`,
		`landlord_revision_info{revision="` + status.Serve.Revision + `"} 1`,
		`landlord_leader 1`,
		`landlord_reconcile_duration_seconds_count{outcome="succeeded",trigger="start"} 1`,
		`landlord_statements_applied_total`,
		`landlord_last_good_revision_timestamp_seconds`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// The OpenAPI document describes exactly the routes served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range New(Options{}, nil, nil, nil, nil).routes {
		served = append(served, rt.method+" "+rt.path)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if diff := cmp.Diff(documented, served); diff != "" || doc.OpenAPI != "3.1.0" {
		t.Errorf("documented (-) vs served (+) routes:\n%s", diff)
	}
}

func withDelivery(h map[string]string, id string) map[string]string {
	h["X-GitHub-Delivery"] = id
	return h
}

// TestPublicRequestsBounded: requests without a token beyond the bound are
// answered 503 at once, and the slots come back when requests end.
func TestPublicRequestsBounded(t *testing.T) {
	e := newEnvWith(t, Options{MaxPublic: 2})
	// Two unsigned posts whose bodies never end hold both slots: written
	// on connections of their own, so the server has their headers and a
	// first byte at once, and closed when the test ends, failed or not
	// (the server's Close waits for its handlers).
	host := strings.TrimPrefix(e.url, "http://")
	var held []net.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	for range 2 {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		if _, err := fmt.Fprintf(c, "POST /hooks/github HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", host); err != nil {
			t.Fatal(err)
		}
	}
	// Both in their handlers before the first probe: a probe served
	// while the second post waits to be read would take its slot, and
	// the post, refused, would hold none.
	deadline := time.Now().Add(10 * time.Second)
	for len(e.api.public) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the two posts hold a slot after 10 s", len(e.api.public))
		}
		time.Sleep(time.Millisecond)
	}
	for e.call("GET", "/metrics", "", nil, "", nil) != 503 {
		if time.Now().After(deadline) {
			t.Fatal("a third request without a token was served while two held their slots")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Probes have their own slots: a flood of webhooks does not make the
	// replica look unhealthy.
	if code := e.call("GET", "/healthz", "", nil, "", nil); code != 200 {
		t.Errorf("/healthz during the flood: %d, want 200", code)
	}
	// A request with a token is not bounded by it.
	if code := e.call("GET", "/api/v1/tenants", readToken, nil, "", nil); code == 503 {
		t.Errorf("an authenticated call was refused with the public requests")
	}
	for _, c := range held {
		c.Close()
	}
	// The slots come back once the server sees the connections end.
	deadline = time.Now().Add(10 * time.Second)
	for e.call("GET", "/metrics", "", nil, "", nil) == 503 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if code := e.call("GET", "/metrics", "", nil, "", nil); code != 200 {
		t.Errorf("after the held requests ended: %d, want 200", code)
	}
}

// TestSlowBodyCut: a client trickling its body is cut off when the read
// timeout passes, not held forever.
func TestSlowBodyCut(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{GitHubSecret: hookSecret}, e.loop, e.store, e.m, nil)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, srv.Handler(), Timeouts{Read: 500 * time.Millisecond}) }()
	t.Cleanup(func() { cancel(); <-served })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nX-GitHub-Event: push\r\n\r\n")
	closed := make(chan time.Duration, 1)
	go func() {
		io.Copy(io.Discard, conn) // until the server closes the connection
		closed <- time.Since(start)
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case took := <-closed:
			t.Logf("figure: a body trickled at 10 bytes a second cut after %s (read timeout 500ms)", took.Round(time.Millisecond))
			if took > 5*time.Second {
				t.Errorf("cut after %s", took)
			}
			return
		case <-tick.C:
			if _, err := conn.Write([]byte("x")); err != nil {
				continue
			}
			if i > 100 {
				t.Fatal("the server still reads the trickled body after 10 s")
			}
		}
	}
}
