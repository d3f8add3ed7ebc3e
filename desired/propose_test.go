package desired

import (
	"context"
	"errors"
	"io/fs"
	"net"
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
