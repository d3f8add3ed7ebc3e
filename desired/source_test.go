package desired

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// git runs the git binary in dir.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.np", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.np", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRemoteRepository: a git URL is cloned into the cache, fetched on the
// next open, and read at a branch, a tag or a commit.
func TestRemoteRepository(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	gitRun(t, work, "init", "-q", "-b", "main")
	write(t, work, "landlord.yaml", "servers:\n  primary:\n    url: sqlite://x\n")
	write(t, work, "tenants/acme.yaml", "slug: acme\n")
	gitRun(t, work, "add", ".")
	gitRun(t, work, "commit", "-q", "-m", "one")
	first := gitRun(t, work, "rev-parse", "HEAD")
	gitRun(t, work, "tag", "v1")
	bare := filepath.Join(t.TempDir(), "remote.git")
	gitRun(t, work, "clone", "-q", "--bare", work, bare)
	gitRun(t, work, "remote", "add", "origin", bare)

	src := Source{Repo: "file://" + bare, CacheDir: t.TempDir()}
	co, err := Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if co.Revision != first {
		t.Fatalf("revision %s, want %s", co.Revision, first)
	}
	if _, err := fs.ReadFile(co.FS, "tenants/acme.yaml"); err != nil {
		t.Fatal(err)
	}

	write(t, work, "tenants/beta.yaml", "slug: beta\n")
	gitRun(t, work, "add", ".")
	gitRun(t, work, "commit", "-q", "-m", "two")
	gitRun(t, work, "push", "-q", "origin", "main")
	second := gitRun(t, work, "rev-parse", "HEAD")
	gitRun(t, work, "checkout", "-q", "-b", "feature")
	write(t, work, "tenants/gamma.yaml", "slug: gamma\n")
	gitRun(t, work, "add", ".")
	gitRun(t, work, "commit", "-q", "-m", "three")
	gitRun(t, work, "push", "-q", "origin", "feature")

	for ref, want := range map[string]string{"": second, "main": second, "v1": first, first[:12]: first, "feature": gitRun(t, work, "rev-parse", "HEAD")} {
		src.Ref = ref
		co, err := Open(ctx, src)
		if err != nil {
			t.Fatalf("ref %q: %v", ref, err)
		}
		if co.Revision != want {
			t.Errorf("ref %q: revision %s, want %s", ref, co.Revision, want)
		}
	}
	src.Ref = "no-such-branch"
	if _, err := Open(ctx, src); err == nil || !strings.Contains(err.Error(), `ref "no-such-branch"`) {
		t.Errorf("unknown ref: %v", err)
	}
	if _, err := Open(ctx, Source{Repo: "file://" + filepath.Join(t.TempDir(), "missing.git"), CacheDir: t.TempDir()}); err == nil {
		t.Error("a missing remote opened")
	}
}

// TestLocalRevision: a clean git work tree is its commit; uncommitted
// changes add a content hash; a directory outside git is its content hash;
// --ref reads a committed revision of a local repository.
func TestLocalRevision(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, "repo/landlord.yaml", "servers: {}\n")
	repo := filepath.Join(dir, "repo")
	co, err := Open(ctx, Source{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(co.Revision, "sha256:") {
		t.Errorf("outside git: %s", co.Revision)
	}
	again, _ := Open(ctx, Source{Repo: repo})
	if again.Revision != co.Revision {
		t.Errorf("content hash not stable")
	}

	gitRun(t, dir, "init", "-q", "-b", "main")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-q", "-m", "one")
	head := gitRun(t, dir, "rev-parse", "HEAD")
	co, err = Open(ctx, Source{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	if co.Revision != head {
		t.Errorf("clean work tree: %s, want %s", co.Revision, head)
	}
	write(t, repo, "tenants/new.yaml", "slug: new\n")
	co, _ = Open(ctx, Source{Repo: repo})
	if !strings.HasPrefix(co.Revision, head+"+dirty.") {
		t.Errorf("dirty work tree: %s", co.Revision)
	}
	co, err = Open(ctx, Source{Repo: repo, Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if co.Revision != head {
		t.Errorf("--ref main: %s", co.Revision)
	}
	if _, err := fs.ReadFile(co.FS, "tenants/new.yaml"); err == nil {
		t.Error("--ref read an uncommitted file")
	}
	if _, err := fs.ReadFile(co.FS, "landlord.yaml"); err != nil {
		t.Errorf("--ref: %v", err)
	}
}

func TestIsRemote(t *testing.T) {
	for repo, want := range map[string]bool{
		"https://github.com/acme/tenants.git": true,
		"git@github.com:acme/tenants.git":     true,
		"file:///srv/git/tenants.git":         true,
		"examples/platform":                   false,
		"/srv/tenants":                        false,
		"./a:b":                               false,
	} {
		if got := IsRemote(repo); got != want {
			t.Errorf("IsRemote(%q) = %v", repo, got)
		}
	}
}

// TestContentHashReadsWholeDataFiles: the revision of a directory moves
// with a change anywhere in a data file, past the bound of a layer file
// too (data files are read as a stream, up to MaxDataFileSize).
func TestContentHashReadsWholeDataFiles(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "layers", "basic", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	rows := []byte("id,name\n" + strings.Repeat("1,a\n", MaxLayerFileSize/4+1024))
	file := filepath.Join(data, "things.csv")
	if err := os.WriteFile(file, rows, 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := contentHash(rootFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	rows[len(rows)-2] = 'b' // the last row, past MaxLayerFileSize
	if err := os.WriteFile(file, rows, 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := contentHash(rootFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if before == after {
		t.Fatalf("a change %d bytes into a data file left the content hash as it was", len(rows)-2)
	}
}

// A repository URL with credentials (https://user:password@host/...) is
// fetched with them, and they are written nowhere in the cache: the
// cache's origin is the URL without them, also for a cache an earlier
// landlord cloned with them.
func TestRemoteCredentialsStayOutOfTheCache(t *testing.T) {
	backend := filepath.Join(gitRun(t, t.TempDir(), "--exec-path"), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Fatalf("git http-backend: %v", err)
	}
	work := t.TempDir()
	gitRun(t, work, "init", "-q", "-b", "main")
	write(t, work, "landlord.yaml", "servers:\n  primary:\n    url: sqlite://x\n")
	gitRun(t, work, "add", ".")
	gitRun(t, work, "commit", "-q", "-m", "one")
	root := t.TempDir()
	gitRun(t, work, "clone", "-q", "--bare", work, filepath.Join(root, "remote.git"))
	const secret = "S3cret-pw-9f2"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != secret {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		(&cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}).ServeHTTP(w, r)
	}))
	defer srv.Close()
	repoURL := strings.Replace(srv.URL, "http://", "http://ci:"+secret+"@", 1) + "/remote.git"
	cache := t.TempDir()
	for i := 0; i < 2; i++ {
		if _, err := Open(context.Background(), Source{Repo: repoURL, CacheDir: cache}); err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		found := ""
		filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
					found = p
				}
			}
			return nil
		})
		if found != "" {
			t.Fatalf("open %d: the password is in %s", i, found)
		}
		// A cache cloned with the credentials in its configuration, as
		// an earlier landlord left it: the next open forgets them.
		configs, _ := filepath.Glob(filepath.Join(cache, "*", "repo.git", "config"))
		if len(configs) != 1 {
			t.Fatalf("cache configs %v", configs)
		}
		b, _ := os.ReadFile(configs[0])
		os.WriteFile(configs[0], []byte(strings.Replace(string(b), srv.URL[len("http://"):], "ci:"+secret+"@"+srv.URL[len("http://"):], 1)), 0o644)
		if b2, _ := os.ReadFile(configs[0]); i == 0 && !strings.Contains(string(b2), secret) {
			t.Fatalf("the test did not put the password in %s:\n%s", configs[0], b2)
		}
	}
}

// A first clone that fails leaves nothing in the cache.
func TestFailedCloneLeavesNoLitter(t *testing.T) {
	cache := t.TempDir()
	_, err := Open(context.Background(), Source{Repo: "file://" + filepath.Join(t.TempDir(), "missing.git"), CacheDir: cache})
	if err == nil {
		t.Fatal("a clone of a missing repository succeeded")
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("the cache keeps %v", entries)
	}
}

// TestUnreadableTreeIsNoRepository: a commit whose tree lacks an object
// (a directory's tree missing from a damaged or partly fetched clone) is
// an error, never the files read before it: the layers after it would be
// missing, and their tables taken for ones to drop.
func TestUnreadableTreeIsNoRepository(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, "landlord.yaml", "servers: {}\n")
	write(t, dir, "layers/basic/schema.hcl", "schema \"app\" {}\n")
	write(t, dir, "layers/modules/election/module.yaml", "name: election\n")
	write(t, dir, "tenants/acme.yaml", "slug: acme\n")
	gitRun(t, dir, "init", "-q", "-b", "main")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-q", "-m", "one")
	if _, err := Open(ctx, Source{Repo: dir, Ref: "main"}); err != nil {
		t.Fatalf("whole tree: %v", err)
	}
	modules := gitRun(t, dir, "rev-parse", "HEAD:layers/modules")
	if err := os.Remove(filepath.Join(dir, ".git", "objects", modules[:2], modules[2:])); err != nil {
		t.Fatal(err)
	}
	co, err := Open(ctx, Source{Repo: dir, Ref: "main"})
	if err == nil || !strings.Contains(err.Error(), "layers/modules") {
		files := 0
		if co != nil {
			fs.WalkDir(co.FS, ".", func(string, fs.DirEntry, error) error { files++; return nil })
		}
		t.Fatalf("tree with a missing directory object: err %v (%d entries read), want an error naming layers/modules", err, files)
	}
}
