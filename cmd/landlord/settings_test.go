package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSettingsEveryCommand: every command takes its settings as serve
// does: a flag wins over LANDLORD_<FLAG>, which wins over the --config
// file; a file can hold other commands' settings, and anything else in it
// is an error at its line.
func TestSettingsEveryCommand(t *testing.T) {
	r := newSQLiteRepo(t)
	config := filepath.Join(t.TempDir(), "landlord-settings.yaml")
	write := func(s string) {
		if err := os.WriteFile(config, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("plan: true\ntenant: [cpn-uml]\noutput: json\nstate: " + r.state + "\nserver: [primary=sqlite://" + r.tenants + "]\nlisten: ':9999'\n")
	base := []string{"reconcile", "--repo", r.dir, "--config", config}

	code, out, errOut := landlord(t, "", base...)
	if code != 0 || !strings.HasPrefix(out, "{") || !strings.Contains(out, `"plan": true`) || strings.Count(out, `"slug"`) != 1 {
		t.Fatalf("from the file: exit %d, want a JSON plan of cpn-uml\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(r.tenants, "cpn_uml.db")); err == nil {
		t.Error("the file's plan: true was not applied: a database was created")
	}
	t.Setenv("LANDLORD_OUTPUT", "text")
	if code, out, _ = landlord(t, "", base...); code != 0 || !strings.Contains(out, "TENANT") {
		t.Errorf("the environment over the file: exit %d, want text\n%s", code, out)
	}
	if code, out, _ = landlord(t, "", append(base, "-o", "json")...); code != 0 || !strings.HasPrefix(out, "{") {
		t.Errorf("a flag over the environment: exit %d, want JSON\n%s", code, out)
	}
	t.Setenv("LANDLORD_OUTPUT", "")

	write("plan: true\noutptu: json\n")
	if code, _, errOut = landlord(t, "", base...); code != 1 || !strings.Contains(errOut, config+`:2: unknown setting "outptu"`) {
		t.Errorf("a typo in the file: exit %d, %q", code, errOut)
	}
	write("plan: true\ntenant: [cpn-uml\noutput: json\n")
	if code, _, errOut = landlord(t, "", base...); code != 1 || !strings.Contains(errOut, config+":2:9: flow sequence [ is not closed") {
		t.Errorf("a syntax error in the file: exit %d, %q, want it at its line and column", code, errOut)
	}
	write("")
	t.Setenv("LANDLORD_CONCURRENCY", "many")
	if code, _, errOut = landlord(t, "", base...); code != 1 || !strings.Contains(errOut, "LANDLORD_CONCURRENCY") {
		t.Errorf("a bad value in the environment: exit %d, %q", code, errOut)
	}
	t.Setenv("LANDLORD_CONCURRENCY", "")

	// The git token from a file, as for serve.
	t.Setenv("LANDLORD_GIT_TOKEN_FILE", filepath.Join(t.TempDir(), "missing"))
	if code, _, errOut = landlord(t, "", "validate", "--repo", r.dir); code != 1 || !strings.Contains(errOut, "LANDLORD_GIT_TOKEN_FILE") {
		t.Errorf("LANDLORD_GIT_TOKEN_FILE: exit %d, %q", code, errOut)
	}
}
