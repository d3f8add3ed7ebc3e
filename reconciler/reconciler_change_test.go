package reconciler

import (
	"context"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

const electionFile = "layers/modules/election/election.hcl"

// addElectionColumn adds candidates.manifesto_url to the election module.
func addElectionColumn(t testing.TB, repo string) {
	testenv.Replace(t, repo, electionFile, `  column "nominated_on" {`, `  column "manifesto_url" {
    type = varchar(255)
    null = true
  }
  column "nominated_on" {`)
}

// TestModuleChange: a column added to a module changes exactly the tenants
// with that module, attributed to that layer and file; a column removed is
// blocked as destructive by default, nothing of the tenant's plan applied,
// and applied when allowed.
func TestModuleChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)
	f.reconcile(Options{})

	addElectionColumn(t, f.repo)
	plan := f.reconcile(Options{Plan: true})
	got := byslug(plan)
	for slug, want := range map[string]Action{"nepali-congress": ActionUpdate, "cpn-uml": ActionUpdate, "rastriya-swatantra": ActionNoop, "janamat": ActionSuspended} {
		if got[slug].Action != want {
			t.Errorf("plan: %s is %s, want %s", slug, got[slug].Action, want)
		}
	}
	for _, slug := range []string{"nepali-congress", "cpn-uml"} {
		ch := got[slug].Changes
		if len(ch) != 1 {
			t.Fatalf("plan %s: %d changes, want 1: %+v", slug, len(ch), ch)
		}
		if ch[0].Layer != "module/election" || ch[0].File != electionFile || ch[0].Destructive ||
			!strings.Contains(ch[0].SQL, "ADD COLUMN `manifesto_url`") || !strings.Contains(ch[0].SQL, "`"+f.database(slug)+"`.`candidates`") {
			t.Errorf("plan %s: %+v", slug, ch[0])
		}
	}
	if contains(f.columns("cpn-uml", "candidates"), "manifesto_url") {
		t.Fatal("--plan changed a database")
	}

	applied := f.reconcile(Options{})
	if applied.Applied != 2 || applied.Counts.Updated != 2 || applied.Failed() {
		t.Fatalf("apply: %d statements, counts %+v", applied.Applied, applied.Counts)
	}
	if !contains(f.columns("cpn-uml", "candidates"), "manifesto_url") {
		t.Fatal("column not added")
	}
	if again := f.reconcile(Options{Plan: true}); again.Changed() {
		t.Fatalf("plan after apply still has changes")
	}

	// Remove the column again, and add an index in the same layer: the
	// plan holds a destructive statement, so none of it applies.
	testenv.Replace(t, f.repo, electionFile, `  column "manifesto_url" {
    type = varchar(255)
    null = true
  }
`, "")
	testenv.Replace(t, f.repo, electionFile, `  index "candidates_member_idx" {`, `  index "candidates_year_idx" {
    columns = [column.election_year]
  }
  index "candidates_member_idx" {`)
	blocked := f.reconcile(Options{})
	got = byslug(blocked)
	if got["cpn-uml"].Action != ActionBlocked || !strings.Contains(got["cpn-uml"].Error, "drops column manifesto_url") {
		t.Fatalf("cpn-uml: %s %q, want blocked naming the dropped column", got["cpn-uml"].Action, got["cpn-uml"].Error)
	}
	if got["rastriya-swatantra"].Action != ActionNoop || !blocked.Failed() {
		t.Errorf("others: %+v, failed=%v", blocked.Counts, blocked.Failed())
	}
	var destructive int
	for _, c := range got["cpn-uml"].Changes {
		if c.Destructive {
			destructive++
		}
	}
	// One ALTER TABLE per table: the drop and the new index in one
	// statement, destructive as a whole.
	if destructive != 1 || len(got["cpn-uml"].Changes) != 1 {
		t.Errorf("blocked plan: %+v", got["cpn-uml"].Changes)
	}
	if !contains(f.columns("cpn-uml", "candidates"), "manifesto_url") || blocked.Applied != 0 {
		t.Fatal("a blocked plan was applied")
	}
	stmts, err := f.store.Statements(ctx, blocked.RunID, "cpn-uml")
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 1 || stmts[0].Status != state.StatementBlocked {
		t.Errorf("blocked statements recorded as %+v", stmts)
	}
	rec, _, _ := f.store.Tenant(ctx, "cpn-uml")
	if rec.Sync != state.OutOfSync || !strings.Contains(rec.LastError, "blocked") {
		t.Errorf("blocked tenant recorded as %s %q", rec.Sync, rec.LastError)
	}

	allowed := f.reconcile(Options{AllowDestructive: true})
	if allowed.Failed() || allowed.Applied != 2 {
		t.Fatalf("allowed: %d applied, %+v", allowed.Applied, allowed.Counts)
	}
	if contains(f.columns("cpn-uml", "candidates"), "manifesto_url") {
		t.Fatal("destructive change not applied when allowed")
	}
}

// TestDestructivePolicyInManifest: policy.allowDestructive in a tenant
// manifest allows that tenant only.
func TestDestructivePolicyInManifest(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	f.reconcile(Options{})
	testenv.Replace(t, f.repo, "layers/modules/social/social.hcl", `  index "posts_published_idx" {
    columns = [column.published_at]
  }
`, "")
	testenv.Replace(t, f.repo, "tenants/rastriya-swatantra.yaml", "domain:", "policy:\n  allowDestructive: true\ndomain:")
	testenv.Replace(t, f.repo, "landlord.yaml", "  allowDestructive: false", "  allowDestructive: false\n  tenantOverrides: true")
	res := byslug(f.reconcile(Options{}))
	if res["rastriya-swatantra"].Action != ActionUpdate || res["nepali-congress"].Action != ActionBlocked {
		t.Fatalf("rsp %s, congress %s: want update and blocked", res["rastriya-swatantra"].Action, res["nepali-congress"].Action)
	}
	for _, c := range res["nepali-congress"].Changes {
		if !c.Destructive || !strings.Contains(strings.Join(c.Reasons, ","), "drops index posts_published_idx") {
			t.Errorf("change %+v: want a destructive index drop", c)
		}
	}
}
