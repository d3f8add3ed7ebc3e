package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/landlord/landlord/internal/testenv"
)

// workflowCommand is a landlord command line of the example's GitHub
// Actions workflow, with the file its output is redirected to.
type workflowCommand struct {
	step   string
	args   []string
	output string
}

// workflowCommands reads the landlord command lines of the workflow's run
// steps, expanding $VAR from env, in order.
func workflowCommands(t *testing.T, path string, env map[string]string) []workflowCommand {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string `yaml:"name"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	var out []workflowCommand
	for _, step := range wf.Jobs["plan"].Steps {
		for _, line := range strings.Split(step.Run, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "landlord ") {
				continue
			}
			cmd := workflowCommand{step: step.Name}
			line, cmd.output, _ = strings.Cut(line, " > ")
			line = os.Expand(line, func(k string) string {
				v, ok := env[k]
				if !ok {
					t.Fatalf("workflow step %q uses $%s, which the test does not set", step.Name, k)
				}
				return v
			})
			for _, f := range strings.Fields(line)[1:] {
				cmd.args = append(cmd.args, strings.Trim(f, `"'`))
			}
			out = append(out, cmd)
		}
	}
	return out
}

// TestWorkflowCommands runs the landlord commands of the example's GitHub
// Actions workflow, as the workflow runs them (from the repository root,
// configured by the environment), against the example provisioned on
// MariaDB with a pull request's changes on disk.
func TestWorkflowCommands(t *testing.T) {
	url := testenv.MySQLURL(t)
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, testenv.DB(t), prefix)
	dir := testenv.CopyExample(t, prefix)
	state := filepath.Join(t.TempDir(), "landlord.db")
	t.Chdir(dir)
	t.Setenv("LANDLORD_PRIMARY_URL", url)
	t.Setenv("LANDLORD_STATE", state)
	if code, out, errOut := landlord(t, "", "reconcile"); code != 0 {
		t.Fatalf("provision: exit %d\n%s%s", code, out, errOut)
	}
	// The pull request: a column in a module, and a new tenant.
	testenv.Replace(t, dir, "layers/modules/election/election.hcl", "table \"candidates\" {\n  schema = schema.tenant\n",
		"table \"candidates\" {\n  schema = schema.tenant\n  column \"manifesto_url\" {\n    type = varchar(255)\n    null = true\n  }\n")
	testenv.WriteFile(t, dir, "tenants/new-party.yaml", "slug: new-party\ntemplate: political-party\ndatabase: "+prefix+"new_party\n")

	workflow := filepath.Join(dir, ".github", "workflows", "landlord.yml")
	raw, _ := os.ReadFile(workflow)
	if !strings.Contains(string(raw), "const marker = '"+markdownMarker+"'") {
		t.Errorf("the comment step must find its comment by the report's marker %s", markdownMarker)
	}
	reports := map[string]string{}
	for _, against := range []string{"live", "state"} {
		cmds := workflowCommands(t, workflow, map[string]string{"PLAN_AGAINST": against})
		if len(cmds) != 2 || cmds[0].args[0] != "validate" || cmds[1].args[0] != "reconcile" {
			t.Fatalf("the workflow should validate, then plan: %+v", cmds)
		}
		for _, c := range cmds {
			code, out, errOut := landlord(t, "", c.args...)
			if c.output != "" {
				if err := os.WriteFile(filepath.Join(dir, c.output), []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			switch c.args[0] {
			case "validate":
				if code != 0 {
					t.Errorf("%s: exit %d\n%s%s", c.step, code, out, errOut)
				}
			case "reconcile":
				if code != 2 || !strings.HasPrefix(out, markdownMarker+"\n") ||
					!strings.Contains(out, "#### Update · `cpn-uml`, `nepali-congress`") || !strings.Contains(out, "#### Create · `new-party`") {
					t.Errorf("%s against %s: exit %d, want 2 with the grouped report\n%s%s", c.step, against, code, out, errOut)
				}
				reports[against], _, _ = strings.Cut(out, "<sub>")
			}
		}
	}
	// The plan from the landlord database is the live plan.
	live := reports["live"]
	fromState := strings.Replace(reports["state"], "Planned against the snapshots in the landlord database, not the live databases.\n\n", "", 1)
	if withoutBasis(fromState) != live {
		t.Errorf("the report against state differs from the live one:\n--- live\n%s\n--- state\n%s", live, fromState)
	}
}

// withoutBasis drops the lines naming each tenant's snapshot.
func withoutBasis(report string) string {
	var keep []string
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, "- `") && (strings.Contains(l, "`: planned from snapshot") || strings.Contains(l, "`: no snapshot")) {
			continue
		}
		keep = append(keep, l)
	}
	return strings.ReplaceAll(strings.Join(keep, "\n"), "\n\n\n", "\n\n")
}
