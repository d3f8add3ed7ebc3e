package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/landlord/landlord/state"
)

// session logs in through the handler and returns the session cookie.
func (e *env) session(t testing.TB, token string) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/login", nil))
	res := rec.Result()
	var loginCookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "landlord_login" {
			loginCookie = c
		}
	}
	if loginCookie == nil {
		t.Fatal("the login page set no cookie")
	}
	form := url.Values{"csrf": {loginCookie.Value}, "token": {token}}
	req := httptest.NewRequest("POST", "/ui/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(loginCookie)
	rec = httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "landlord_session" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("log in: %d %s", rec.Code, rec.Body)
	return nil
}

// BenchmarkFleet10000 renders the fleet page with 10,000 tenants in the
// landlord database (SQLite), one in twenty drifted: server time per
// render (ms/op) and the page's weight.
func BenchmarkFleet10000(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	syncs := []state.Sync{state.Synced, state.Synced, state.Synced, state.OutOfSync, state.Unknown}
	healths := []state.Health{state.Healthy, state.Healthy, state.Healthy, state.Degraded, state.Progressing}
	for i := range 10000 {
		slug := fmt.Sprintf("tenant-%05d", i)
		if err := e.store.SaveTenant(ctx, state.Tenant{Slug: slug, Name: "Tenant " + slug, Template: "political-party",
			Modules: []string{"social", "election"}, Server: fmt.Sprintf("db-%d", i%4), Database: "t_" + strings.ReplaceAll(slug, "-", "_"),
			Lifecycle: "active", Sync: syncs[i%len(syncs)], Health: healths[i%len(healths)], LastAppliedRevision: "0123456789abcdef",
			DesiredHash: "h1", LiveHash: "h1"}); err != nil {
			b.Fatal(err)
		}
		if i%20 == 0 {
			if _, err := e.store.RecordDrift(ctx, slug, []state.Drift{{Kind: "index", Table: "posts", Name: "posts_author_idx",
				Change: "removed", Severity: state.SeverityMedium}}, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	cookie := e.session(b, readToken)
	for _, c := range []struct{ name, query string }{
		{"first page", ""},
		{"filtered", "?q=tenant-09&sync=Synced"},
		{"sorted by drift, page 100", "?sort=drift&page=100"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				req := httptest.NewRequest("GET", "/ui/fleet"+c.query, nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				e.handler.ServeHTTP(rec, req)
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), "of 10000 tenants") {
					b.Fatalf("fleet: %d\n%.2000s", rec.Code, rec.Body)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/render")
			b.ReportMetric(float64(size)/1024, "KB/page")
		})
	}
}

// The fleet's table pages, filters and sorts on the server.
func TestFleetPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 120 {
		slug := fmt.Sprintf("t-%03d", i)
		sync := state.Synced
		if i%3 == 0 {
			sync = state.OutOfSync
		}
		if err := e.store.SaveTenant(ctx, state.Tenant{Slug: slug, Name: "Tenant " + slug, Server: fmt.Sprintf("db-%d", i%2),
			Database: "d" + slug[2:], Lifecycle: "active", Sync: sync, Health: state.Healthy}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.RecordDrift(ctx, "t-077", []state.Drift{{Kind: "index", Table: "posts", Name: "i", Change: "removed",
		Severity: state.SeverityHigh}}, 0); err != nil {
		t.Fatal(err)
	}
	cookie := e.session(t, readToken)
	fleet := func(query string) string {
		req := httptest.NewRequest("GET", "/ui/fleet"+query, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("fleet%s: %d", query, rec.Code)
		}
		return rec.Body.String()
	}
	slugs := func(page string) []string {
		var out []string
		for _, part := range strings.Split(page, `<tr><td><a href="/ui/tenants/`)[1:] {
			out = append(out, part[:strings.Index(part, `"`)])
		}
		return out
	}
	for _, c := range []struct {
		query, meta string
		rows        int
		first, last string
	}{
		{"", "120 of 120 tenants · page 1 of 3", 50, "t-000", "t-049"},
		{"?page=3", "120 of 120 tenants · page 3 of 3", 20, "t-100", "t-119"},
		{"?page=99", "page 3 of 3", 20, "t-100", "t-119"},
		{"?sync=OutOfSync", "40 of 120 tenants · page 1 of 1", 40, "t-000", "t-117"},
		{"?q=t-07&server=db-1", "5 of 120 tenants", 5, "t-071", "t-079"},
		{"?sort=drift", "page 1 of 3", 50, "t-077", "t-048"},
		{"?q=nobody", "0 of 120 tenants · page 1 of 1", 0, "", ""},
	} {
		page := fleet(c.query)
		got := slugs(page)
		if !strings.Contains(page, c.meta) || len(got) != c.rows || (c.rows > 0 && (got[0] != c.first || got[len(got)-1] != c.last)) {
			t.Errorf("fleet%s: %d rows %v, want %d from %s to %s and %q", c.query, len(got), got, c.rows, c.first, c.last, c.meta)
		}
	}
	// A rejected revision the loop no longer holds (a later one was
	// accepted) still shows, from the landlord database.
	if err := e.store.RecordRevision(ctx, state.Revision{Revision: "badc0ffee1234567", Status: state.RevisionRejected, Problems: 2}); err != nil {
		t.Fatal(err)
	}
	if page := fleet(""); !strings.Contains(page, "Last rejected: <code>badc0ffee123</code> (2 problems)") {
		t.Errorf("the fleet page does not show the last rejected revision")
	}
	// htmx asks for the table only.
	req := httptest.NewRequest("GET", "/ui/fleet?q=t-00", nil)
	req.AddCookie(cookie)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "tenants")
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	if body := rec.Body.String(); !strings.HasPrefix(body, `<div id="tenants">`) || strings.Contains(body, "<html") || len(slugs(body)) != 10 {
		t.Errorf("htmx fragment: %.300s", body)
	}
}
