package desired

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/landlord/landlord/internal/redact"
)

// A new tenant's YAML is encoded, never pasted: hostile values stay the
// values, and the loader reads back what was written.
func TestNewTenantYAML(t *testing.T) {
	nt := NewTenant{Slug: "acme", Name: "Acme: \"quoted\"\nslug: evil # not a comment", Template: "base", Modules: []string{"a", "b"}}
	data, err := nt.YAML()
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"landlord.yaml": {Data: []byte("servers:\n  main:\n    url: sqlite://tenants\n")},
		"layers/templates/base/template.yaml": {Data: []byte("version: 1.0.0\n")},
		"layers/templates/base/t.hcl":         {Data: []byte("schema \"main\" {}\n")},
		"layers/modules/a/module.yaml":        {Data: []byte("version: 1.0.0\n")},
		"layers/modules/b/module.yaml":        {Data: []byte("version: 1.0.0\nrequires: [a]\n")},
		"layers/basic/b.hcl":                  {Data: []byte("")}}
	with, err := WithFile(fsys, "tenants/acme.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := Load(with, "r1", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := repo.Tenant("acme")
	if !ok || got.Name != nt.Name || got.Slug != "acme" || strings.Join(got.Modules, ",") != "a,b" || len(repo.Tenants) != 1 {
		t.Fatalf("loaded %+v (%v), want the name %q back\n%s", got, ok, nt.Name, data)
	}
	// WithFile never hides a file the repository has.
	if _, err := WithFile(with, "tenants/acme.yaml", []byte("slug: acme\n")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WithFile over an existing file: %v, want fs.ErrExist", err)
	}
	for _, bad := range []string{"../etc", "Acme", "a", "tenants/x", "a b"} {
		if _, err := TenantFile(bad); err == nil {
			t.Errorf("TenantFile(%q) accepted", bad)
		}
	}
}

// A push to a remote that never answers gives up at the timeout, and its
// error holds no credential.
func TestPushTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	const token = "push-secret-0123456789"
	start := time.Now()
	_, err = Push(context.Background(), Source{Repo: "http://" + l.Addr().String() + "/platform.git", Timeout: 500 * time.Millisecond},
		Auth{Token: redact.Secret(token)}, Proposal{Branch: "landlord/tenant-acme", File: "tenants/acme.yaml", Data: []byte("slug: acme\n")})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), token) {
		t.Fatalf("err = %v, want the deadline and no token", err)
	}
	if took > 10*time.Second {
		t.Errorf("the push gave up after %s, timeout 500ms", took)
	}
}

// TestPushRefusesMovedHead: a proposal checked against one commit is not
// committed on another: when the remote's head moved since the check,
// Push refuses and creates no branch; on the commit it was checked
// against, the branch's parent is that commit.
func TestPushRefusesMovedHead(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	gitRun(t, work, "init", "-q", "-b", "main")
	write(t, work, "tenants/acme.yaml", "slug: acme\n")
	gitRun(t, work, "add", ".")
	gitRun(t, work, "commit", "-q", "-m", "one")
	checked := gitRun(t, work, "rev-parse", "HEAD")
	bare := filepath.Join(t.TempDir(), "remote.git")
	gitRun(t, work, "clone", "-q", "--bare", work, bare)
	gitRun(t, work, "remote", "add", "origin", bare)
	write(t, work, "tenants/beta.yaml", "slug: beta\n")
	gitRun(t, work, "add", ".")
	gitRun(t, work, "commit", "-q", "-m", "two")
	gitRun(t, work, "push", "-q", "origin", "main")
	head := gitRun(t, work, "rev-parse", "HEAD")

	src := Source{Repo: "file://" + bare, Timeout: time.Minute}
	p := Proposal{Branch: "landlord/tenant-gamma", File: "tenants/gamma.yaml", Data: []byte("slug: gamma\n"),
		Message: "tenants: add gamma", Author: "landlord", Email: "landlord@localhost", Parent: checked}
	if _, err := Push(ctx, src, Auth{}, p); !errors.Is(err, ErrMoved) {
		t.Fatalf("push on a moved head: %v, want ErrMoved", err)
	}
	if out, _ := exec.Command("git", "-C", bare, "branch", "--list", "landlord/*").Output(); len(strings.TrimSpace(string(out))) != 0 {
		t.Fatalf("a refused push created %s", out)
	}
	p.Parent = head
	commit, err := Push(ctx, src, Auth{}, p)
	if err != nil {
		t.Fatal(err)
	}
	if parent := gitRun(t, bare, "rev-parse", commit+"^"); parent != head {
		t.Errorf("the proposal's parent is %s, want %s", parent, head)
	}
}
