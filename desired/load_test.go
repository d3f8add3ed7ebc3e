package desired

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// repoFS is a small valid repository; cases change one file of it.
func repoFS(files map[string]string) fstest.MapFS {
	base := map[string]string{
		"landlord.yaml": `servers:
  primary:
    url: sqlite://tenants
`,
		"layers/basic/schema.hcl":                      `schema "tenant" {}`,
		"layers/templates/party/template.yaml":         "version: 1.0.0\nrequires: [election]\n",
		"layers/templates/party/party.hcl":             "",
		"layers/templates/closed/template.yaml":        "active: false\n",
		"layers/modules/election/module.yaml":          "version: 1.0.0\n",
		"layers/modules/social/module.yaml":            "version: 1.0.0\n",
		"layers/modules/volunteers/module.yaml":        "requires: [election]\n",
		"layers/custom/acme/custom.hcl":                "",
		"tenants/acme.yaml":                            "slug: acme\ntemplate: party\nmodules: [election, volunteers]\n",
		"tenants/beta.yaml":                            "slug: beta\ntemplate: party\nmodules: [social, election]\ndatabase: beta_db\n",
		"layers/modules/election/election.hcl":         "",
		"layers/modules/volunteers/volunteers.hcl":     "",
		"layers/modules/social/social.hcl":             "",
		"layers/templates/closed/closed.hcl":           "",
		"layers/templates/party/party_extra.hcl":       "",
		"layers/custom/acme/zz_second_custom_file.hcl": "",
	}
	for k, v := range files {
		if v == "" && strings.HasSuffix(k, ".yaml") {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	fsys := fstest.MapFS{}
	for k, v := range base {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fsys
}

func load(t *testing.T, fsys fstest.MapFS, opts LoadOptions) *Repo {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	r, err := Load(fsys, "rev", opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadValid(t *testing.T) {
	r := load(t, repoFS(nil), LoadOptions{})
	if p := r.Problems(); len(p) > 0 {
		t.Fatalf("problems in a valid repository:\n%s", p)
	}
	acme, _ := r.Tenant("acme")
	var layers []string
	for _, l := range acme.Layers {
		layers = append(layers, l.Name)
	}
	if got, want := strings.Join(layers, " "), "basic template/party module/election module/volunteers custom/acme"; got != want {
		t.Errorf("acme layers %q, want %q", got, want)
	}
	if acme.Database != "acme" || acme.Server != "primary" || acme.Lifecycle != Active || acme.AllowDestructive || acme.DriftPolicy != DriftReport {
		t.Errorf("acme defaults: %+v", acme)
	}
	beta, _ := r.Tenant("beta")
	// Dependency order keeps the manifest's order where it is free.
	if beta.Layers[2].Name != "module/social" || beta.Layers[3].Name != "module/election" || beta.Database != "beta_db" {
		t.Errorf("beta: %+v", beta.Layers)
	}
	if len(acme.Layers[4].Files) != 2 || acme.Layers[4].Files[0].Path != "layers/custom/acme/custom.hcl" {
		t.Errorf("custom files: %+v", acme.Layers[4].Files)
	}
}

// TestLoadErrors: every bad manifest is reported with its file, line and
// field, and only the tenants it concerns are invalid.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		// want holds substrings of one reported error: "file:line", then
		// words of the message.
		want []string
		// invalid are the tenants that must be invalid (the others valid).
		invalid []string
		global  bool
	}{
		{
			name:    "unknown field in a tenant",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\ndatabse: x\n"},
			want:    []string{"tenants/acme.yaml:4:1", "databse", `unknown field "databse"`, `did you mean "database"`},
			invalid: []string{"acme"},
		},
		{
			name:    "wrong type",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: election\n"},
			want:    []string{"tenants/acme.yaml:3:10", "modules", "cannot read"},
			invalid: []string{"acme"},
		},
		{
			name:    "hostile slug",
			files:   map[string]string{"tenants/acme.yaml": "slug: 'acme; DROP DATABASE x'\ntemplate: party\nmodules: [election, volunteers]\n"},
			want:    []string{"tenants/acme.yaml:1:7", "slug", "invalid slug"},
			invalid: []string{"acme; DROP DATABASE x"},
		},
		{
			name:    "backtick in database",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\ndatabase: 'acme`; DROP DATABASE x; --'\n"},
			want:    []string{"tenants/acme.yaml:4:11", "database", "invalid database name"},
			invalid: []string{"acme"},
		},
		{
			name:    "database of 65 characters",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\ndatabase: " + strings.Repeat("a", 65) + "\n"},
			want:    []string{"tenants/acme.yaml:4", "invalid database name"},
			invalid: []string{"acme"},
		},
		{
			name:    "slug of 64 characters",
			files:   map[string]string{"tenants/" + strings.Repeat("a", 64) + ".yaml": "slug: " + strings.Repeat("a", 64) + "\ntemplate: party\nmodules: [election]\n"},
			want:    []string{"tenants/" + strings.Repeat("a", 64) + ".yaml:1", "invalid slug"},
			invalid: []string{strings.Repeat("a", 64)},
		},
		{
			name:    "slug and file name differ",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme-two\ntemplate: party\nmodules: [election, volunteers]\n"},
			want:    []string{"tenants/acme.yaml:1", "does not match the file name"},
			invalid: []string{"acme-two"},
		},
		{
			name:    "template missing",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: partyy\nmodules: [election, volunteers]\n"},
			want:    []string{"tenants/acme.yaml:2:11", "template", `did you mean "party"`},
			invalid: []string{"acme"},
		},
		{
			name:    "template inactive",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: closed\n"},
			want:    []string{"tenants/acme.yaml:2", "is not active"},
			invalid: []string{"acme"},
		},
		{
			name:    "required module not selected",
			files:   map[string]string{"tenants/beta.yaml": "slug: beta\ntemplate: party\nmodules: [social]\n"},
			want:    []string{"tenants/beta.yaml:3", `requires module "election"`},
			invalid: []string{"beta"},
		},
		{
			name:    "module dependency missing",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [volunteers, election, social]\n", "tenants/beta.yaml": "slug: beta\ntemplate: party\nmodules:\n  - volunteers\n"},
			want:    []string{"tenants/beta.yaml:4:5", "modules[0]", `module "volunteers" requires module "election"`},
			invalid: []string{"beta"},
		},
		{
			name:    "unknown module",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers, chat]\n"},
			want:    []string{"tenants/acme.yaml:3:33", "modules[2]", `module "chat" does not exist`},
			invalid: []string{"acme"},
		},
		{
			name: "module dependency cycle",
			files: map[string]string{
				"layers/modules/election/module.yaml":   "requires: [volunteers]\n",
				"layers/modules/volunteers/module.yaml": "requires: [election]\n",
			},
			want:    []string{"layers/modules/election/module.yaml:1", "dependency cycle: election → volunteers → election"},
			invalid: []string{"acme", "beta"},
		},
		{
			name:    "module requires a missing module",
			files:   map[string]string{"layers/modules/volunteers/module.yaml": "requires:\n  - election\n  - polling\n"},
			want:    []string{"layers/modules/volunteers/module.yaml:3:5", "requires[1]", `module "polling", which does not exist`},
			invalid: []string{"acme"},
		},
		{
			name:    "two tenants share a database",
			files:   map[string]string{"tenants/beta.yaml": "slug: beta\ntemplate: party\nmodules: [election]\ndatabase: acme\n"},
			want:    []string{"tenants/beta.yaml:4", `database "acme" on server "primary" is also the database of tenants/acme.yaml`},
			invalid: []string{"acme", "beta"},
		},
		{
			name: "two entries of one server share a database",
			files: map[string]string{
				"landlord.yaml":     "servers:\n  primary:\n    url: mysql://app@db.internal:3306/\n  staging:\n    url: mysql://app@DB.internal:3306/\n    databasePrefix: acme_\n",
				"tenants/beta.yaml": "slug: beta\ntemplate: party\nmodules: [election]\nserver: staging\ndatabase: db\n",
				"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\nserver: primary\ndatabase: acme_db\n",
			},
			want:    []string{"tenants/beta.yaml:5", `database "acme_db" on server "staging" is also the database of tenants/acme.yaml (on server "primary", the same server)`},
			invalid: []string{"acme", "beta"},
		},
		{
			name:    "undefined server",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\nserver: replica\n"},
			want:    []string{"tenants/acme.yaml:4", `server "replica" is not defined`},
			invalid: []string{"acme"},
		},
		{
			name:    "unknown lifecycle",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\nlifecycle: paused\n"},
			want:    []string{"tenants/acme.yaml:4", "lifecycle", `unknown lifecycle "paused"`},
			invalid: []string{"acme"},
		},
		{
			name:    "unknown environment",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\nenvironment: dev\n"},
			want:    []string{"tenants/acme.yaml:4", "environment", `unknown environment "dev": want development, staging or production`},
			invalid: []string{"acme"},
		},
		{
			name:    "environment not a word",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party\nmodules: [election, volunteers]\nenvironment: [development]\n"},
			want:    []string{"tenants/acme.yaml:4"},
			invalid: []string{"acme"},
		},
		{
			name:   "unknown field in landlord.yaml",
			files:  map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: sqlite://x\n    maxConnection: 3\n"},
			want:   []string{"landlord.yaml:4:5", "servers.primary.maxConnection", `did you mean "maxConnections"`},
			global: true,
		},
		{
			name:   "password in git",
			files:  map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: mysql://root:hunter2@db:3306/\n"},
			want:   []string{"landlord.yaml:3:10", "servers.primary.url", "never keep a secret in git"},
			global: true,
		},
		{
			name:   "bad ignore pattern",
			files:  map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: sqlite://x\ncomparison:\n  ignoreTables: [sessions, 'tmp_[']\n"},
			want:   []string{"landlord.yaml:5:28", "comparison.ignoreTables[1]", "not a name or glob pattern"},
			global: true,
		},
		{
			name:   "yaml syntax",
			files:  map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: [sqlite://x\n"},
			want:   []string{"landlord.yaml:3:10: ", "']' not found"},
			global: true,
		},
		{
			// yaml.v3 names the line before and no column.
			name:    "flow sequence left open on line 6",
			files:   map[string]string{"tenants/acme.yaml": "# acme\nslug: acme\nname: Acme\ntemplate: party\n\nmodules: [election\ndomain: acme.example\n"},
			want:    []string{"tenants/acme.yaml:6:10: flow sequence [ is not closed"},
			invalid: []string{"acme"},
		},
		{
			name:    "mapping value in a scalar",
			files:   map[string]string{"tenants/acme.yaml": "slug: acme\ntemplate: party: x\n"},
			want:    []string{"tenants/acme.yaml:2:", "mapping value is not allowed"},
			invalid: []string{"acme"},
		},
		{
			name:   "no landlord.yaml",
			files:  map[string]string{"landlord.yaml": ""},
			want:   []string{"landlord.yaml: not found"},
			global: true,
		},
		{
			name:   "no basic layer",
			files:  map[string]string{"layers/basic/schema.hcl": ""},
			want:   []string{"layers/basic:1:1: the basic layer has no .hcl files"},
			global: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := repoFS(tc.files)
			if tc.name == "no basic layer" {
				delete(fsys, "layers/basic/schema.hcl")
			}
			if tc.name == "no landlord.yaml" {
				delete(fsys, "landlord.yaml")
			}
			r := load(t, fsys, LoadOptions{})
			problems := r.Problems()
			found := false
			for _, p := range problems {
				msg := p.Error()
				ok := true
				for _, w := range tc.want {
					if !strings.Contains(msg, w) {
						ok = false
					}
				}
				found = found || ok
			}
			if !found {
				t.Fatalf("no error with %q among:\n%s", tc.want, problems)
			}
			if strings.Contains(problems.Error(), "hunter2") {
				t.Errorf("an error shows the password: %s", problems)
			}
			if tc.global {
				if len(r.Errors) == 0 {
					t.Errorf("want a repository-wide error, got only %s", problems)
				}
				return
			}
			if len(r.Errors) > 0 {
				t.Errorf("repository-wide errors for a tenant problem: %s", r.Errors)
			}
			for _, tn := range r.Tenants {
				if contains(tc.invalid, tn.Slug) == tn.Valid() {
					t.Errorf("tenant %s valid=%v, want %v (errors: %v)", tn.Slug, tn.Valid(), !contains(tc.invalid, tn.Slug), tn.Errors)
				}
			}
		})
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"HOST": "db.internal", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for in, want := range map[string]string{
		"mysql://app@${HOST}:3306/":        "mysql://app@db.internal:3306/",
		"${URL:-sqlite://.landlord/x}":     "sqlite://.landlord/x",
		"${EMPTY:-sqlite://d}":             "sqlite://d",
		"mysql://app:${PASS}@${HOST}/":     "error: PASS",
		"mysql://app@${HOST:-other}:3306/": "mysql://app@db.internal:3306/",
	} {
		got, err := expand(in, lookup)
		if err != nil {
			got = "error: " + strings.TrimPrefix(err.Error(), "environment variable ")
			got = strings.TrimSuffix(got, " is not set")
		}
		if got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestServerOverride: --server replaces a URL whose variable is unset, and
// a URL with an unset variable fails only the tenants on that server.
func TestServerOverride(t *testing.T) {
	files := map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db:3306/\n"}
	r := load(t, repoFS(files), LoadOptions{})
	if len(r.Errors) > 0 {
		t.Fatalf("an unset variable is not a repository error: %s", r.Errors)
	}
	if err := r.Config.Servers["primary"].URLError; err == nil || !strings.Contains(err.Error(), "LANDLORD_PRIMARY_PASSWORD is not set") {
		t.Errorf("URLError = %v", err)
	}
	r = load(t, repoFS(files), LoadOptions{Servers: map[string]string{"primary": "sqlite://elsewhere"}})
	if s := r.Config.Servers["primary"]; s.URLError != nil || s.URL != "sqlite://elsewhere" {
		t.Errorf("override: %+v", s)
	}
	env := map[string]string{"LANDLORD_PRIMARY_PASSWORD": "s3cret", "LANDLORD_PRIMARY_PASSWORD_HOSTS": "db"}
	r = load(t, repoFS(files), LoadOptions{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if s := r.Config.Servers["primary"]; s.URL != "mysql://app:s3cret@db:3306/" {
		t.Errorf("expanded: %q", s.URL)
	}
}

// TestServerOverrideUnknown: a --server name landlord.yaml does not define
// (a typo) is an error listing the defined ones, never a new server while
// the tenants fall back to the default URL.
func TestServerOverrideUnknown(t *testing.T) {
	_, err := Load(repoFS(nil), "rev", LoadOptions{Servers: map[string]string{"primay": "mysql://root@db:3306/"}})
	var ue *UnknownServerError
	if !errors.As(err, &ue) {
		t.Fatalf("Load = %v, want an *UnknownServerError", err)
	}
	if got, want := err.Error(), `--server primay=…: landlord.yaml defines no server "primay" (defined: primary)`; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}

// TestConfigTypoKeepsURLs: an unknown field in landlord.yaml is reported,
// and the rest is still read: the server URL is expanded, not left as
// ${VAR:-default} for a later check to call an unknown scheme.
func TestConfigTypoKeepsURLs(t *testing.T) {
	r := load(t, repoFS(map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: ${LANDLORD_PRIMARY_URL:-sqlite://tenants}\npolcy:\n  allowDestructive: true\n"}), LoadOptions{})
	if got := r.Errors.Error(); !strings.Contains(got, `landlord.yaml:4:1: polcy: unknown field "polcy"`) || len(r.Errors) != 1 {
		t.Errorf("errors:\n%s\nwant only the unknown field polcy", got)
	}
	if s := r.Config.Servers["primary"]; s == nil || s.URL != "sqlite://tenants" || s.Line != 3 {
		t.Errorf("server primary: %+v, want its URL expanded to sqlite://tenants, at line 3", s)
	}
}

func TestWarnings(t *testing.T) {
	r := load(t, repoFS(map[string]string{"layers/custom/ghost/x.hcl": "", "tenants/old.yml": "slug: old\n"}), LoadOptions{})
	w := strings.Join(r.Warnings, "\n")
	if !strings.Contains(w, `layers/custom/ghost: no tenant "ghost"`) || !strings.Contains(w, "tenants/old.yml: ignored") {
		t.Errorf("warnings: %s", w)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDatabasePrefix: a server's databasePrefix goes before the database
// name of every tenant on it; a bad prefix, or a name it makes too long, is
// an error at its line.
func TestDatabasePrefix(t *testing.T) {
	r := load(t, repoFS(map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: sqlite://tenants\n    databasePrefix: stg_\n"}), LoadOptions{})
	if p := r.Problems(); len(p) > 0 {
		t.Fatalf("problems: %s", p)
	}
	acme, _ := r.Tenant("acme")
	beta, _ := r.Tenant("beta")
	if acme.Database != "stg_acme" || beta.Database != "stg_beta_db" {
		t.Errorf("databases %q and %q, want stg_acme and stg_beta_db", acme.Database, beta.Database)
	}
	r = load(t, repoFS(map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: sqlite://tenants\n    databasePrefix: 'stg`; x'\n"}), LoadOptions{})
	if got := r.Errors.Error(); !strings.Contains(got, "landlord.yaml:4:21: servers.primary.databasePrefix: invalid database prefix") {
		t.Errorf("errors: %s", got)
	}
	r = load(t, repoFS(map[string]string{
		"landlord.yaml":     "servers:\n  primary:\n    url: sqlite://tenants\n    databasePrefix: staging_environment_\n",
		"tenants/beta.yaml": "slug: beta\ntemplate: party\nmodules: [social, election]\ndatabase: " + strings.Repeat("b", 50) + "\n",
	}), LoadOptions{})
	beta, _ = r.Tenant("beta")
	if got := beta.Errors.Error(); !strings.Contains(got, "tenants/beta.yaml:4:11: database: database name") || !strings.Contains(got, "longer than 64 characters") {
		t.Errorf("beta errors: %s", got)
	}
}

// TestSQLiteURLInRepo: a relative sqlite:// directory in landlord.yaml is
// in the repository's directory, when it has one; an override is left as
// it is (relative to the working directory, like any path on a command
// line).
func TestSQLiteURLInRepo(t *testing.T) {
	files := map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: ${LANDLORD_PRIMARY_URL:-sqlite://.landlord/tenants}\n  abs:\n    url: ${LANDLORD_ABS_URL}\n"}
	env := func(k string) (string, bool) { return "sqlite:///var/lib/tenants", k == "LANDLORD_ABS_URL" }
	r := load(t, repoFS(files), LoadOptions{Dir: "/srv/repo", LookupEnv: env})
	if got := r.Config.Servers["primary"].URL; got != "sqlite:///srv/repo/.landlord/tenants" {
		t.Errorf("relative: %q, want it in the repository", got)
	}
	if got := r.Config.Servers["abs"].URL; got != "sqlite:///var/lib/tenants" {
		t.Errorf("absolute, from the environment: %q", got)
	}
	r = load(t, repoFS(files), LoadOptions{Dir: "/srv/repo", Servers: map[string]string{"primary": "sqlite://here"}})
	if got := r.Config.Servers["primary"].URL; got != "sqlite://here" {
		t.Errorf("override: %q, want it as given", got)
	}
	r = load(t, repoFS(files), LoadOptions{})
	if got := r.Config.Servers["primary"].URL; got != "sqlite://.landlord/tenants" {
		t.Errorf("no directory (a remote repository): %q", got)
	}
}
