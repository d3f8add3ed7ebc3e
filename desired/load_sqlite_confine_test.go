package desired

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLiteURLConfined: an sqlite:// directory written in landlord.yaml
// stays inside the repository. An absolute one, one that climbs out with
// .., and one that a symbolic link of the repository leads out are errors
// at landlord.yaml's line and column, and the server has no URL; a URL
// wholly from the environment, and --server, are the operator's.
func TestSQLiteURLConfined(t *testing.T) {
	repo := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(repo, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(repo, ".landlord"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, url, env, override string
		want                     string // an error's text, or the URL
	}{
		{name: "dotdot", url: "sqlite://../../../../tmp/hx/outside", want: `landlord.yaml:3:10: servers.primary.url: sqlite:// directory "../../../../tmp/hx/outside" leaves the repository`},
		{name: "dotdot inside", url: "sqlite://.landlord/../../x", want: `leaves the repository`},
		{name: "absolute", url: "sqlite://" + outside, want: `landlord.yaml:3:10: servers.primary.url: sqlite:// directory "` + outside + `" is absolute`},
		{name: "symlink", url: "sqlite://link/tenants", want: `landlord.yaml:3:10: servers.primary.url: sqlite:// directory "link/tenants" leads out of the repository through a symbolic link`},
		{name: "default absolute", url: "${LANDLORD_TENANTS_URL:-sqlite:///var/lib/x}", want: `is absolute`},
		{name: "partly from env", url: "sqlite://${LANDLORD_TENANTS_URL}/x", env: outside, want: `landlord.yaml:3:10: servers.primary.url: landlord.yaml reads two things from the environment`},
		{name: "inside", url: "sqlite://.landlord/tenants", want: "sqlite://" + filepath.Join(repo, ".landlord/tenants")},
		{name: "inside, cleaned", url: "sqlite://.landlord/../tenants", want: "sqlite://" + filepath.Join(repo, "tenants")},
		{name: "wholly from env", url: "${LANDLORD_TENANTS_URL}", env: "sqlite://" + outside, want: "sqlite://" + outside},
		{name: "from env with default", url: "${LANDLORD_TENANTS_URL:-sqlite://.landlord/t}", env: "sqlite://../elsewhere", want: "sqlite://" + filepath.Join(filepath.Dir(repo), "elsewhere")},
		{name: "override", url: "sqlite://" + outside, override: "sqlite://" + outside, want: "sqlite://" + outside},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := func(k string) (string, bool) {
				return tc.env, tc.env != "" && (k == "LANDLORD_TENANTS_URL" || k == "DIR")
			}
			opts := LoadOptions{Dir: repo, LookupEnv: env}
			if tc.override != "" {
				opts.Servers = map[string]string{"primary": tc.override}
			}
			r := load(t, repoFS(map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: " + tc.url + "\n"}), opts)
			s := r.Config.Servers["primary"]
			if !strings.HasPrefix(tc.want, "sqlite://") {
				if got := r.Errors.Error(); !strings.Contains(got, tc.want) || len(r.Errors) != 1 {
					t.Errorf("errors:\n%s\nwant one with %q", got, tc.want)
				}
				if s.URL != "" || s.URLError == nil {
					t.Errorf("server: URL %q, URLError %v; want none, and an error", s.URL, s.URLError)
				}
				return
			}
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %s", r.Errors)
			}
			if s.URL != tc.want {
				t.Errorf("URL %q, want %q", s.URL, tc.want)
			}
		})
	}
}

// TestSQLiteRoot: a server whose directory is inside the repository,
// whoever names it, carries the repository as its Root, which schema
// checks the directory's symbolic links against; one outside has none.
func TestSQLiteRoot(t *testing.T) {
	repo := t.TempDir()
	files := map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: sqlite://tenants\n  env:\n    url: ${LANDLORD_ENV_URL}\n"}
	env := func(k string) (string, bool) { return "sqlite:///var/lib/x", k == "LANDLORD_ENV_URL" }
	r := load(t, repoFS(files), LoadOptions{Dir: repo, LookupEnv: env})
	if got := r.Config.Servers["primary"].Root; got != repo {
		t.Errorf("inside: Root %q, want %q", got, repo)
	}
	if got := r.Config.Servers["env"].Root; got != "" {
		t.Errorf("outside: Root %q, want none", got)
	}
	r = load(t, repoFS(files), LoadOptions{Dir: repo, LookupEnv: env, Servers: map[string]string{"env": "sqlite://" + filepath.Join(repo, ".landlord/t")}})
	if got := r.Config.Servers["env"].Root; got != repo {
		t.Errorf("override inside: Root %q, want %q", got, repo)
	}
}
