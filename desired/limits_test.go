package desired

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLoadLimits: a hostile manifest or layer file is an error at its file
// (and line), never a crash or an allocation without bound, and it keeps
// only the tenants that use it from reconciling.
func TestLoadLimits(t *testing.T) {
	bomb := "slug: acme\ntemplate: party\nmodules: [election, volunteers]\n" +
		"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	cases := []struct {
		name  string
		files map[string]string
		file  string
		line  int
		want  string
		// tenant is the one tenant the error belongs to; "" when it
		// stops the repository.
		tenant string
	}{
		{"manifest size", map[string]string{"tenants/acme.yaml": "slug: acme\n#" + strings.Repeat("x", MaxManifestSize)},
			"tenants/acme.yaml", 1, "larger than", "acme"},
		{"landlord.yaml size", map[string]string{"landlord.yaml": strings.Repeat("#", MaxManifestSize+1)},
			"landlord.yaml", 1, "larger than", ""},
		{"layer size", map[string]string{"layers/custom/acme/custom.hcl": strings.Repeat("#", MaxLayerFileSize+1)},
			"layers/custom/acme/custom.hcl", 1, "larger than", "acme"},
		{"yaml depth", map[string]string{"tenants/acme.yaml": "slug: acme\nx: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"},
			"tenants/acme.yaml", 2, "levels deep", "acme"},
		{"yaml aliases", map[string]string{"tenants/acme.yaml": bomb},
			"tenants/acme.yaml", 0, "aliases are expanded", "acme"},
		{"long value", map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: " + strings.Repeat("p", MaxValueLength+1) + "\n"},
			"tenants/acme.yaml", 2, "bytes: at most", "acme"},
		{"long name", map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\nname: " + strings.Repeat("ñ", MaxNameLength+1) + "\n"},
			"tenants/acme.yaml", 4, "characters: at most", "acme"},
		{"control character in name", map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\nname: \"a\\u0000b\"\n"},
			"tenants/acme.yaml", 4, "control character", "acme"},
		{"bidirectional override in name", map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\nname: \"Acme \\u202eenO\"\n"},
			"tenants/acme.yaml", 4, "bidirectional control character", "acme"},
		{"domain", map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\ndomain: \"x.example/`; DROP\"\n"},
			"tenants/acme.yaml", 4, "invalid domain", "acme"},
		{"long domain", map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\ndomain: " + strings.Repeat("a.", 130) + "np\n"},
			"tenants/acme.yaml", 4, "invalid domain", "acme"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := load(t, repoFS(tc.files), LoadOptions{})
			var found *ManifestError
			for _, e := range r.Problems() {
				if e.File == tc.file && strings.Contains(e.Error(), tc.want) {
					found = e
				}
			}
			if found == nil {
				t.Fatalf("no error in %s containing %q; got:\n%v", tc.file, tc.want, r.Problems())
			}
			if tc.line > 0 && found.Line != tc.line {
				t.Errorf("error at line %d, want %d: %v", found.Line, tc.line, found)
			}
			if len(found.Error()) > 500 {
				t.Errorf("the error quotes the input: %d bytes", len(found.Error()))
			}
			beta, _ := r.Tenant("beta")
			if tc.tenant != "" && (beta == nil || !beta.Valid()) {
				t.Errorf("the error of %s stopped tenant beta too: %v", tc.tenant, beta.Errors)
			}
		})
	}
}

// TestLocalRepositoryConfined: a directory repository is read confined to
// its root: a symlink that leaves it is an error naming the file, its
// content is never read, and symlinks inside it are followed. A git
// revision reads git objects only, with the same rule for its symlinks.
func TestLocalRepositoryConfined(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.hcl")
	write(t, dir, "secret.hcl", "table \"leaked\" { comment = \"CONFIDENTIAL\" }\n")
	repo := filepath.Join(dir, "repo")
	for rel, content := range repoFS(nil) {
		write(t, repo, rel, string(content.Data))
	}
	link := func(target, rel string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(repo, rel)); err != nil {
			t.Fatal(err)
		}
	}
	link(secret, "layers/custom/acme/leak.hcl")                                // absolute, out
	link("../../../../secret.hcl", "layers/modules/election/leak.hcl")         // relative, out
	link(dir, "layers/modules/outside")                                        // a directory out
	link("../../basic/schema.hcl", "layers/templates/party/shared_schema.hcl") // inside: followed
	link("loop_b.hcl", "layers/modules/social/loop_a.hcl")                     // a loop
	link("loop_a.hcl", "layers/modules/social/loop_b.hcl")
	link("missing.yaml", "tenants/ghost.yaml") // to nothing

	check := func(t *testing.T, co *Checkout) {
		t.Helper()
		r, err := Load(co.FS, co.Revision, LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"layers/custom/acme/leak.hcl": "outside the repository", "layers/modules/election/leak.hcl": "outside the repository",
			"layers/modules/outside": "outside the repository", "layers/modules/social/loop_a.hcl": "too many levels of symbolic links",
			"tenants/ghost.yaml": "does not exist"}
		found := map[string]bool{}
		for _, e := range r.Problems() {
			if strings.Contains(e.Error(), "CONFIDENTIAL") {
				t.Errorf("the content of a file outside the repository reached an error: %v", e)
			}
			if msg, ok := want[e.File]; ok && strings.Contains(e.Msg, msg) {
				found[e.File] = true
			}
		}
		for file := range want {
			if !found[file] {
				t.Errorf("no error for the symlink %s; got:\n%v", file, r.Problems())
			}
		}
		for _, files := range [][]File{r.Custom["acme"], r.Modules["election"].Files} {
			for _, f := range files {
				if strings.Contains(string(f.Data), "CONFIDENTIAL") {
					t.Errorf("%s: read outside the repository", f.Path)
				}
			}
		}
		var shared bool
		for _, f := range r.Templates["party"].Files {
			shared = shared || (f.Path == "layers/templates/party/shared_schema.hcl" && string(f.Data) == `schema "tenant" {}`)
		}
		if !shared {
			t.Errorf("a symlink inside the repository was not followed: %+v", r.Templates["party"].Files)
		}
	}
	t.Run("directory", func(t *testing.T) {
		co, err := Open(ctx, Source{Repo: repo})
		if err != nil {
			t.Fatal(err)
		}
		check(t, co)
	})
	t.Run("git revision", func(t *testing.T) {
		os.Remove(filepath.Join(repo, "layers/modules/outside")) // git stores it as a file link
		gitRun(t, repo, "init", "-q", "-b", "main")
		gitRun(t, repo, "add", ".")
		gitRun(t, repo, "commit", "-q", "-m", "links")
		link(dir, "layers/modules/outside")
		co, err := Open(ctx, Source{Repo: repo, Ref: "main"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Load(co.FS, co.Revision, LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Fatal(err)
		}
		for file, msg := range map[string]string{"layers/custom/acme/leak.hcl": "outside the repository",
			"layers/modules/election/leak.hcl": "outside the repository", "layers/modules/social/loop_a.hcl": "too many levels of symbolic links",
			"tenants/ghost.yaml": "does not exist"} {
			var ok bool
			for _, e := range r.Problems() {
				ok = ok || (e.File == file && strings.Contains(e.Msg, msg))
			}
			if !ok {
				t.Errorf("no error for the symlink %s in git; got:\n%v", file, r.Problems())
			}
		}
		for _, e := range r.Problems() {
			if strings.Contains(e.Error(), "CONFIDENTIAL") {
				t.Errorf("read outside the repository: %v", e)
			}
		}
	})
}

// TestRepositoryBounded: the files of one revision together are bounded;
// what is past the bound is an error on the file where it was passed.
func TestRepositoryBounded(t *testing.T) {
	fsys := repoFS(nil)
	comment := []byte("# " + strings.Repeat("x", MaxLayerFileSize-3) + "\n")
	n := MaxRepositorySize/len(comment) + 2
	for i := range n {
		fsys[fmt.Sprintf("layers/custom/acme/f%03d.hcl", i)] = &fstest.MapFile{Data: comment}
	}
	r := load(t, fsys, LoadOptions{})
	acme, _ := r.Tenant("acme")
	var found bool
	for _, e := range acme.Errors {
		found = found || strings.Contains(e.Msg, "landlord reads no more of them")
	}
	if !found {
		t.Fatalf("%d files of %d bytes: no error on acme; got %v", n, len(comment), r.Problems())
	}
	if beta, _ := r.Tenant("beta"); !beta.Valid() {
		t.Errorf("beta: %v", beta.Errors)
	}
}
