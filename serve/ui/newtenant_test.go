package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/serve/ui"
)

// git runs git in dir and returns its output.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// bareRemote is a bare git repository (a remote) holding the example
// repository on branch main.
func bareRemote(t testing.TB) string {
	t.Helper()
	return testenv.NewGit(t, testenv.CopyExample(t, "")).Bare
}

// newPushEnv follows a bare remote and pushes proposals to it.
func newPushEnv(t testing.TB, push bool) (*env, string) {
	bare := bareRemote(t)
	cache := t.TempDir()
	e := newEnvWith(t, func(c *daemon.Config) {
		c.Source = desired.Source{Repo: "file://" + bare, CacheDir: cache}
		if push {
			c.Push = &desired.Auth{}
		}
	})
	return e, bare
}

// An operate token proposes a tenant through the form: a missing module
// is named at its line, the fixed manifest is planned as a dry run, and
// the push puts it on branch landlord/tenant-<slug> of the remote, main
// untouched.
func TestBrowserNewTenant(t *testing.T) {
	ctx := browser(t)
	dir := shots(t)
	e, bare := newPushEnv(t, true)
	e.start(t)
	mainBefore := git(t, bare, "rev-parse", "main")

	var form, problems, plan, pushed, needs string
	var enforced bool
	if err := chromedp.Do(ctx,
		login(e.url, operateToken),
		chromedp.Click(chromedp.CSS(`a[href="/ui/new-tenant"]`)),
		chromedp.WaitVisible(chromedp.ID(`slug`)),
		screenshot(t, dir, "13-new-tenant"),
		into(chromedp.OuterHTML(chromedp.CSS(`main`)), &form),
		// An existing tenant's slug is a problem; nothing is planned.
		chromedp.SendKeys(chromedp.ID(`slug`), "cpn-uml"),
		chromedp.SendKeys(chromedp.ID(`name`), `Janakpur "Forum": tests`),
		chromedp.Click(chromedp.CSS(`input[name="template"][value="political-party"]`)),
		chromedp.Click(chromedp.ID(`plan`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.problems`)),
		screenshot(t, dir, "14-new-tenant-problems"),
		into(chromedp.OuterHTML(chromedp.CSS(`#proposal`)), &problems),
		chromedp.SetValue(chromedp.ID(`slug`), "janakpur-forum"),
		// Checking volunteers checks election, which it requires, and
		// makes it required.
		chromedp.Click(chromedp.CSS(`input[name="modules"][value="volunteers"]`)),
		into(chromedp.Evaluate[bool](`(b => b.checked && b.required)(document.querySelector('input[name="modules"][value="election"]'))`), &enforced),
		into(chromedp.Text(chromedp.ID(`needs-election`)), &needs),
		chromedp.Click(chromedp.ID(`plan`)),
		chromedp.WaitVisible(chromedp.ID(`plan-table`)),
		screenshot(t, dir, "15-new-tenant-plan"),
		into(chromedp.OuterHTML(chromedp.CSS(`#proposal`)), &plan),
		chromedp.Click(chromedp.ID(`push`)),
		chromedp.WaitVisible(chromedp.ID(`pushed`)),
		screenshot(t, dir, "16-new-tenant-pushed"),
		into(chromedp.Text(chromedp.ID(`pushed`)), &pushed),
	); err != nil {
		t.Fatalf("new tenant: %v", err)
	}
	// The operate section of a tenant: a rollback previewed by keyboard
	// (type the run, press Enter), changing nothing.
	runs, err := e.store.Runs(context.Background(), 100)
	if err != nil || len(runs) == 0 {
		t.Fatal(runs, err)
	}
	var rollback string
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.url+"/ui/tenants/cpn-uml"),
		chromedp.WaitVisible(chromedp.ID(`rollback-to`)),
		screenshot(t, dir, "17-tenant-operate"),
		chromedp.Focus(chromedp.ID(`rollback-to`)),
		chromedp.SendKeys(chromedp.ID(`rollback-to`), fmt.Sprint(runs[len(runs)-1].ID)+kb.Enter),
		chromedp.WaitVisible(chromedp.ID(`rollback-cpn-uml`)),
		screenshot(t, dir, "18-rollback-preview"),
		into(chromedp.Text(chromedp.CSS(`h1`)), &rollback),
	); err != nil {
		t.Fatalf("rollback preview: %v", err)
	}
	if !strings.Contains(rollback, "Roll back cpn-uml to") {
		t.Errorf("rollback preview heading %q", rollback)
	}
	if _, pinned, _ := e.store.GetPin(context.Background(), "cpn-uml"); pinned {
		t.Errorf("the rollback preview pinned cpn-uml")
	}

	// Every control of the operate pages has a label, and on a phone the
	// pages fit the screen's width.
	for i, p := range []string{"/ui/new-tenant", "/ui/tenants/cpn-uml", "/ui/fleet", "/ui/runs"} {
		var unlabelled string
		var overflow bool
		if err := chromedp.Do(ctx,
			chromedp.Navigate(e.url+p),
			chromedp.WaitVisible(chromedp.CSS(`h1`)),
			into(chromedp.Evaluate[string](`[...document.querySelectorAll("input:not([type=hidden]),select,button")].filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim()).map(e => e.outerHTML).join("\n")`), &unlabelled),
			chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
			chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(`h1`)),
			screenshot(t, dir, fmt.Sprintf("%02d-phone-%s", 19+i, strings.ReplaceAll(strings.TrimPrefix(p, "/ui/"), "/", "-"))),
			into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth > 390`), &overflow),
			chromedp.EmulateViewport(1280, 900),
		); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if unlabelled != "" {
			t.Errorf("%s: controls without a label:\n%s", p, unlabelled)
		}
		if overflow {
			t.Errorf("%s: on a 390 px wide phone the page is wider than the screen", p)
		}
	}
	for _, c := range []struct{ what, html, want string }{
		{"form", form, `value="political-party"`},
		{"form", form, `value="volunteers"`},
		{"form", form, `<label for="slug">`},
		{"problems", problems, `tenant cpn-uml exists in the revision in force`},
		{"requirement", needs, `Required by module volunteers`},
		{"plan", plan, `CREATE TABLE`},
		{"plan", plan, `module/election`},
		{"plan", plan, `slug: janakpur-forum`},
		{"pushed", pushed, `landlord/tenant-janakpur-forum`},
	} {
		if !strings.Contains(c.html, c.want) {
			t.Errorf("%s lacks %q:\n%.3000s", c.what, c.want, c.html)
		}
	}
	if strings.Contains(problems, "plan-table") {
		t.Errorf("a manifest with problems was planned")
	}
	if !enforced {
		t.Errorf("checking volunteers did not check and require election")
	}
	manifest := git(t, bare, "show", "landlord/tenant-janakpur-forum:tenants/janakpur-forum.yaml")
	for _, want := range []string{"slug: janakpur-forum", `name: 'Janakpur "Forum": tests'`, "template: political-party", "modules: [election, volunteers]"} {
		if !strings.Contains(manifest, want) {
			t.Errorf("the pushed manifest lacks %q:\n%s", want, manifest)
		}
	}
	if after := git(t, bare, "rev-parse", "main"); after != mainBefore {
		t.Errorf("main moved from %s to %s: a proposal goes on its own branch", mainBefore, after)
	}
	if parent := git(t, bare, "rev-parse", "landlord/tenant-janakpur-forum~1"); parent != mainBefore {
		t.Errorf("the branch's parent is %s, want main %s", parent, mainBefore)
	}

	// Never an overwrite: the branch exists now, and an existing tenant's
	// slug is a problem.
	op, csrf := e.client(t, operateToken)
	form1 := url.Values{"csrf": {csrf}, "slug": {"janakpur-forum"}, "template": {"political-party"}, "modules": {"election"}, "action": {"push"}}
	if code, page := post(t, op, e.url+"/ui/new-tenant", form1); code != http.StatusUnprocessableEntity || !strings.Contains(page, "branch exists") {
		t.Errorf("second push of a branch: %d\n%.2000s", code, page)
	}
	// The server checks requirements whatever the browser sent.
	form1.Set("slug", "birgunj-forum")
	form1.Set("action", "plan")
	form1["modules"] = []string{"volunteers"}
	if code, page := post(t, op, e.url+"/ui/new-tenant", form1); code != http.StatusUnprocessableEntity ||
		!strings.Contains(page, `tenants/birgunj-forum.yaml:3:11: modules[0]: module &#34;volunteers&#34; requires module &#34;election&#34;`) {
		t.Errorf("a missing required module: %d\n%.2000s", code, page)
	}
	form1.Set("slug", "cpn-uml")
	if code, page := post(t, op, e.url+"/ui/new-tenant", form1); code != http.StatusUnprocessableEntity || !strings.Contains(page, "tenant cpn-uml exists") {
		t.Errorf("an existing slug: %d\n%.2000s", code, page)
	}
	form1.Set("slug", "../landlord")
	if code, page := post(t, op, e.url+"/ui/new-tenant", form1); code != http.StatusUnprocessableEntity || !strings.Contains(page, "invalid slug") {
		t.Errorf("a slug with a path: %d\n%.2000s", code, page)
	}
	// A read token plans, is offered no push, and cannot push; a form
	// without CSRF is refused.
	ro, roCSRF := e.client(t, readToken)
	page := get(t, ro, e.url+"/ui/new-tenant")
	if strings.Contains(page, `value="push"`) {
		t.Errorf("a read token is offered the push")
	}
	form2 := url.Values{"csrf": {roCSRF}, "slug": {"read-only-party"}, "template": {"political-party"}, "action": {"push"}}
	if code, _ := post(t, ro, e.url+"/ui/new-tenant", form2); code != http.StatusForbidden {
		t.Errorf("read token pushes: %d, want 403", code)
	}
	form2.Del("csrf")
	form2.Set("action", "plan")
	if code, _ := post(t, op, e.url+"/ui/new-tenant", form2); code != http.StatusForbidden {
		t.Errorf("a form without CSRF: %d, want 403", code)
	}
	if heads := git(t, bare, "for-each-ref", "--format=%(refname)", "refs/heads"); strings.Count(heads, "\n") != 2 {
		t.Errorf("the remote's branches: %s, want main and the one proposal", heads)
	}
}

// Without push credentials the form plans and shows the manifest to copy.
func TestNewTenantWithoutPush(t *testing.T) {
	e, bare := newPushEnv(t, false)
	e.start(t)
	op, csrf := e.client(t, operateToken)
	page := get(t, op, e.url+"/ui/new-tenant")
	if strings.Contains(page, `value="push"`) || !strings.Contains(page, "copy the manifest") {
		t.Errorf("without push credentials the form offers a push:\n%.2000s", page)
	}
	form := url.Values{"csrf": {csrf}, "slug": {"madhesh-party"}, "template": {"political-party"}, "modules": {"social"}, "action": {"plan"}}
	code, page := post(t, op, e.url+"/ui/new-tenant", form)
	if code != 200 || !strings.Contains(page, `id="manifest"`) || !strings.Contains(page, "slug: madhesh-party") || !strings.Contains(page, "CREATE TABLE") {
		t.Errorf("plan: %d\n%.3000s", code, page)
	}
	form.Set("action", "push")
	if code, page := post(t, op, e.url+"/ui/new-tenant", form); code != http.StatusConflict || !strings.Contains(page, "no push credentials") {
		t.Errorf("push without credentials: %d\n%.2000s", code, page)
	}
	if heads := git(t, bare, "for-each-ref", "--format=%(refname)", "refs/heads"); strings.TrimSpace(heads) != "refs/heads/main" {
		t.Errorf("the remote's branches: %s", heads)
	}
}

// TestNewTenantChecksBounded: checks and pushes fetch the repository and
// plan against a server, and read tokens may ask for them, so only
// maxProposals run at once; the next is refused at once with 429.
func TestNewTenantChecksBounded(t *testing.T) {
	e, _ := newPushEnv(t, false)
	e.start(t)
	rd, csrf := e.client(t, readToken)
	release := ui.HoldProposals(e.ui)
	form := url.Values{"csrf": {csrf}, "slug": {"madhesh-party"}, "template": {"political-party"}, "modules": {"social"}, "action": {"plan"}}
	if code, page := post(t, rd, e.url+"/ui/new-tenant", form); code != http.StatusTooManyRequests || !strings.Contains(page, "try again") {
		t.Errorf("a check beyond the bound: %d\n%.2000s", code, page)
	}
	release()
	if code, page := post(t, rd, e.url+"/ui/new-tenant", form); code != http.StatusOK || !strings.Contains(page, "slug: madhesh-party") {
		t.Errorf("a check within the bound: %d\n%.2000s", code, page)
	}
}
