package reconciler

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
)

// loadDir loads the repository in dir with the environment env.
func loadDir(t *testing.T, dir string, env map[string]string) *desired.Repo {
	t.Helper()
	repo, err := desired.Load(os.DirFS(dir), "test", desired.LoadOptions{LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func TestValidateExample(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"", "mysql://root@127.0.0.1:1/", "mariadb://root@127.0.0.1:1/"} {
		v := Validate(loadDir(t, testenv.ExampleDir(), map[string]string{"LANDLORD_PRIMARY_URL": url}))
		if !v.Valid() {
			t.Errorf("url %q: errors: %v", url, v.Errors)
		}
		if v.Tenants != 4 || v.Compositions != 4 {
			t.Errorf("url %q: %d tenants, %d compositions, want 4 and 4", url, v.Tenants, v.Compositions)
		}
	}
}

func TestValidateReportsRootCausesOnce(t *testing.T) {
	t.Parallel()
	dir := testenv.CopyExample(t, "")
	// A syntax error in a module two tenants use, an SQLite-only fault in
	// another module, and a template that requires a missing module.
	testenv.Replace(t, dir, "layers/modules/election/election.hcl", "schema = schema.tenant", "schema = = schema.tenant")
	testenv.Replace(t, dir, "layers/modules/social/social.hcl", "table \"reactions\" {\n  schema = schema.tenant\n  column \"post_id\" {\n    type     = bigint\n",
		"table \"reactions\" {\n  schema = schema.tenant\n  column \"post_id\" {\n    type     = bigint\n    auto_increment = true\n")
	v := Validate(loadDir(t, dir, nil))
	var got []string
	for _, p := range v.Errors {
		got = append(got, p.File+" "+strings.Join(p.Tenants, ","))
	}
	want := []string{
		"layers/modules/election/election.hcl cpn-uml,nepali-congress",
		// nepali-congress's composition stops at the syntax error.
		"layers/modules/social/social.hcl rastriya-swatantra",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Fatalf("errors (-got +want):\n%s\n%v", diff, v.Errors)
	}
	if !strings.Contains(v.Errors[1].Message, "SQLite allows AUTO_INCREMENT only") || v.Errors[1].Line == 0 {
		t.Errorf("sqlite error: %+v", v.Errors[1])
	}
	// The same repository for MariaDB: an auto-increment column that is
	// part of a primary key is no problem there.
	v = Validate(loadDir(t, dir, map[string]string{"LANDLORD_PRIMARY_URL": "mariadb://root@127.0.0.1:1/"}))
	for _, p := range v.Errors {
		if strings.Contains(p.Message, "SQLite") {
			t.Errorf("mariadb: %s", p)
		}
	}
}

func TestValidateUnknownEngine(t *testing.T) {
	t.Parallel()
	dir := testenv.CopyExample(t, "")
	testenv.Replace(t, dir, "landlord.yaml", "${LANDLORD_PRIMARY_URL:-sqlite://.landlord/tenants}", "${LANDLORD_OTHER_URL}")
	v := Validate(loadDir(t, dir, nil))
	if len(v.Errors) != 1 {
		t.Fatalf("want one error for the server, got %v", v.Errors)
	}
	p := v.Errors[0]
	if p.File != "landlord.yaml" || p.Line != 9 || !strings.Contains(p.Message, "LANDLORD_OTHER_URL is not set") || !strings.Contains(p.Message, "engine:") {
		t.Errorf("got %s", p)
	}
	if diff := cmp.Diff(p.Tenants, []string{"cpn-uml", "janamat", "nepali-congress", "rastriya-swatantra"}); diff != "" {
		t.Errorf("tenants: %s", diff)
	}
	// Declaring the engine is enough.
	testenv.Replace(t, dir, "landlord.yaml", "    url: ${LANDLORD_OTHER_URL}", "    url: ${LANDLORD_OTHER_URL}\n    engine: mariadb")
	if v := Validate(loadDir(t, dir, nil)); !v.Valid() {
		t.Errorf("with engine declared: %v", v.Errors)
	}
}

// BenchmarkValidateExample measures an offline validate of the example:
// load, syntax of every layer file, and four compositions.
func BenchmarkValidateExample(b *testing.B) {
	for b.Loop() {
		repo, err := desired.Load(os.DirFS(testenv.ExampleDir()), "bench", desired.LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if v := Validate(repo); !v.Valid() {
			b.Fatal(v.Errors)
		}
	}
}

// TestValidateDemoData: a demo.yaml that names a column the tenant does
// not have is an error at its line, for the tenants whose layers hold it.
func TestValidateDemoData(t *testing.T) {
	t.Parallel()
	dir := testenv.CopyExample(t, "")
	testenv.Replace(t, dir, "layers/modules/election/demo.yaml", "    votes: {int: [0, 3000]}", "    vote: {int: [0, 3000]}")
	v := Validate(loadDir(t, dir, nil))
	if len(v.Errors) != 1 {
		t.Fatalf("errors: %v", v.Errors)
	}
	p := v.Errors[0]
	if p.File != "layers/modules/election/demo.yaml" || p.Line == 0 || !strings.Contains(p.Message, `unknown column "vote" of table election_results`) ||
		strings.Join(p.Tenants, ",") != "cpn-uml,nepali-congress" {
		t.Errorf("problem: %+v", p)
	}
}
