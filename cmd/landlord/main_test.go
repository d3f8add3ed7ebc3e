package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// landlord runs the command in-process and returns its exit code and output.
func landlord(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	if dir != "" {
		wd, _ := os.Getwd()
		if err := os.Chdir(dir); err != nil {
			t.Fatal(err)
		}
		defer os.Chdir(wd)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

type planDoc struct {
	Revision string `json:"revision"`
	Tenants  []struct {
		Slug     string `json:"slug"`
		Server   string `json:"server"`
		Database string `json:"database"`
		Action   string `json:"action"`
		Error    string `json:"error"`
		Changes  []struct {
			SQL         string `json:"sql"`
			Layer       string `json:"layer"`
			File        string `json:"file"`
			Destructive bool   `json:"destructive"`
		} `json:"changes"`
	} `json:"tenants"`
}

func decodePlan(t *testing.T, out string) planDoc {
	t.Helper()
	var doc planDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	return doc
}

// TestDemo runs what make demo runs: the example on SQLite with the
// defaults of landlord.yaml, from the repository's directory; the second
// run changes nothing.
func TestDemo(t *testing.T) {
	repo := testenv.CopyExample(t, "")
	t.Setenv("LANDLORD_PRIMARY_URL", "")
	code, out, errOut := landlord(t, repo, "reconcile")
	if code != 0 {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"nepali-congress", "create", "3 created, 0 updated, 0 unchanged, 0 blocked, 0 failed, 1 suspended"} {
		if !strings.Contains(out, want) {
			t.Errorf("first run output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"nepali_congress.db", "cpn_uml.db", "rsp.db"} {
		if _, err := os.Stat(filepath.Join(repo, ".landlord", "tenants", f)); err != nil {
			t.Errorf("tenant file: %v", err)
		}
	}
	code, out, _ = landlord(t, repo, "reconcile")
	if code != 0 || !strings.Contains(out, "0 created, 0 updated, 3 unchanged") || !strings.Contains(out, "0 statements applied") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
	code, out, _ = landlord(t, repo, "status", "-o", "json")
	var status struct {
		Tenants []map[string]any `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(out), &status); err != nil || code != 0 {
		t.Fatalf("status: exit %d %v\n%s", code, err, out)
	}
	for _, tn := range status.Tenants {
		for _, k := range []string{"slug", "sync", "health", "last_applied_revision", "desired_hash", "live_hash", "last_synced_at"} {
			if _, ok := tn[k]; !ok {
				t.Errorf("status json lacks %s: %v", k, tn)
			}
		}
		if tn["slug"] != "janamat" && (tn["sync"] != "Synced" || tn["health"] != "Healthy") {
			t.Errorf("status %v", tn)
		}
	}
}

// TestPlanExitCodes follows the acceptance on MariaDB: provision, --plan
// --detailed-exitcode exits 0; a column added to the election module exits
// 2 with the change listed, in JSON, for the election tenants only, with
// layer and file; applying brings it back to 0.
func TestPlanExitCodes(t *testing.T) {
	prefix := testenv.Name(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	repo := testenv.CopyExample(t, prefix)
	state := filepath.Join(t.TempDir(), "ll.db")
	base := []string{"--repo", repo, "--server", "primary=" + testenv.MySQLURL(t), "--state", state}

	if code, out, errOut := landlord(t, "", append([]string{"reconcile"}, base...)...); code != 0 {
		t.Fatalf("provision: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := landlord(t, "", append([]string{"reconcile", "--plan", "--detailed-exitcode"}, base...)...); code != 0 {
		t.Fatalf("plan after provisioning: exit %d\n%s", code, out)
	}
	testenv.Replace(t, repo, "layers/modules/election/election.hcl", `  column "nominated_on" {`, "  column \"manifesto_url\" {\n    type = varchar(255)\n    null = true\n  }\n  column \"nominated_on\" {")
	code, out, errOut := landlord(t, "", append([]string{"reconcile", "--plan", "--detailed-exitcode", "-o", "json"}, base...)...)
	if code != 2 {
		t.Fatalf("plan with a change: exit %d, want 2\n%s%s", code, out, errOut)
	}
	doc := decodePlan(t, out)
	if doc.Revision == "" || len(doc.Tenants) != 4 {
		t.Fatalf("plan json: %+v", doc)
	}
	for _, tn := range doc.Tenants {
		election := tn.Slug == "nepali-congress" || tn.Slug == "cpn-uml"
		if election != (len(tn.Changes) == 1) {
			t.Errorf("%s: %d changes", tn.Slug, len(tn.Changes))
			continue
		}
		if election {
			c := tn.Changes[0]
			if tn.Action != "update" || c.Layer != "module/election" || c.File != "layers/modules/election/election.hcl" || c.Destructive || !strings.Contains(c.SQL, "manifesto_url") {
				t.Errorf("%s: %s %+v", tn.Slug, tn.Action, c)
			}
		}
	}
	if code, out, _ := landlord(t, "", append([]string{"reconcile"}, base...)...); code != 0 || !strings.Contains(out, "2 updated") {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if code, _, _ := landlord(t, "", append([]string{"reconcile", "--plan", "--detailed-exitcode"}, base...)...); code != 0 {
		t.Fatalf("plan after apply: exit %d", code)
	}

	// A destructive change is blocked: exit 1, and 1 with --plan too.
	testenv.Replace(t, repo, "layers/modules/election/election.hcl", "  column \"manifesto_url\" {\n    type = varchar(255)\n    null = true\n  }\n", "")
	if code, out, _ := landlord(t, "", append([]string{"reconcile", "--plan", "--detailed-exitcode"}, base...)...); code != 1 || !strings.Contains(out, "! ALTER TABLE") {
		t.Errorf("plan of a blocked change: exit %d\n%s", code, out)
	}
	if code, out, _ := landlord(t, "", append([]string{"reconcile"}, base...)...); code != 1 || !strings.Contains(out, "blocked") {
		t.Errorf("blocked apply: exit %d\n%s", code, out)
	}
}

// TestNoSecretsInOutput: a password given on the command line or in the
// environment never shows, even when the connection fails.
func TestNoSecretsInOutput(t *testing.T) {
	repo := testenv.CopyExample(t, testenv.Name(t))
	state := filepath.Join(t.TempDir(), "ll.db")
	for _, args := range [][]string{
		{"reconcile", "--repo", repo, "--state", state, "--server", "primary=mysql://root:Sup3rSecret@127.0.0.1:1/"},
		{"reconcile", "--repo", repo, "--state", state, "--plan", "-o", "json", "--server", "primary=mysql://nobody:Sup3rSecret@127.0.0.1:3306/"},
		{"status", "--state", "mysql://root:Sup3rSecret@127.0.0.1:1/landlord"},
		{"reconcile", "--repo", repo, "--state", state, "--server", "primary=mysql://root:Sup3rSecret@127.0.0.1:3306/path"},
		{"reconcile", "--repo", "https://user:Sup3rSecret@127.0.0.1:1/repo.git", "--state", state},
	} {
		code, out, errOut := landlord(t, "", append(args, "--log-level", "debug")...)
		if code == 0 {
			t.Errorf("%v: exit 0", args)
		}
		if strings.Contains(out+errOut, "Sup3rSecret") {
			t.Errorf("%v: the password shows:\n%s%s", args, out, errOut)
		}
		if out+errOut == "" {
			t.Errorf("%v: no message", args)
		}
	}
	t.Setenv("LANDLORD_PRIMARY_URL", "mysql://root:Sup3rSecret@127.0.0.1:1/")
	code, out, errOut := landlord(t, "", "reconcile", "--repo", repo, "--state", state, "-o", "json")
	if code != 1 || strings.Contains(out+errOut, "Sup3rSecret") || !strings.Contains(out, "xxxxx") {
		t.Errorf("password from the environment: exit %d\n%s%s", code, out, errOut)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"reconcile", "--output", "yaml"}, `--output "yaml"`},
		{[]string{"reconcile", "--detailed-exitcode"}, "--detailed-exitcode goes with --plan"},
		{[]string{"reconcile", "--server", "primary"}, "want NAME=URL"},
		{[]string{"reconcile", "--concurrency", "0"}, "--concurrency 0"},
		{[]string{"reconcile", "--repo", "/nonexistent/dir"}, "not a directory"},
		{[]string{"reconcile", "--repo", testenv.ExampleDir(), "--tenant", "nobody", "--plan"}, `no tenant "nobody"`},
		{[]string{"status", "--state", "/nonexistent/ll.db"}, "no landlord database at /nonexistent/ll.db"},
	} {
		code, _, errOut := landlord(t, "", tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
}
