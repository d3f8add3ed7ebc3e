package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/reconciler"
)

// TestValidateExample: the example validates with no database at all. The
// server URL points at a port nothing listens on, so any connection
// attempt would fail the command.
func TestValidateExample(t *testing.T) {
	for _, args := range [][]string{
		{"validate", "--repo", testenv.ExampleDir()},
		{"validate", "--repo", testenv.ExampleDir(), "--server", "primary=mysql://root@127.0.0.1:1/"},
	} {
		code, out, errOut := landlord(t, "", args...)
		if code != 0 || !strings.Contains(out, "valid: 4 tenants") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
}

// TestValidateThreeFaults is the acceptance case: three faults, three
// errors, each at its file and line; the tenant that uses the broken module
// is not reported a second time.
func TestValidateThreeFaults(t *testing.T) {
	dir := testenv.CopyExample(t, "")
	testenv.Replace(t, dir, "tenants/cpn-uml.yaml", "domain:", "colour: red\ndomain:")
	testenv.Replace(t, dir, "layers/modules/volunteers/module.yaml", "requires: [election]", "requires: [election, payments]")
	testenv.Replace(t, dir, "layers/custom/nepali-congress/congress.hcl", "table \"mahasamiti_delegates\" {", "table \"mahasamiti_delegates\" {\n  schema = schema.tenant(")

	code, out, errOut := landlord(t, "", "validate", "--repo", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var errs []string
	for _, l := range lines[:len(lines)-1] {
		file, rest, _ := strings.Cut(l, ": ")
		errs = append(errs, file+" "+strings.SplitN(rest, " ", 2)[0])
	}
	want := []string{
		"layers/custom/nepali-congress/congress.hcl:5:25 Missing",
		"layers/modules/volunteers/module.yaml:4:22 requires[1]:",
		"tenants/cpn-uml.yaml:6:1 colour:",
	}
	if diff := cmp.Diff(errs, want); diff != "" {
		t.Errorf("errors (-got +want):\n%s\n%s", diff, out)
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "3 error(s); 2 of 4 tenants cannot be reconciled: cpn-uml, nepali-congress") {
		t.Errorf("summary: %s", last)
	}

	code, out, _ = landlord(t, "", "validate", "--repo", dir, "--output", "json")
	var v reconciler.Validation
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 1 {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	if len(v.Errors) != 3 || v.Errors[0].Tenant != "nepali-congress" || v.Errors[1].Tenant != "" ||
		!cmp.Equal(v.Errors[1].Tenants, []string{"nepali-congress"}) || v.Errors[2].Line != 6 {
		t.Errorf("json errors: %+v", v.Errors)
	}
}

// TestValidateOneBadTenant: a repository with a single bad tenant file
// reports that file only.
func TestValidateOneBadTenant(t *testing.T) {
	dir := testenv.CopyExample(t, "")
	testenv.Replace(t, dir, "tenants/rastriya-swatantra.yaml", "modules: [social]", "modules: [social, social]\ntemplate: [oops]")
	code, out, _ := landlord(t, "", "validate", "--repo", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) < 2 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "tenants/rastriya-swatantra.yaml:") {
			t.Errorf("error outside the bad file: %s", l)
		}
	}
}
