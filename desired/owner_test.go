package desired

import (
	"strings"
	"testing"
)

// What a tenant may own: never the server's own databases, the landlord
// database, landlord's scratch databases or a denied name; and a manifest
// may loosen landlord.yaml's policy only where landlord.yaml allows it.
func TestTenantMayNotOwn(t *testing.T) {
	config := "servers:\n  primary:\n    url: sqlite://tenants\ndatabase:\n  deny: [billing, \"legacy_*\"]\n"
	for _, tc := range []struct {
		database, want string
		reserved       []string
	}{
		{"mysql", `tenants/beta.yaml:4:11: database: a tenant may not have database "mysql": mysql is a database of the server itself`, nil},
		{"sys", "is a database of the server itself", nil},
		{"information_schema", "is a database of the server itself", nil},
		{"performance_schema", "is a database of the server itself", nil},
		{"landlord", "landlord is the landlord database", nil},
		{"control", "control is the landlord database", []string{"Control"}},
		{"landlord_dev_0a1b", "names starting with landlord_dev_ are landlord's scratch databases", nil},
		{"billing", "billing is denied by database.deny (billing) in landlord.yaml", nil},
		{"legacy_crm", "legacy_crm is denied by database.deny (legacy_*) in landlord.yaml", nil},
		{"landlord_archive", "names starting with landlord_ are landlord's own", nil},
	} {
		t.Run(tc.database, func(t *testing.T) {
			r := load(t, repoFS(map[string]string{
				"landlord.yaml":     config,
				"tenants/beta.yaml": "slug: beta\ntemplate: party\nmodules: [social, election]\ndatabase: " + tc.database + "\n",
			}), LoadOptions{Reserved: tc.reserved})
			beta, _ := r.Tenant("beta")
			acme, _ := r.Tenant("acme")
			if len(beta.Errors) != 1 || !strings.Contains(beta.Errors[0].Error(), tc.want) {
				t.Fatalf("errors %v: want one containing %q", beta.Errors, tc.want)
			}
			if beta.Database != "" || !acme.Valid() {
				t.Errorf("beta database %q (want none), acme errors %v (want none)", beta.Database, acme.Errors)
			}
		})
	}
	// A server's databasePrefix is part of the name: the prefixed name is
	// the one checked.
	for _, tc := range []struct{ prefix, database, want string }{
		{"my", "sql", `tenants/beta.yaml:4:11: database: a tenant may not have database "mysql" (with the databasePrefix of server "primary"): mysql is a database of the server itself`},
		{"land", "lord", "landlord is the landlord database"},
		{"landlord_", "dev_x_1_1_x", "names starting with landlord_dev_ are landlord's scratch databases"},
		{"legacy_", "crm", "legacy_crm is denied by database.deny"},
	} {
		t.Run("prefix "+tc.prefix+tc.database, func(t *testing.T) {
			r := load(t, repoFS(map[string]string{
				"landlord.yaml":     strings.Replace(config, "url: sqlite://tenants", "url: sqlite://tenants\n    databasePrefix: "+tc.prefix, 1),
				"tenants/beta.yaml": "slug: beta\ntemplate: party\nmodules: [social, election]\ndatabase: " + tc.database + "\n",
			}), LoadOptions{})
			beta, _ := r.Tenant("beta")
			if len(beta.Errors) != 1 || !strings.Contains(beta.Errors[0].Error(), tc.want) || beta.Database != "" {
				t.Fatalf("database %q, errors %v: want one containing %q", beta.Database, beta.Errors, tc.want)
			}
		})
	}
	t.Run("slug", func(t *testing.T) {
		r := load(t, repoFS(map[string]string{"tenants/sys.yaml": "slug: sys\ntemplate: party\nmodules: [election]\n"}), LoadOptions{})
		sys, _ := r.Tenant("sys")
		if len(sys.Errors) != 1 || !strings.Contains(sys.Errors[0].Error(), `tenants/sys.yaml:1:7: slug: a tenant may not have database "sys"`) {
			t.Fatalf("errors %v", sys.Errors)
		}
	})
}

func TestManifestOnlyTightensPolicy(t *testing.T) {
	const loosen = "slug: beta\ntemplate: party\nmodules: [social, election]\npolicy:\n  allowDestructive: true\n"
	for _, tc := range []struct {
		name, config, manifest, wantErr string
		want                            bool
	}{
		{"loosen refused", "policy:\n  allowDestructive: false\n", loosen,
			"tenants/beta.yaml:5:21: policy.allowDestructive: a tenant manifest may only tighten the policy of landlord.yaml: allowDestructive: true needs policy.tenantOverrides: true in landlord.yaml", false},
		{"loosen refused by default", "", loosen, "needs policy.tenantOverrides: true", false},
		{"loosen with tenantOverrides", "policy:\n  tenantOverrides: true\n", loosen, "", true},
		{"tighten", "policy:\n  allowDestructive: true\n", "slug: beta\ntemplate: party\nmodules: [social, election]\npolicy:\n  allowDestructive: false\n", "", false},
		{"same", "policy:\n  allowDestructive: true\n", loosen, "", true},
		{"heal refused", "", "slug: beta\ntemplate: party\nmodules: [social, election]\npolicy:\n  drift: heal\n",
			"tenants/beta.yaml:5:10: policy.drift: a tenant manifest may only tighten the policy of landlord.yaml: drift: heal needs policy.tenantOverrides: true", false},
		{"heal with tenantOverrides", "policy:\n  tenantOverrides: true\n", "slug: beta\ntemplate: party\nmodules: [social, election]\npolicy:\n  drift: heal\n", "", false},
		{"report tightens heal", "policy:\n  drift: heal\n", "slug: beta\ntemplate: party\nmodules: [social, election]\npolicy:\n  drift: report\n", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := load(t, repoFS(map[string]string{
				"landlord.yaml":     "servers:\n  primary:\n    url: sqlite://tenants\n" + tc.config,
				"tenants/beta.yaml": tc.manifest,
			}), LoadOptions{})
			beta, _ := r.Tenant("beta")
			var got string
			if len(beta.Errors) > 0 {
				got = beta.Errors[0].Error()
			}
			if tc.wantErr == "" && got != "" || tc.wantErr != "" && !strings.Contains(got, tc.wantErr) {
				t.Fatalf("error %q: want %q", got, tc.wantErr)
			}
			if beta.AllowDestructive != tc.want {
				t.Errorf("allowDestructive %t: want %t", beta.AllowDestructive, tc.want)
			}
		})
	}
}

// A file whose name could carry markup or terminal control characters
// into plans, logs and pull-request comments is not read; the error shows
// its name escaped.
func TestFileNamesArePlain(t *testing.T) {
	for _, name := range []string{
		"layers/custom/acme/\x1b[2J\x1b[31mFAKE\x1b[0m.hcl",
		"layers/custom/acme/a` <img src=https:evil.example> [click](https:evil.example) `.hcl",
		"tenants/ga ma.yaml",
	} {
		data := ""
		if strings.HasPrefix(name, "tenants/") {
			data = "slug: gama\ntemplate: party\nmodules: [election]\n"
		}
		r := load(t, repoFS(map[string]string{name: data}), LoadOptions{})
		problems := r.Problems().Error()
		if !strings.Contains(problems, "landlord reads files named with ASCII letters, digits and . _ - + @ only") {
			t.Errorf("%q: problems %s", name, problems)
		}
		if shown, _, _ := strings.Cut(problems, ": landlord reads"); strings.ContainsAny(shown, "\x1b`<>[] ") {
			t.Errorf("%q: the problems show the name raw: %q", name, problems)
		}
	}
}

// A manifest is one YAML document: a second one, which nothing would
// read, is an error rather than a manifest a reviewer may take for the
// tenant's.
func TestManifestIsOneDocument(t *testing.T) {
	r := load(t, repoFS(map[string]string{
		"tenants/beta.yaml": "slug: beta\ntemplate: party\nmodules: [election]\n---\nslug: evil\ndatabase: mysql\n",
	}), LoadOptions{})
	beta, ok := r.Tenant("beta")
	problems := r.Problems().Error()
	if ok && beta.Valid() || !strings.Contains(problems, "tenants/beta.yaml:4: a second YAML document") {
		t.Fatalf("problems: %s", problems)
	}
	if _, ok := r.Tenant("evil"); ok {
		t.Error("the second document made a tenant")
	}
}

// Files where landlord reads none are warned about, as tenants/*.yml is:
// a directory under tenants/, a .hcl file directly under layers/custom.
func TestIgnoredPlacesWarned(t *testing.T) {
	r := load(t, repoFS(map[string]string{
		"tenants/more/gama.yaml":  "slug: gama\ntemplate: party\nmodules: [election]\n",
		"layers/custom/extra.hcl": "",
	}), LoadOptions{})
	warnings := strings.Join(r.Warnings, "\n")
	for _, want := range []string{"tenants/more: ignored", "layers/custom/extra.hcl: ignored"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings %q: want %q", warnings, want)
		}
	}
}

// A value is read as written: a YAML tag that turns it into something
// else (!!binary dA== is "t") is an error.
func TestManifestTagsRefused(t *testing.T) {
	r := load(t, repoFS(map[string]string{
		"tenants/beta.yaml": "slug: beta\ntemplate: !!binary cGFydHk=\nmodules: [election]\n",
	}), LoadOptions{})
	if problems := r.Problems().Error(); !strings.Contains(problems, `tenants/beta.yaml:2:11: the tag "!!binary"`) {
		t.Fatalf("problems: %s", problems)
	}
	r = load(t, repoFS(map[string]string{
		"tenants/beta.yaml": "slug: !!str beta\ntemplate: party\nmodules: [election]\n",
	}), LoadOptions{})
	if beta, ok := r.Tenant("beta"); !ok || !beta.Valid() {
		t.Fatalf("!!str refused: %s", r.Problems().Error())
	}
}
