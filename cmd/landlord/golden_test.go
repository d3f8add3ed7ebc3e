package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/state"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got), or run with -update:\n%s", path, d)
	}
}

// inUTC makes the local zone UTC for the test: outputs show times in the
// local zone, and the golden files must hold on every machine.
func inUTC(t *testing.T) {
	local := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = local })
}

// planResult is a plan of the four kinds of tenants the outputs tell apart:
// a new one, an update with a destructive drop (attributed to the file that
// removed the column) and drift left in place, a blocked one, a server
// that cannot be reached, and a suspended one.
func planResult() *reconciler.Result {
	seen := time.Date(2026, 11, 27, 15, 53, 12, 0, time.UTC)
	add := reconciler.Change{SQL: "ALTER TABLE `candidates` ADD COLUMN `manifesto_url` varchar(255) NULL", Layer: "module/election", File: "layers/modules/election/election.hcl", Line: 58}
	drop := reconciler.Change{SQL: "ALTER TABLE `members` DROP COLUMN `voter_id`", Layer: "module/election", File: "layers/modules/election/election.hcl", Line: 175,
		Revision: "48c857f947bb0a1d2c3e4f5a6b7c8d9e0f1a2b3c", Destructive: true, Reasons: []string{"drops column voter_id"}}
	return &reconciler.Result{
		Revision: "3f9c2e1a7b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f", Plan: true, Against: reconciler.AgainstLive,
		Counts: state.Counts{Total: 6, Created: 1, Updated: 2, Blocked: 1, Failed: 1, Suspended: 1},
		Tenants: []reconciler.TenantResult{
			{Slug: "cpn-uml", Server: "primary", Engine: "mariadb", Database: "cpn_uml", Action: reconciler.ActionUpdate, Changes: []reconciler.Change{add},
				Drift: []reconciler.DriftFinding{{Drift: state.Drift{Object: "members.nickname", Kind: "column", Table: "members", Name: "nickname", Change: "added", Severity: "medium", Detail: "varchar(40) NULL", FirstSeen: &seen}, Action: reconciler.DriftLeft}}},
			{Slug: "janamat", Server: "primary", Engine: "mariadb", Database: "janamat", Action: reconciler.ActionSuspended},
			{Slug: "nepali-congress", Server: "primary", Engine: "mariadb", Database: "nepali_congress", Action: reconciler.ActionUpdate, Changes: []reconciler.Change{add}},
			{Slug: "new-party", Server: "primary", Engine: "mariadb", Database: "new_party", Action: reconciler.ActionCreate, Changes: []reconciler.Change{
				{SQL: "CREATE DATABASE `new_party` CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci", Layer: "basic", File: "layers/basic/schema.hcl", Line: 3}}},
			{Slug: "rastriya-swatantra", Server: "primary", Engine: "mariadb", Database: "rsp", Action: reconciler.ActionBlocked, Changes: []reconciler.Change{drop},
				Error: "blocked: 1 destructive statement(s) (drops column voter_id); allow with --allow-destructive or policy.allowDestructive"},
			{Slug: "ujyaalo", Server: "replica", Engine: "mysql", Database: "ujyaalo", Action: reconciler.ActionError, ServerFailed: true,
				Error: `server "replica": connect mysql://landlord:xxxxx@db2:3306/: dial tcp 10.0.0.2:3306: connect: connection refused`},
		},
	}
}

// TestGoldenReconcileOutputs: the text, JSON and markdown forms of a plan,
// and the text of an apply, as the golden files hold them.
func TestGoldenReconcileOutputs(t *testing.T) {
	inUTC(t)
	res := planResult()
	var text, js, md bytes.Buffer
	writeResult(&text, res)
	golden(t, "plan.txt", text.Bytes())
	if err := writeJSON(&js, resultJSON(res)); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.json", js.Bytes())
	writeMarkdown(&md, res, markdownLimit)
	golden(t, "plan.md", md.Bytes())

	applied := planResult()
	applied.Plan, applied.RunID, applied.Applied, applied.Duration = false, 7, 2, 1500*time.Millisecond
	for i := range applied.Tenants {
		applied.Tenants[i].Duration = 250 * time.Millisecond
		if applied.Tenants[i].Action == reconciler.ActionUpdate || applied.Tenants[i].Action == reconciler.ActionCreate {
			applied.Tenants[i].Applied = len(applied.Tenants[i].Changes)
		}
	}
	var out bytes.Buffer
	writeResult(&out, applied)
	golden(t, "apply.txt", out.Bytes())
}

// TestGoldenDriftOutput: the text of a drift check.
func TestGoldenDriftOutput(t *testing.T) {
	seen := time.Date(2026, 11, 27, 15, 53, 12, 0, time.UTC)
	res := &reconciler.DriftResult{
		Revision: "3f9c2e1a7b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f", Duration: 320 * time.Millisecond,
		Counts: reconciler.DriftCounts{Total: 3, Drifted: 1, Clean: 1, Failed: 1, Findings: 1},
		Tenants: []reconciler.TenantDrift{
			{Slug: "cpn-uml", Server: "primary", Database: "cpn_uml", Status: reconciler.DriftFound,
				Baseline: &reconciler.Baseline{SnapshotID: 4, RunID: 3, Revision: "48c857f947bb0a1d2c3e4f5a6b7c8d9e0f1a2b3c", TakenAt: seen},
				Drift:    []state.Drift{{Object: "members.nickname", Kind: "column", Table: "members", Name: "nickname", Change: "added", Severity: "medium", Detail: "varchar(40) NULL"}}},
			{Slug: "nepali-congress", Server: "primary", Database: "nepali_congress", Status: reconciler.DriftClean, Drift: []state.Drift{}},
			{Slug: "ujyaalo", Server: "replica", Database: "ujyaalo", Status: reconciler.DriftError, ServerFailed: true, Drift: []state.Drift{},
				Error: `server "replica": connect mysql://landlord:xxxxx@db2:3306/: dial tcp 10.0.0.2:3306: connect: connection refused`},
		},
	}
	inUTC(t)
	var out bytes.Buffer
	writeDrift(&out, res)
	golden(t, "drift.txt", out.Bytes())
}

// TestGoldenValidateOutput: validate's errors, compiler style, then the
// summary.
func TestGoldenValidateOutput(t *testing.T) {
	v := &reconciler.Validation{Revision: "3f9c2e1a7b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f", Tenants: 4, Compositions: 3,
		Errors: []reconciler.Problem{
			{File: "landlord.yaml", Line: 9, Column: 10, Message: `server url "mysql://db:notaport/": invalid port ":notaport" after host`, Tenants: []string{"cpn-uml", "nepali-congress"}},
			{File: "layers/basic", Line: 1, Column: 1, Message: "the basic layer has no .hcl files; it must declare the schema block every tenant starts from", Tenants: []string{"cpn-uml", "nepali-congress"}},
			{File: "tenants/rsp.yaml", Line: 6, Column: 10, Message: "flow sequence [ is not closed: ',' or ']' must be specified", Tenant: "rsp", Tenants: []string{"rsp"}},
		},
		Warnings: []string{`layers/custom/ghost: no tenant "ghost"; the layer is not used`},
	}
	var out, js bytes.Buffer
	writeValidation(&out, v)
	golden(t, "validate.txt", out.Bytes())
	if err := writeJSON(&js, v); err != nil {
		t.Fatal(err)
	}
	golden(t, "validate.json", js.Bytes())
}

// TestGoldenStatusOutput: status as a table and as JSON. The JSON is the
// documented contract: a field renamed in the landlord database's records
// shows here.
func TestGoldenStatusOutput(t *testing.T) {
	inUTC(t)
	at := time.Date(2026, 11, 27, 15, 53, 12, 0, time.UTC)
	all := []state.Status{
		{Tenant: state.Tenant{Slug: "cpn-uml", Name: "CPN (UML)", Template: "political-party", TemplateVersion: "1.4.0", Modules: []string{"election"},
			Server: "primary", Database: "cpn_uml", Lifecycle: "active", Sync: state.OutOfSync, Health: state.Healthy,
			LastAttemptedRevision: "3f9c2e1a7b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f", LastAppliedRevision: "3f9c2e1a7b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
			DesiredHash: "9f2c41d0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", LiveHash: "77aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a", DatabaseCreatedAt: &at, LastSyncedAt: &at,
			LastRunID: 7, UpdatedAt: at},
			Drift: state.DriftSummary{Open: 1, Highest: state.SeverityMedium, LastSeen: &at}, Snapshots: 3,
			LastRun: &state.LastRun{TenantRun: state.TenantRun{RunID: 7, Tenant: "cpn-uml", Revision: "3f9c2e1a7b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f", Action: "noop",
				Outcome: state.OutcomeSucceeded, StartedAt: at, FinishedAt: at}, Trigger: "cli"}},
		{Tenant: state.Tenant{Slug: "janamat", Name: "Janamat Party", Template: "political-party", Modules: []string{},
			Server: "primary", Database: "janamat", Lifecycle: "suspended", Sync: state.Unknown, Health: state.SuspendedHealth, UpdatedAt: at}},
	}
	var text, js bytes.Buffer
	if err := writeStatuses(&text, all, "text"); err != nil {
		t.Fatal(err)
	}
	golden(t, "status.txt", text.Bytes())
	if err := writeStatuses(&js, all, "json"); err != nil {
		t.Fatal(err)
	}
	golden(t, "status.json", js.Bytes())
}
