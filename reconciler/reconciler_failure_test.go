package reconciler

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

const customFile = "layers/custom/nepali-congress/congress.hcl"

// TestBrokenCustomLayer: a custom layer that does not compose, and one that
// composes but the server rejects, fail their tenant only; the others are
// provisioned, and the failure is recorded with its cause.
func TestBrokenCustomLayer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)

	// Does not compose: a reference to a table that does not exist.
	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/broken.hcl", `table "donations" {
  schema = schema.tenant
  column "id" {
    type = bigint
  }
  column "member_id" {
    type = bigint
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "donations_member_fk" {
    columns     = [column.member_id]
    ref_columns = [table.no_such_table.column.id]
  }
}
`)
	res := f.reconcile(Options{})
	got := byslug(res)
	if got["nepali-congress"].Action != ActionError || !strings.Contains(got["nepali-congress"].Error, "layers/custom/nepali-congress/broken.hcl") {
		t.Fatalf("nepali-congress: %s %q, want an error naming the file", got["nepali-congress"].Action, got["nepali-congress"].Error)
	}
	if got["cpn-uml"].Action != ActionCreate || got["rastriya-swatantra"].Action != ActionCreate {
		t.Fatalf("others not provisioned: %+v", res.Counts)
	}
	if f.exists("nepali-congress") {
		t.Error("a tenant whose layers do not compose got a database")
	}
	if got["nepali-congress"].Class != Stalled {
		t.Errorf("composition error classed %s, want stalled", got["nepali-congress"].Class)
	}

	// Composes, but MariaDB rejects it: a foreign key between columns of
	// different types. The desired schema is first applied to an empty
	// scratch database, so the tenant is never touched.
	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/broken.hcl", `table "donations" {
  schema = schema.tenant
  column "id" {
    type = bigint
  }
  column "member_ref" {
    type = varchar(20)
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "donations_member_fk" {
    columns     = [column.member_ref]
    ref_columns = [table.members.column.id]
  }
}
`)
	res = f.reconcile(Options{})
	got = byslug(res)
	if e := got["nepali-congress"].Error; got["nepali-congress"].Action != ActionError || !strings.Contains(e, "does not apply to an empty database") ||
		!strings.Contains(e, "custom/nepali-congress") || !strings.Contains(e, "broken.hcl:1") {
		t.Fatalf("nepali-congress: %s %q, want the rejected statement with its layer and file", got["nepali-congress"].Action, e)
	}
	if f.exists("nepali-congress") {
		t.Error("the tenant database was created for a schema the server rejects")
	}
	if got["cpn-uml"].Action != ActionNoop || got["rastriya-swatantra"].Action != ActionNoop {
		t.Fatalf("others: %+v", res.Counts)
	}

	// Applies to an empty database but not to the tenant's data: a unique
	// index over duplicate rows. The statements before the failing one
	// stay applied, the failure is recorded, the others are untouched.
	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/broken.hcl", "")
	if res := f.reconcile(Options{}); res.Failed() {
		t.Fatalf("provisioning nepali-congress: %+v", res.Tenants)
	}
	if _, err := f.db.Exec("INSERT INTO `" + f.database("nepali-congress") + "`.audit_logs (action) VALUES ('login'), ('login')"); err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/broken.hcl", `table "audit_logs" {
  schema = schema.tenant
  index "audit_logs_action_unique" {
    unique  = true
    columns = [column.action]
  }
}
`)
	res = f.reconcile(Options{})
	got = byslug(res)
	if got["nepali-congress"].Action != ActionError || !strings.Contains(got["nepali-congress"].Error, "Duplicate entry") {
		t.Fatalf("nepali-congress: %s %q, want the server's duplicate-key error", got["nepali-congress"].Action, got["nepali-congress"].Error)
	}
	if got["cpn-uml"].Action != ActionNoop || got["rastriya-swatantra"].Action != ActionNoop || res.Counts.Failed != 1 {
		t.Fatalf("others: %+v", res.Counts)
	}
	stmts, err := f.store.Statements(ctx, res.RunID, "nepali-congress")
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 1 || stmts[0].Status != state.StatementFailed || !strings.Contains(stmts[0].Error, "Duplicate entry") {
		t.Errorf("statements recorded: %+v", stmts)
	}
	rec, _, _ := f.store.Tenant(ctx, "nepali-congress")
	if rec.Health != state.Degraded || rec.LastError == "" {
		t.Errorf("failed tenant recorded as %s %q", rec.Health, rec.LastError)
	}
	run, _, _ := f.store.GetRun(ctx, res.RunID)
	if run.Outcome != state.RunFailed || run.Counts.Failed != 1 {
		t.Errorf("run recorded as %s %+v", run.Outcome, run.Counts)
	}

	// The data fixed, the tenant converges.
	if _, err := f.db.Exec("DELETE FROM `" + f.database("nepali-congress") + "`.audit_logs WHERE id > 1"); err != nil {
		t.Fatal(err)
	}
	res = f.reconcile(Options{})
	if byslug(res)["nepali-congress"].Action != ActionUpdate || res.Failed() {
		t.Fatalf("after the fix: %+v %q", res.Counts, byslug(res)["nepali-congress"].Error)
	}
	rec, _, _ = f.store.Tenant(ctx, "nepali-congress")
	if rec.Health != state.Healthy || rec.Sync != state.Synced || rec.LastError != "" {
		t.Errorf("converged tenant recorded as %s/%s %q", rec.Sync, rec.Health, rec.LastError)
	}
}

// TestConcurrentReconciles: two reconciles of one tenant at once never
// apply twice: the second waits for the lock, re-plans and finds nothing.
func TestConcurrentReconciles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMariaFixture(t)
	second := &fixture{t: t, repo: f.repo, server: f.server, prefix: f.prefix, db: f.db}
	second.store = f.store
	second.rec = New(f.store, nil)
	second.rec.SetBackups(testBackups(t))
	t.Cleanup(func() { second.rec.Close() })

	for round := 0; round < 2; round++ {
		if round == 1 {
			addElectionColumn(t, f.repo)
		}
		var (
			wg      sync.WaitGroup
			results [2]*Result
		)
		for i, fx := range []*fixture{f, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := fx.rec.Reconcile(ctx, fx.load(), Options{Tenants: []string{"cpn-uml"}})
				if err != nil {
					t.Error(err)
					return
				}
				results[i] = res
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		a, b := byslug(results[0])["cpn-uml"], byslug(results[1])["cpn-uml"]
		if a.Action == ActionError || b.Action == ActionError {
			t.Fatalf("round %d: %q %q", round, a.Error, b.Error)
		}
		if (a.Action == ActionNoop) == (b.Action == ActionNoop) {
			t.Errorf("round %d: actions %s and %s, want one change and one no-op", round, a.Action, b.Action)
		}
		// The ledger: each statement applied once over both runs.
		seen := map[string]int{}
		for _, r := range results {
			stmts, err := f.store.Statements(ctx, r.RunID, "cpn-uml")
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range stmts {
				if s.Status == state.StatementApplied {
					seen[s.SQL]++
				}
			}
		}
		if len(seen) == 0 {
			t.Fatalf("round %d: nothing applied", round)
		}
		for sql, n := range seen {
			if n != 1 {
				t.Errorf("round %d: applied %d times: %s", round, n, sql)
			}
		}
	}
}

// A plan the landlord database cannot record is not applied: the ledger
// would say nothing happened. The tenant fails as transient, its database
// unchanged, and converges once the landlord database records again.
func TestUnrecordedPlanNotApplied(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	if res := f.reconcile(Options{Tenants: []string{"cpn-uml"}}); res.Failed() {
		t.Fatalf("%+v", res.Tenants)
	}
	f.addLayerTable("unrecorded")
	// A real failure of the landlord database's own: its statements
	// table takes no row.
	if _, err := f.store.DB().Exec("CREATE TRIGGER no_statements BEFORE INSERT ON statements BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"); err != nil {
		t.Fatal(err)
	}
	res := f.reconcile(Options{Tenants: []string{"cpn-uml"}})
	tr := res.Tenants[0]
	if tr.Action != ActionError || tr.Class != Transient || !strings.Contains(tr.Error, "not applied: the landlord database did not record the plan") || tr.Applied != 0 {
		t.Fatalf("%s %s %d applied: %s", tr.Action, tr.Class, tr.Applied, tr.Error)
	}
	if cols := f.columns("cpn-uml", "unrecorded"); len(cols) != 0 {
		t.Fatalf("the plan ran: table unrecorded has %v", cols)
	}
	if _, err := f.store.DB().Exec("DROP TRIGGER no_statements"); err != nil {
		t.Fatal(err)
	}
	if tr := f.reconcile(Options{Tenants: []string{"cpn-uml"}}).Tenants[0]; tr.Error != "" || len(f.columns("cpn-uml", "unrecorded")) != 1 {
		t.Fatalf("after: %s %s", tr.Action, tr.Error)
	}
}

// A landlord database that stalls mid-run (on MariaDB, its stallTimeout
// one second here) fails the plan it could not record, and every tenant
// after it fails at once without being applied, instead of each waiting
// for the landlord database with its lock held.
func TestStalledLandlordDatabase(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits out the landlord database's stall timeout a few times: make test runs it, make test-short does not")
	}
	f := newMariaFixture(t)
	u := testenv.MySQLURL(t)
	p := testenv.NewProxy(t, u[strings.LastIndex(u, "@")+1:strings.LastIndex(u, "/")])
	name := f.prefix + "state"
	if _, err := f.db.Exec("CREATE DATABASE `" + name + "`"); err != nil {
		t.Fatal(err)
	}
	f.open(strings.TrimSuffix(p.URL(), "/") + "/" + name + "?stallTimeout=1s")
	if res := f.reconcile(Options{}); res.Failed() {
		t.Fatalf("%+v", res.Tenants)
	}
	f.addLayerTable("stalled")
	stalled := false
	begin := time.Now()
	res, _ := f.rec.Reconcile(context.Background(), f.load(), Options{Concurrency: 1, Progress: func(tr TenantResult) {
		t.Logf("%s done %s after %s: %s", tr.Slug, tr.Action, time.Since(begin), tr.Error)
		if !stalled {
			stalled = true
			p.Stall()
		}
	}})
	p.Resume()
	applied, refused := 0, 0
	for _, tr := range res.Tenants {
		switch {
		case tr.Action == ActionUpdate && tr.Error == "":
			applied++
		case strings.Contains(tr.Error, "not applied: the landlord database did not record the plan"):
			refused++
			if cols := f.columns(tr.Slug, "stalled"); len(cols) != 0 {
				t.Errorf("%s: refused, but applied", tr.Slug)
			}
		}
	}
	if applied != 1 || refused < 2 || !stalled {
		for _, tr := range res.Tenants {
			t.Logf("%s: %s %s", tr.Slug, tr.Action, tr.Error)
		}
		t.Fatalf("%d applied before the stall (want 1), %d refused after it (want the others)", applied, refused)
	}
}
