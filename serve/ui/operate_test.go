package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlord/landlord/serve/daemon"
)

// An operate token backs a tenant up, previews and applies a rollback to
// the first run's snapshot (which pins it), and unpins it; a read token
// and forms without CSRF can do none of it.
func TestOperateActions(t *testing.T) {
	backups := filepath.Join(t.TempDir(), "backups")
	e := newEnvWith(t, func(c *daemon.Config) {
		f := filepath.Join(c.Source.Repo, "landlord.yaml")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, append(data, "\nbackups:\n  location: "+backups+"\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	e.start(t)
	ctx := context.Background()
	const slug = "cpn-uml"
	base := e.url + "/ui/tenants/" + slug
	op, csrf := e.client(t, operateToken)
	ro, roCSRF := e.client(t, readToken)

	// Refused: a read token, and no CSRF token.
	for _, action := range []string{"backup", "rollback", "unpin"} {
		form := url.Values{"csrf": {roCSRF}, "to": {"1"}, "preview": {"1"}}
		if code, page := post(t, ro, base+"/"+action, form); code != http.StatusForbidden || !strings.Contains(page, "this needs operate") {
			t.Errorf("read token %s: %d, want 403", action, code)
		}
		form.Del("csrf")
		if code, _ := post(t, op, base+"/"+action, form); code != http.StatusForbidden {
			t.Errorf("%s without CSRF: %d, want 403", action, code)
		}
	}
	if list, err := e.store.Backups(ctx, slug, 10); err != nil || len(list) != 0 {
		t.Fatalf("a refused request took a backup: %v %v", list, err)
	}
	if page := get(t, ro, base); strings.Contains(page, "/backup") || strings.Contains(page, "/rollback") {
		t.Errorf("a read token is offered operate forms")
	}

	// Back up now: the tenant's page lists the backup.
	code, page := post(t, op, base+"/backup", url.Values{"csrf": {csrf}, "back": {"/ui/tenants/" + slug}})
	list, err := e.store.Backups(ctx, slug, 10)
	if code != 200 || err != nil || len(list) != 1 || !strings.Contains(page, "backup "+list[0].ID+" of "+slug+" taken") ||
		!strings.Contains(page, "<code>"+list[0].ID+"</code>") {
		t.Fatalf("backup now: %d, backups %v %v\n%.3000s", code, list, err, page)
	}

	// The page shows each table's provenance and the modules' versions.
	for _, want := range []string{`<td><code>members</code></td><td>template/political-party</td><td><code>layers/templates/political-party/membership.hcl:`,
		"election 2.1.0", "political-party 1.4.0"} {
		if !strings.Contains(page, want) {
			t.Errorf("the tenant page lacks %q", want)
		}
	}

	// Rollback: a target that is neither a run nor a revision, refused.
	if code, _ := post(t, op, base+"/rollback", url.Values{"csrf": {csrf}, "to": {"x;DROP"}, "preview": {"1"}}); code != http.StatusBadRequest {
		t.Errorf("rollback to a bad name: %d, want 400", code)
	}
	if code, page := post(t, op, base+"/rollback", url.Values{"csrf": {csrf}, "to": {"no-such-branch"}, "preview": {"1"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("rollback to an unknown revision: %d, want 422\n%.2000s", code, page)
	}
	runs, err := e.store.Runs(ctx, 100)
	if err != nil || len(runs) == 0 {
		t.Fatal(runs, err)
	}
	first := fmt.Sprint(runs[len(runs)-1].ID)
	code, page = post(t, op, base+"/rollback", url.Values{"csrf": {csrf}, "to": {first}, "preview": {"1"}})
	if code != 200 || !strings.Contains(page, "Roll back <a") || !strings.Contains(page, `name="to" value="`+first+`"`) {
		t.Fatalf("rollback preview: %d\n%.3000s", code, page)
	}
	if _, pinned, _ := e.store.GetPin(ctx, slug); pinned {
		t.Fatalf("the rollback preview pinned %s", slug)
	}
	code, page = post(t, op, base+"/rollback", url.Values{"csrf": {csrf}, "to": {first}, "back": {"/ui/tenants/" + slug}})
	pin, pinned, err := e.store.GetPin(ctx, slug)
	if code != 200 || err != nil || !pinned || !strings.Contains(page, "rollback of "+slug+": run ") || !strings.Contains(page, `id="unpin"`) {
		t.Fatalf("rollback: %d, pinned %v %+v %v\n%.3000s", code, pinned, pin, err, page)
	}
	last, _ := e.store.Runs(ctx, 1)
	if last[0].Trigger != "rollback" || last[0].Actor != "oncall" {
		t.Errorf("the rollback's run: %+v", last[0])
	}

	// Unpin: the pin is gone, and a second unpin says so.
	code, page = post(t, op, base+"/unpin", url.Values{"csrf": {csrf}, "back": {"/ui/tenants/" + slug}})
	if _, pinned, _ := e.store.GetPin(ctx, slug); code != 200 || pinned || !strings.Contains(page, slug+" unpinned") || strings.Contains(page, `id="unpin"`) {
		t.Errorf("unpin: %d, still pinned %v\n%.2000s", code, pinned, page)
	}
	if code, _ := post(t, op, base+"/unpin", url.Values{"csrf": {csrf}}); code != http.StatusConflict {
		t.Errorf("unpin of a tenant not pinned: %d, want 409", code)
	}
}
