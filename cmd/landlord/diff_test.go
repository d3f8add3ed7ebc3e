package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/reconciler"
)

// commitAll makes dir a git repository with everything in it committed.
func commitAll(t *testing.T, dir string) {
	t.Helper()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddGlob("."); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "test", Email: "test@example.com", When: time.Unix(1_800_000_000, 0)}
	if _, err := wt.Commit("base", &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		t.Fatal(err)
	}
}

func TestDiffRevisions(t *testing.T) {
	dir := testenv.CopyExample(t, "")
	commitAll(t, dir)
	// Head, on disk: a column added in the election module (cpn-uml and
	// nepali-congress), a new tenant, rastriya-swatantra renamed to rsp
	// with its database kept, janamat removed, and nepali-congress on a
	// database of another name.
	testenv.Replace(t, dir, "layers/modules/election/election.hcl", "table \"candidates\" {\n  schema = schema.tenant\n",
		"table \"candidates\" {\n  schema = schema.tenant\n  column \"manifesto_url\" {\n    type = varchar(255)\n    null = true\n  }\n")
	testenv.WriteFile(t, dir, "tenants/new-party.yaml", "slug: new-party\ntemplate: political-party\nmodules: [social]\n")
	if err := os.Rename(filepath.Join(dir, "tenants/rastriya-swatantra.yaml"), filepath.Join(dir, "tenants/rsp.yaml")); err != nil {
		t.Fatal(err)
	}
	testenv.Replace(t, dir, "tenants/rsp.yaml", "slug: rastriya-swatantra", "slug: rsp")
	if err := os.Remove(filepath.Join(dir, "tenants/janamat.yaml")); err != nil {
		t.Fatal(err)
	}
	testenv.Replace(t, dir, "tenants/nepali-congress.yaml", "domain:", "database: congress\ndomain:")

	for _, url := range []string{"sqlite://.landlord/tenants", "mariadb://root@127.0.0.1:1/"} {
		code, out, errOut := landlord(t, "", "diff", "--repo", dir, "--base", "HEAD", "--detailed-exitcode", "--output", "json", "--server", "primary="+url)
		if code != 2 {
			t.Fatalf("%s: exit %d, want 2\n%s%s", url, code, out, errOut)
		}
		var res reconciler.DiffResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		statements := map[string]int{}
		for _, td := range res.Tenants {
			got[td.Slug] = td.Status + " " + td.RenamedFrom
			statements[td.Slug] = len(td.Changes)
		}
		want := map[string]string{
			"cpn-uml": "changed ", "janamat": "removed ", "nepali-congress": "moved ",
			"new-party": "added ", "rsp": "renamed rastriya-swatantra",
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("%s: statuses (-got +want):\n%s", url, diff)
		}
		if statements["cpn-uml"] != 1 || statements["rsp"] != 0 || statements["janamat"] != 0 ||
			statements["new-party"] < 20 || statements["nepali-congress"] < 20 {
			t.Errorf("%s: statements per tenant: %v", url, statements)
		}
	}

	// The same revision on both sides: nothing differs.
	code, out, _ := landlord(t, "", "diff", "--repo", dir, "--base", "HEAD", "--head", "HEAD", "--detailed-exitcode")
	if code != 0 {
		t.Errorf("HEAD to HEAD: exit %d\n%s", code, out)
	}
}
