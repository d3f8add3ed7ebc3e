package ui_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is Debian's chromium package, which .ci/run installs.
const chromium = "/usr/bin/chromium"

// browser starts a headless Chromium for the test; without one the test
// fails under CI and is skipped, saying so, elsewhere.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium
	if p := os.Getenv("LANDLORD_TEST_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required by the browser tests: %v (apt-get install chromium)", err)
		}
		t.Skipf("no chromium at %s: apt-get install chromium (CI fails here)", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// The browser lives as long as ctx; each walk gets a deadline.
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// shots is where the screenshots go: the test's temp dir, or
// LANDLORD_UI_SCREENSHOTS to keep them.
func shots(t *testing.T) string {
	if d := os.Getenv("LANDLORD_UI_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// into runs a and keeps its value in dst.
func into[T any](a chromedp.Action[T], dst *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) (err error) {
		*dst, err = a(ctx, t)
		return err
	})
}

// discard runs a and drops its value.
func discard[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := a(ctx, t)
		return err
	})
}

func screenshot(t *testing.T, dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		img, err := chromedp.FullScreenshot(100)(ctx, target)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, name+".png")
		t.Logf("screenshot %s (%d KB)", path, len(img)/1024)
		return os.WriteFile(path, img, 0o644)
	})
}

func login(url, token string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(url+"/ui/"),
		chromedp.WaitVisible(chromedp.ID(`token`)),
		chromedp.SendKeys(chromedp.ID(`token`), token),
		chromedp.Submit(chromedp.ID(`token`)),
		chromedp.WaitVisible(chromedp.CSS(`table.tenants`)),
	)
}

// A read token walks fleet → tenant → snapshot diff → drift; an operate
// token repairs the dropped index from the drift page and the tenant is
// Synced again.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	dir := shots(t)
	e := newEnv(t)
	e.start(t)
	e.drift(t)

	var fleet, tenant, diff, drift, loginPage string
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.url+"/ui/fleet"),
		chromedp.WaitVisible(chromedp.ID(`token`)),
		screenshot(t, dir, "01-login"),
		into(chromedp.OuterHTML(chromedp.CSS(`body`)), &loginPage),
		login(e.url, readToken),
		screenshot(t, dir, "02-fleet"),
		into(chromedp.OuterHTML(chromedp.CSS(`main`)), &fleet),
		// The filter narrows the table through htmx, without a reload.
		chromedp.SendKeys(chromedp.ID(`q`), "congress"),
		chromedp.WaitNotPresent(chromedp.CSS(`a[href="/ui/tenants/cpn-uml"]`)),
		// Settled: the table is the filtered one and the URL says so.
		discard(chromedp.Poll[bool](`document.querySelector("#tenants .meta").textContent.startsWith("1 of 4") && location.search.includes("q=congress")`)),
		screenshot(t, dir, "03-fleet-filtered"),
		chromedp.Click(chromedp.CSS(`a[href="/ui/tenants/`+drifted+`"]`)),
		chromedp.WaitVisible(chromedp.ID(`compare`)),
		screenshot(t, dir, "04-tenant"),
		into(chromedp.OuterHTML(chromedp.CSS(`main`)), &tenant),
		chromedp.Click(chromedp.ID(`compare`)),
		chromedp.WaitVisible(chromedp.ID(`diff`)),
		screenshot(t, dir, "05-snapshot-diff"),
		into(chromedp.OuterHTML(chromedp.CSS(`main`)), &diff),
		chromedp.Click(chromedp.CSS(`a[href="/ui/drift"]`)),
		chromedp.WaitVisible(chromedp.ID(`drift-`+drifted)),
		screenshot(t, dir, "06-drift-read"),
		into(chromedp.OuterHTML(chromedp.CSS(`main`)), &drift),
	); err != nil {
		t.Fatalf("read walk: %v", err)
	}
	for _, c := range []struct{ page, html, want string }{
		{"login", loginPage, `type="password"`},
		{"fleet", fleet, `href="/ui/tenants/cpn-uml"`},
		{"fleet", fleet, `<h2>Servers</h2>`},
		{"fleet", fleet, `<rect `},
		{"tenant", tenant, "posts_author_idx"},
		{"tenant", tenant, "OutOfSync"},
		{"diff", diff, `class="del"`},
		{"diff", diff, "posts_author_idx"},
		{"drift", drift, "posts_author_idx"},
	} {
		if !strings.Contains(c.html, c.want) {
			t.Errorf("%s page lacks %q", c.page, c.want)
		}
	}
	for _, page := range []string{tenant, drift} {
		if strings.Contains(page, "/repair") {
			t.Errorf("a read token is offered a repair form")
		}
	}

	var preview string
	if err := chromedp.Do(ctx,
		chromedp.Submit(chromedp.CSS(`form.who`)),
		chromedp.WaitVisible(chromedp.ID(`token`)),
		login(e.url, operateToken),
		chromedp.Navigate(e.url+"/ui/drift"),
		chromedp.WaitVisible(chromedp.ID(`repair-`+drifted)),
		screenshot(t, dir, "07-drift-operate"),
		chromedp.Click(chromedp.ID(`preview-`+drifted)),
		chromedp.WaitVisible(chromedp.ID(`preview`)),
		screenshot(t, dir, "08-repair-preview"),
		into(chromedp.OuterHTML(chromedp.CSS(`main`)), &preview),
	); err != nil {
		t.Fatalf("repair preview: %v", err)
	}
	if !strings.Contains(preview, "CREATE INDEX") || !strings.Contains(preview, "posts_author_idx") {
		t.Errorf("the repair preview lacks CREATE INDEX posts_author_idx:\n%s", preview)
	}
	if open, err := e.store.OpenDrift(context.Background(), drifted); err != nil || len(open) == 0 {
		t.Errorf("the preview repaired the drift: %+v %v", open, err)
	}

	var after, flash string
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID(`repair-`+drifted)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
		into(chromedp.Text(chromedp.CSS(`.flash`)), &flash),
		screenshot(t, dir, "09-tenant-repaired"),
		into(chromedp.Text(chromedp.CSS(`h1`)), &after),
		chromedp.Click(chromedp.CSS(`a[href="/ui/runs"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table`)),
		screenshot(t, dir, "10-runs"),
		chromedp.Click(chromedp.CSS(`tbody a`)),
		chromedp.WaitVisible(chromedp.CSS(`table.sql`)),
		screenshot(t, dir, "11-run"),
	); err != nil {
		t.Fatalf("repair: %v", err)
	}
	if !strings.Contains(after, "Synced") || strings.Contains(after, "OutOfSync") || !strings.Contains(flash, "repair of "+drifted) {
		t.Errorf("after the repair: heading %q, flash %q; want Synced", after, flash)
	}
	// On a phone the fleet fits the screen's width.
	var overflow bool
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(e.url+"/ui/fleet"),
		chromedp.WaitVisible(chromedp.CSS(`table.tenants`)),
		screenshot(t, dir, "12-fleet-phone"),
		into(chromedp.Evaluate[bool](`document.documentElement.scrollWidth > 390`), &overflow),
	); err != nil {
		t.Fatalf("phone: %v", err)
	}
	if overflow {
		t.Errorf("on a 390 px wide phone the fleet is wider than the screen")
	}
	st, ok, err := e.store.Status(context.Background(), drifted)
	if err != nil || !ok || st.Sync != "Synced" || st.Drift.Open != 0 {
		t.Errorf("after the repair %s is %s with %d open drift (%v)", drifted, st.Sync, st.Drift.Open, err)
	}
}
