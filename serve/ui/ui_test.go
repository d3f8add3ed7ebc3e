package ui_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/serve/api"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/serve/metrics"
	"github.com/landlord/landlord/serve/ui"
	"github.com/landlord/landlord/state"
)

const (
	readToken    = "read-token-0123456789"
	operateToken = "operate-token-0123456789"
	// drifted is the tenant whose index is dropped by hand.
	drifted = "nepali-congress"
)

// env is the dashboard and the API on one listener over a real loop: the
// example repository on SQLite tenant files and an SQLite landlord
// database.
type env struct {
	url     string
	dir     string
	store   *state.Store
	loop    *daemon.Loop
	handler http.Handler
	ui      *ui.Server
}

func newEnv(t testing.TB) *env { return newEnvWith(t, nil) }

// newEnvWith is newEnv with the loop's configuration changed by configure.
func newEnvWith(t testing.TB, configure func(*daemon.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := state.Open(context.Background(), filepath.Join(dir, "landlord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := metrics.New(metrics.Sources{Tenants: st.Tenants})
	cfg := daemon.Config{
		Source:       desired.Source{Repo: testenv.CopyExample(t, "")},
		Servers:      map[string]string{"primary": "sqlite://" + filepath.Join(dir, "tenants")},
		PollInterval: time.Hour, Schedule: "@every 1h", DriftSchedule: "@every 1h", Replica: "test",
	}
	if configure != nil {
		configure(&cfg)
	}
	loop, err := daemon.New(cfg, st, nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens := &api.Tokens{}
	if err := tokens.Add("viewer:"+readToken, api.ScopeRead, "read"); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Add("oncall:"+operateToken, api.ScopeOperate, "operate"); err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Options{Tokens: tokens}, loop, st, m, nil)
	mux := http.NewServeMux()
	u := ui.New(tokens, srv, loop, st, nil)
	mux.Handle("/ui/", u.Handler())
	mux.Handle("/", srv.Handler())
	return &env{dir: dir, store: st, loop: loop, handler: mux, ui: u}
}

// start serves the handler and runs the loop until its first reconcile
// is done.
func (e *env) start(t testing.TB) {
	t.Helper()
	hs := httptest.NewServer(e.handler)
	t.Cleanup(hs.Close)
	e.url = hs.URL
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { e.loop.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	deadline := time.Now().Add(time.Minute)
	for {
		runs, err := e.store.Runs(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if e.loop.Ready() == nil && len(runs) == 1 && runs[0].FinishedAt != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the loop did not get ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// drift drops an index of the drifted tenant by hand, lets a reconcile
// record it as drift, and records a manual snapshot of the drifted schema
// so that the tenant has two snapshots to compare.
func (e *env) drift(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	ten, ok, err := e.store.Tenant(ctx, drifted)
	if err != nil || !ok {
		t.Fatalf("tenant %s: %v %v", drifted, ok, err)
	}
	files, _ := filepath.Glob(filepath.Join(e.dir, "tenants", ten.Database+"*"))
	if len(files) == 0 {
		t.Fatalf("no SQLite file for %s under %s", ten.Database, filepath.Join(e.dir, "tenants"))
	}
	// The loop may be reading the tenant's file (a probe, a drift
	// check): wait for its lock as landlord's own connections do.
	db, err := sql.Open("sqlite", "file:"+files[0]+"?_pragma=busy_timeout(15000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP INDEX posts_author_idx"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := e.loop.Reconcile(ctx, daemon.Request{Tenants: []string{drifted}, Trigger: "api", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	open, err := e.store.OpenDrift(ctx, drifted)
	if err != nil || len(open) == 0 {
		t.Fatalf("open drift of %s after dropping an index: %+v %v", drifted, open, err)
	}
	last, ok, err := e.store.LatestSnapshot(ctx, drifted)
	if err != nil || !ok {
		t.Fatalf("latest snapshot: %v %v", ok, err)
	}
	hcl := regexp.MustCompile(`(?s)\n\s*index "posts_author_idx" \{.*?\n\s*\}`).ReplaceAllString(last.HCL, "")
	if hcl == last.HCL {
		t.Fatalf("the snapshot of %s has no posts_author_idx:\n%s", drifted, last.HCL)
	}
	if _, err := e.store.AddSnapshot(ctx, state.Snapshot{Tenant: drifted, Revision: last.Revision, Kind: state.SnapshotManual,
		Engine: last.Engine, Hash: "drifted", HCL: hcl}); err != nil {
		t.Fatal(err)
	}
}

// client is a browser without JavaScript: a cookie jar, logged in with
// token; it returns the session's CSRF token, read from a form.
func (e *env) client(t testing.TB, token string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body := get(t, c, e.url+"/ui/login")
	csrf := field(t, body, "csrf")
	res, err := c.PostForm(e.url+"/ui/login", url.Values{"csrf": {csrf}, "token": {token}, "next": {"/ui/fleet"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "<h1>Fleet</h1>") {
		t.Fatalf("log in: %d\n%s", res.StatusCode, page)
	}
	return c, field(t, string(page), "csrf")
}

func get(t testing.TB, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", u, res.StatusCode, b)
	}
	return string(b)
}

func field(t testing.TB, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no field %s in\n%s", name, page)
	}
	return m[1]
}

// post posts form and returns the status and page.
func post(t testing.TB, c *http.Client, u string, form url.Values) (int, string) {
	t.Helper()
	res, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Forms without the session's CSRF token, and read tokens asking for a
// repair, are refused, and nothing is repaired.
func TestOperateRefused(t *testing.T) {
	e := newEnv(t)
	e.start(t)
	e.drift(t)
	repair := e.url + "/ui/tenants/" + drifted + "/repair"
	op, csrf := e.client(t, operateToken)
	for _, c := range []struct {
		name string
		form url.Values
	}{
		{"no csrf", url.Values{"back": {"/ui/drift"}}},
		{"wrong csrf", url.Values{"csrf": {"x" + csrf}}},
	} {
		if code, page := post(t, op, repair, c.form); code != http.StatusForbidden || !strings.Contains(page, "CSRF") {
			t.Errorf("%s: %d, want 403 naming CSRF\n%s", c.name, code, page)
		}
	}
	ro, roCSRF := e.client(t, readToken)
	if code, page := post(t, ro, repair, url.Values{"csrf": {roCSRF}}); code != http.StatusForbidden || !strings.Contains(page, "this needs operate") {
		t.Errorf("read token repairs: %d, want 403\n%s", code, page)
	}
	if page := get(t, ro, e.url+"/ui/drift"); strings.Contains(page, "/repair") {
		t.Errorf("the drift page offers a read token a repair form")
	}
	// Another session's CSRF token is not this one's.
	if code, _ := post(t, ro, repair, url.Values{"csrf": {csrf}}); code != http.StatusForbidden {
		t.Errorf("read session with the operate session's CSRF token: %d, want 403", code)
	}
	// No session: refused; the login form wants its own CSRF token.
	if code, _ := post(t, http.DefaultClient, repair, url.Values{"csrf": {csrf}}); code != http.StatusUnauthorized {
		t.Errorf("repair without a session: %d, want 401", code)
	}
	if code, _ := post(t, http.DefaultClient, e.url+"/ui/login", url.Values{"token": {operateToken}}); code != http.StatusForbidden {
		t.Errorf("login without CSRF: %d, want 403", code)
	}
	open, err := e.store.OpenDrift(context.Background(), drifted)
	if err != nil || len(open) == 0 {
		t.Errorf("the drift was repaired by a refused request: %+v %v", open, err)
	}
	runs, _ := e.store.Runs(context.Background(), 10)
	for _, r := range runs {
		if r.Trigger == "repair" {
			t.Errorf("a refused request started run %d", r.ID)
		}
	}
	// Reconcile: operate only; preview first, then a run as the token.
	reconcile := e.url + "/ui/tenants/cpn-uml/reconcile"
	if code, _ := post(t, ro, reconcile, url.Values{"csrf": {roCSRF}}); code != http.StatusForbidden {
		t.Errorf("read token reconciles: %d, want 403", code)
	}
	if code, _ := post(t, op, reconcile, url.Values{}); code != http.StatusForbidden {
		t.Errorf("reconcile without CSRF: %d, want 403", code)
	}
	if code, page := post(t, op, reconcile, url.Values{"csrf": {csrf}, "preview": {"1"}}); code != 200 || !strings.Contains(page, "Reconcile <a") ||
		!strings.Contains(page, "Nothing to do") {
		t.Errorf("reconcile preview of a synced tenant: %d\n%s", code, page)
	}
	if code, page := post(t, op, reconcile, url.Values{"csrf": {csrf}, "back": {"/ui/tenants/cpn-uml"}}); code != 200 ||
		!strings.Contains(page, "reconcile of cpn-uml: run ") {
		t.Errorf("reconcile: %d\n%s", code, page)
	}
	runs, _ = e.store.Runs(context.Background(), 1)
	if len(runs) != 1 || runs[0].Trigger != "api" || runs[0].Actor != "oncall" {
		t.Errorf("the reconcile's run: %+v, want trigger api by oncall", runs)
	}

	// A logged-out session is gone.
	if code, _ := post(t, ro, e.url+"/ui/logout", url.Values{"csrf": {roCSRF}}); code != 200 {
		t.Errorf("log out: %d", code)
	}
	res, err := ro.Get(e.url + "/ui/fleet")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/ui/login" {
		t.Errorf("after logging out /ui/fleet ends at %s, want the login page", res.Request.URL.Path)
	}
}

// pageBudget bounds the HTML of a page; the assets come once, cached.
const pageBudget = 64 << 10

// Every page is HTML within its budget, loads nothing from elsewhere,
// and carries the headers that keep it from being framed or cached; the
// embedded assets are served.
func TestPagesWeightAndHeaders(t *testing.T) {
	e := newEnv(t)
	e.start(t)
	e.drift(t)
	c, _ := e.client(t, readToken)
	snaps, err := e.store.Snapshots(context.Background(), drifted)
	if err != nil || len(snaps) < 2 {
		t.Fatalf("snapshots %v %v", snaps, err)
	}
	runs, _ := e.store.Runs(context.Background(), 1)
	external := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`)
	total := 0
	for _, p := range []string{"/ui/login", "/ui/fleet", "/ui/tenants/" + drifted,
		fmt.Sprintf("/ui/tenants/%s/diff?a=%d&b=%d", drifted, snaps[1].ID, snaps[0].ID),
		"/ui/runs", fmt.Sprintf("/ui/runs/%d", runs[0].ID), "/ui/drift", "/ui/new-tenant",
		"/ui/assets/ui.css", "/ui/assets/newtenant.js", "/ui/assets/htmx-" + ui.HTMX + ".min.js"} {
		res, err := c.Get(e.url + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		total += len(body)
		t.Logf("%-50s %6.1f KB", p, float64(len(body))/1024)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", p, res.StatusCode)
			continue
		}
		if strings.HasPrefix(p, "/ui/assets/") {
			if len(body) == 0 || res.Header.Get("Cache-Control") == "" {
				t.Errorf("%s: %d bytes, Cache-Control %q", p, len(body), res.Header.Get("Cache-Control"))
			}
			continue
		}
		if len(body) > pageBudget {
			t.Errorf("%s: %d bytes, over the budget of %d", p, len(body), pageBudget)
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || res.Header.Get("Cache-Control") != "no-store" ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") || res.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", p, res.Header)
		}
		if m := external.FindString(string(body)); m != "" {
			t.Errorf("%s loads from elsewhere: %s", p, m)
		}
	}
	t.Logf("total %.1f KB", float64(total)/1024)
}

// The runs page filters by trigger, actor and outcome.
func TestRunsFilter(t *testing.T) {
	e := newEnv(t)
	e.start(t)
	e.drift(t) // a run by actor "test", trigger "api"
	c, _ := e.client(t, readToken)
	all := get(t, c, e.url+"/ui/runs")
	byTest := get(t, c, e.url+"/ui/runs?actor=test")
	none := get(t, c, e.url+"/ui/runs?trigger=nothing-like-this")
	rows := func(page string) int { return strings.Count(page, `<tr><td><a href="/ui/runs/`) }
	if rows(all) < 2 || rows(byTest) != 1 || rows(none) != 0 || !strings.Contains(none, "No run matches.") {
		t.Errorf("runs: %d in all, %d by actor test (want 1), %d for an unknown trigger (want 0)", rows(all), rows(byTest), rows(none))
	}
	if !strings.Contains(byTest, `<option selected>test</option>`) {
		t.Errorf("the actor filter does not show its choice")
	}
}
