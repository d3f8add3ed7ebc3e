package main

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// TestServePushProposal: serve --push-proposals pushes a tenant proposed
// on the dashboard to branch landlord/tenant-<slug> of an HTTP remote,
// authenticated with LANDLORD_PUSH_TOKEN; main does not move, and the
// token is in no page and no log line.
func TestServePushProposal(t *testing.T) {
	const pushSecret = "push-s3cret-4e5f6a"
	backend, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	g := testenv.NewGit(t, testenv.CopyExample(t, ""))
	if out, err := exec.Command("git", "-C", g.Bare, "config", "http.receivepack", "true").CombinedOutput(); err != nil {
		t.Fatalf("git config: %v\n%s", err, out)
	}
	cgiHandler := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(backend)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(g.Bare), "GIT_HTTP_EXPORT_ALL=1"},
	}
	var (
		mu         sync.Mutex
		pushAuth   []string
		mainBefore = strings.TrimSpace(gitOut(t, g.Bare, "rev-parse", "main"))
	)
	gitServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, "git-receive-pack") || strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			mu.Lock()
			pushAuth = append(pushAuth, r.Header.Get("Authorization"))
			mu.Unlock()
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(gitServer.Close)

	dir := t.TempDir()
	p := startServe(t, "serve", serveEnv("LANDLORD_PUSH_TOKEN="+pushSecret), "--repo", gitServer.URL+"/"+filepath.Base(g.Bare),
		"--ref", "main", "--state", filepath.Join(dir, "landlord.db"), "--server", "primary=sqlite://"+filepath.Join(dir, "tenants"),
		"--cache-dir", filepath.Join(dir, "cache"), "--push-proposals")
	until(t, 2*time.Minute, "serve ready", func() bool { return p.call("GET", "/readyz", "", nil, "", nil) == 200 })

	base := "http://" + p.addr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	var pages []string
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	fetch := func(method, path string, form url.Values) (int, string) {
		t.Helper()
		var res *http.Response
		var err error
		if method == "GET" {
			res, err = c.Get(base + path)
		} else {
			res, err = c.PostForm(base+path, form)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		pages = append(pages, string(b))
		return res.StatusCode, string(b)
	}
	_, page := fetch("GET", "/ui/login", nil)
	m := csrf.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("login page:\n%s", page)
	}
	if code, page := fetch("POST", "/ui/login", url.Values{"csrf": {m[1]}, "token": {testOperateToken}}); code != 200 {
		t.Fatalf("log in: %d\n%s", code, page)
	}
	_, page = fetch("GET", "/ui/new-tenant", nil)
	if m = csrf.FindStringSubmatch(page); m == nil || !strings.Contains(page, `value="push"`) {
		t.Fatalf("the new tenant page offers no push:\n%s", page)
	}
	code, page := fetch("POST", "/ui/new-tenant", url.Values{"csrf": {m[1]}, "slug": {"ujyaalo"}, "template": {"political-party"},
		"modules": {"social"}, "action": {"push"}})
	if code != 200 || !strings.Contains(page, `id="pushed"`) {
		t.Fatalf("push: %d\n%s", code, page)
	}
	if manifest := gitOut(t, g.Bare, "show", "landlord/tenant-ujyaalo:tenants/ujyaalo.yaml"); !strings.Contains(manifest, "slug: ujyaalo") {
		t.Errorf("the pushed manifest:\n%s", manifest)
	}
	if after := strings.TrimSpace(gitOut(t, g.Bare, "rev-parse", "main")); after != mainBefore {
		t.Errorf("main moved: %s → %s", mainBefore, after)
	}
	mu.Lock()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("git:"+pushSecret))
	authorized := false
	for _, a := range pushAuth {
		authorized = authorized || a == want
	}
	mu.Unlock()
	if !authorized {
		t.Errorf("no push carried LANDLORD_PUSH_TOKEN (%d receive-pack requests)", len(pushAuth))
	}
	if code := p.signal(syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM: %d", code)
	}
	logs := strings.Join(p.lines(), "\n")
	if !strings.Contains(logs, `"msg":"tenant proposed"`) {
		t.Errorf("no \"tenant proposed\" log line")
	}
	for where, text := range map[string]string{"the log": logs, "the pages": strings.Join(pages, "\n")} {
		if strings.Contains(text, pushSecret) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte("git:"+pushSecret))) {
			t.Errorf("%s hold the push token", where)
		}
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
