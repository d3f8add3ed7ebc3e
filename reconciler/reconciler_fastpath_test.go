package reconciler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/schema"
)

// TestFastPath: after a clean, verified no-op the tenants' fingerprints are
// recorded; the next drift check and reconcile find an unchanged tenant
// clean and unchanged without locking it (they finish while another
// session holds its lock), and a tenant changed by hand has its drift
// found as before. Tenants that declare reference data always take the
// full path (TestFastPathNotForData): this fixture's layers declare none.
func TestFastPath(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	for _, dir := range []string{"basic", "templates/political-party"} {
		if err := os.RemoveAll(filepath.Join(f.repo, "layers", dir, "data")); err != nil {
			t.Fatal(err)
		}
	}
	first := f.reconcile(Options{})
	if first.Counts.Created == 0 {
		t.Fatalf("nothing created: %+v", first.Counts)
	}
	// The fingerprints are recorded by the run that created the tenants
	// (read after the apply and again after the verify): the next run
	// finds them unchanged without inspecting them.
	fps, err := f.store.TenantFingerprints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fps) != first.Counts.Created {
		t.Fatalf("%d fingerprints recorded for %d tenants created", len(fps), first.Counts.Created)
	}
	second := f.reconcile(Options{})
	if second.Counts.Unchanged != first.Counts.Created {
		t.Fatalf("second run: %+v", second.Counts)
	}
	for _, tr := range second.Tenants {
		if tr.Action == ActionNoop && !tr.fast {
			t.Errorf("%s: inspected again right after its creation", tr.Slug)
		}
	}

	ctx := context.Background()
	conn, err := f.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got int
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", "landlord:"+f.database("nepali-congress")).Scan(&got); err != nil || got != 1 {
		t.Fatalf("take the tenant's lock: %v %d", err, got)
	}
	defer conn.ExecContext(ctx, "SELECT RELEASE_LOCK(?)", "landlord:"+f.database("nepali-congress"))
	if _, err := f.db.Exec("ALTER TABLE `" + f.database("cpn-uml") + "`.users ADD INDEX by_hand (phone)"); err != nil {
		t.Fatal(err)
	}

	// drift takes the fast path too: the locked, unchanged tenant is clean
	// against its baseline, the changed one has drift.
	dr, err := f.rec.Drift(ctx, f.load(), DriftOptions{LockWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range dr.Tenants {
		switch td.Slug {
		case "nepali-congress":
			if td.Status != DriftClean || td.Baseline == nil {
				t.Errorf("drift of %s (locked elsewhere, unchanged): %s %s", td.Slug, td.Status, td.Error)
			}
		case "cpn-uml":
			if td.Status != DriftFound {
				t.Errorf("drift of %s: %s %s, want the index added by hand", td.Slug, td.Status, td.Error)
			}
		}
	}

	third := f.reconcile(Options{LockWait: time.Second})
	for _, tr := range third.Tenants {
		switch tr.Slug {
		case "nepali-congress":
			if tr.Action != ActionNoop || !tr.fast {
				t.Errorf("%s (locked elsewhere, unchanged): %s %s, by fingerprint: %v", tr.Slug, tr.Action, tr.Error, tr.fast)
			}
		case "cpn-uml":
			if len(tr.Drift) == 0 {
				t.Errorf("%s: the index added by hand is no drift (%s %s)", tr.Slug, tr.Action, tr.Error)
			}
		}
	}
	// The no-ops by fingerprint are recorded as every tenant's outcome,
	// in one transaction at the end of the run.
	runID := third.RunID
	rec, ok, err := f.store.Tenant(ctx, "nepali-congress")
	if err != nil || !ok || rec.LastRunID != runID {
		t.Errorf("the unchanged tenant's record names run %d, want %d (%v)", rec.LastRunID, runID, err)
	}
	trs, err := f.store.TenantRuns(ctx, "", runID, 100)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]string{}
	for _, tr := range trs {
		recorded[tr.Tenant] = tr.Action
	}
	for _, tr := range third.Tenants {
		if recorded[tr.Slug] != string(tr.Action) {
			t.Errorf("run %d recorded %q for %s, want %q", runID, recorded[tr.Slug], tr.Slug, tr.Action)
		}
	}
}

// TestFastPathNotForData: a tenant whose layers declare reference data is
// inspected every time, however still its catalog: a declared row deleted
// out of band moves no fingerprint, and drift still finds it.
func TestFastPathNotForData(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	f.reconcile(Options{})
	f.reconcile(Options{})
	if _, err := f.db.Exec("UPDATE `" + f.database("cpn-uml") + "`.provinces SET capital = 'Dharan' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	res, err := f.rec.Drift(context.Background(), f.load(), DriftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range res.Tenants {
		if td.Slug == "cpn-uml" && len(td.Drift) == 0 {
			t.Errorf("cpn-uml: a declared row changed out of band is not drift: %+v", td)
		}
	}
}

// TestVerifiedAlike: tenants of one layer set created (and later changed)
// by one run are verified by inspection once; the others, whose
// fingerprint after the apply is the verified one's, are verified by it.
// Their baselines are what an inspection of each gives, the next run finds
// every tenant unchanged by its fingerprint, and drift finds all clean. A
// tenant whose schema after the apply differs (a table made by hand in its
// database, which the plan leaves alone) is inspected.
func TestVerifiedAlike(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	family := f.alikeFamily()
	ctx := context.Background()
	check := func(res *Result, action Action, wantAlike int) {
		t.Helper()
		alike := 0
		for _, tr := range res.Tenants {
			if tr.Error != "" {
				t.Fatalf("%s: %s", tr.Slug, tr.Error)
			}
			if !slices.Contains(family, tr.Slug) {
				if tr.alike {
					t.Errorf("%s, the only tenant of its layer set, was verified by another's fingerprint", tr.Slug)
				}
				continue
			}
			if tr.Action != action {
				t.Errorf("%s: %s, want %s", tr.Slug, tr.Action, action)
			}
			if tr.alike {
				alike++
			}
			// The baseline is what an inspection of the tenant gives.
			base, ok, err := f.store.Baseline(ctx, tr.Slug)
			if err != nil || !ok {
				t.Fatalf("%s: no baseline (%v)", tr.Slug, err)
			}
			snap, err := f.rec.Snapshot(ctx, f.load(), tr.Slug, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if base.Hash != snap.Hash || base.HCL != snap.HCL || base.DDL != snap.DDL || base.Hash != tr.DesiredHash {
				t.Errorf("%s: the baseline recorded (%s) is not the schema inspected (%s)", tr.Slug, base.Hash, snap.Hash)
			}
		}
		if alike != wantAlike {
			t.Errorf("%d tenants verified by another's fingerprint, want %d", alike, wantAlike)
		}
	}
	// One at a time, so that the first of the family is verified before
	// the others are applied.
	check(f.reconcile(Options{Concurrency: 1}), ActionCreate, len(family)-1)

	second := f.reconcile(Options{})
	for _, tr := range second.Tenants {
		if tr.Action == ActionSuspended {
			continue
		}
		if tr.Action != ActionNoop || !tr.fast {
			t.Errorf("%s: %s (by fingerprint: %v) right after its creation", tr.Slug, tr.Action, tr.fast)
		}
	}

	// A table made by hand in one tenant (drift, left alone by the
	// reconcile) makes its schema after the apply unlike the others'.
	if _, err := f.db.Exec("CREATE TABLE `" + f.database("uml-four") + "`.by_hand (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	f.addLayerTable("alike_extra")
	third := f.reconcile(Options{Concurrency: 1})
	for _, tr := range third.Tenants {
		if tr.Slug == "uml-four" && tr.alike {
			t.Errorf("uml-four, with a table of its own, was verified by another's fingerprint")
		}
	}
	if _, err := f.db.Exec("DROP TABLE `" + f.database("uml-four") + "`.by_hand"); err != nil {
		t.Fatal(err)
	}
	family = family[:3]
	check(third, ActionUpdate, len(family)-1)

	dr, err := f.rec.Drift(ctx, f.load(), DriftOptions{LockWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range dr.Tenants {
		if td.Status != DriftClean && td.Status != DriftSkipped && td.Slug != "uml-four" {
			t.Errorf("drift of %s: %s %s", td.Slug, td.Status, td.Error)
		}
	}
}

// alikeFamily gives the fixture three more tenants of cpn-uml's layer set,
// and the extra ones, and removes the layers' reference data (a tenant
// that declares rows is always inspected); it returns their slugs.
func (f *fixture) alikeFamily(extra ...string) []string {
	f.t.Helper()
	for _, dir := range []string{"basic", "templates/political-party"} {
		if err := os.RemoveAll(filepath.Join(f.repo, "layers", dir, "data")); err != nil {
			f.t.Fatal(err)
		}
	}
	return f.family(extra...)
}

// family is alikeFamily with the layers' reference data left.
func (f *fixture) family(extra ...string) []string {
	f.t.Helper()
	manifest, err := os.ReadFile(filepath.Join(f.repo, "tenants", "cpn-uml.yaml"))
	if err != nil {
		f.t.Fatal(err)
	}
	family := append([]string{"cpn-uml", "uml-two", "uml-three", "uml-four"}, extra...)
	for _, slug := range family[1:] {
		m := strings.Replace(string(manifest), "slug: cpn-uml", "slug: "+slug, 1)
		m = strings.Replace(m, "domain: uml.", "domain: "+slug+".", 1)
		m = strings.Replace(m, "cpn_uml", strings.ReplaceAll(slug, "-", "_"), 1)
		if err := os.WriteFile(filepath.Join(f.repo, "tenants", slug+".yaml"), []byte(m), 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
	return family
}

// addLayerTable declares a new table in the basic layer.
func (f *fixture) addLayerTable(name string) {
	f.t.Helper()
	hcl := filepath.Join(f.repo, "layers", "basic", "settings.hcl")
	layer, err := os.ReadFile(hcl)
	if err != nil {
		f.t.Fatal(err)
	}
	layer = append(layer, "\ntable \""+name+"\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.id]\n  }\n}\n"...)
	if err := os.WriteFile(hcl, layer, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// TestObservedAlike: tenants as last verified with the same fingerprint
// and baseline are planned from the schema inspected of the first of them
// in the run, and their plans, records and baselines are what an
// inspection of each gives. A tenant with a table of its own is inspected;
// one changed out of band after the fingerprints were read fails its
// verify as transient, changes nothing beyond its plan, and the next run
// finds the change as drift.
func TestObservedAlike(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	family := f.alikeFamily("uml-five")
	ctx := context.Background()
	res := f.reconcile(Options{Concurrency: 1})
	for _, tr := range res.Tenants {
		if tr.Error != "" || tr.observedAlike {
			t.Fatalf("%s: created, observed alike %v: %s", tr.Slug, tr.observedAlike, tr.Error)
		}
	}
	f.reconcile(Options{}) // records the fingerprints of the new tenants

	if _, err := f.db.Exec("CREATE TABLE `" + f.database("uml-four") + "`.by_hand (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	f.addLayerTable("observed_extra")
	// With and without --plan: the plans are those of an inspection.
	for _, plan := range []bool{true, false} {
		res = f.reconcile(Options{Concurrency: 1, Plan: plan})
		byTenant := map[string]TenantResult{}
		for _, tr := range res.Tenants {
			byTenant[tr.Slug] = tr
			if tr.Error != "" {
				t.Fatalf("plan %v: %s: %s", plan, tr.Slug, tr.Error)
			}
			alike := tr.Slug == "uml-three" || tr.Slug == "uml-two" || tr.Slug == "uml-five"
			if tr.observedAlike != alike {
				t.Errorf("plan %v: %s observed by a tenant alike: %v", plan, tr.Slug, tr.observedAlike)
			}
			// Verified by the tables its plan changed, as cpn-uml's.
			if !plan && tr.alikeTables != alike {
				t.Errorf("%s verified by the fingerprint of its changed tables: %v", tr.Slug, tr.alikeTables)
			}
		}
		lead := byTenant["cpn-uml"]
		for _, slug := range family[1:] {
			tr := byTenant[slug]
			if tr.Action != ActionUpdate || len(tr.Changes) != len(lead.Changes) || len(tr.Changes) == 0 {
				t.Fatalf("plan %v: %s: %s with %d changes, cpn-uml %s with %d", plan, slug, tr.Action, len(tr.Changes), lead.Action, len(lead.Changes))
			}
			for i, c := range tr.Changes {
				want := strings.ReplaceAll(lead.Changes[i].SQL, f.database("cpn-uml"), f.database(slug))
				if c.SQL != want || c.File != lead.Changes[i].File || c.Line != lead.Changes[i].Line {
					t.Errorf("plan %v: %s: change %d is %q (%s:%d), want %q (%s:%d)", plan, slug, i, c.SQL, c.File, c.Line, want, lead.Changes[i].File, lead.Changes[i].Line)
				}
			}
		}
	}
	for _, slug := range family {
		base, ok, err := f.store.Baseline(ctx, slug)
		if err != nil || !ok {
			t.Fatalf("%s: no baseline (%v)", slug, err)
		}
		snap, err := f.rec.Snapshot(ctx, f.load(), slug, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if slug != "uml-four" && base.Hash != snap.Hash {
			t.Errorf("%s: the baseline recorded (%s) is not the schema inspected (%s)", slug, base.Hash, snap.Hash)
		}
		if !slices.Contains(f.columns(slug, "observed_extra"), "id") {
			t.Errorf("%s: observed_extra not created", slug)
		}
	}
	if _, err := f.db.Exec("DROP TABLE `" + f.database("uml-four") + "`.by_hand"); err != nil {
		t.Fatal(err)
	}
	// The fingerprints recorded of the tenants verified alike are theirs.
	for _, tr := range f.reconcile(Options{}).Tenants {
		if slices.Contains(family, tr.Slug) && tr.Slug != "uml-four" && !tr.fast {
			t.Errorf("%s: not a no-op by its fingerprint after it was verified by another's", tr.Slug)
		}
	}

	// Out of band, once the run's fingerprints are read, as the run adds
	// a column to observed_extra: cpn-uml changes before it is inspected
	// (when aa-first, reconciled first, is done); once uml-five is
	// inspected in its place, uml-four gets the column by hand (its apply
	// fails), uml-three another column of the same table (its verify
	// fails), and uml-two a table of its own, which the verify by the
	// tables its plan changed does not read: the next run finds it.
	manifest, err := os.ReadFile(filepath.Join(f.repo, "tenants", "nepali-congress.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Replace(strings.Replace(string(manifest), "slug: nepali-congress", "slug: aa-first", 1), "domain: congress.", "domain: aa-first.", 1)
	first = strings.Replace(first, "nepali_congress", "aa_first", 1)
	if err := os.WriteFile(filepath.Join(f.repo, "tenants", "aa-first.yaml"), []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	f.reconcile(Options{})
	hcl := filepath.Join(f.repo, "layers", "basic", "settings.hcl")
	layer, err := os.ReadFile(hcl)
	if err != nil {
		t.Fatal(err)
	}
	head := "table \"observed_extra\" {\n  schema = schema.tenant\n"
	if !strings.Contains(string(layer), head) {
		t.Fatalf("no observed_extra in %s", hcl)
	}
	layer = []byte(strings.Replace(string(layer), head, head+"  column \"late\" {\n    type = int\n    null = true\n  }\n", 1))
	if err := os.WriteFile(hcl, layer, 0o644); err != nil {
		t.Fatal(err)
	}
	extra := func(slug string) string { return "ALTER TABLE `" + f.database(slug) + "`.observed_extra ADD COLUMN " }
	res = f.reconcile(Options{Concurrency: 1, Progress: func(tr TenantResult) {
		var qs []string
		switch tr.Slug {
		case "aa-first":
			qs = []string{extra("cpn-uml") + "lead_by_hand INT"}
		case "uml-five":
			qs = []string{extra("uml-four") + "late INT NULL", extra("uml-three") + "by_hand INT",
				"CREATE TABLE `" + f.database("uml-two") + "`.by_hand (id int PRIMARY KEY)"}
		}
		for _, q := range qs {
			if _, err := f.db.Exec(q); err != nil {
				t.Error(err)
			}
		}
	}})
	for _, tr := range res.Tenants {
		switch {
		case tr.Slug == "uml-four" || tr.Slug == "uml-three":
			// Transient: the next run inspects it.
			if !tr.observedAlike || tr.Action != ActionError || tr.Class != Transient || !strings.Contains(tr.Error, "may have changed since") {
				t.Errorf("%s, changed out of band: %s %s %q (observed alike %v)", tr.Slug, tr.Action, tr.Class, tr.Error, tr.observedAlike)
			}
		case tr.Error != "":
			t.Errorf("%s: %s", tr.Slug, tr.Error)
		case tr.observedAlike != (tr.Slug == "uml-two"):
			// cpn-uml's schema is not its baseline's: uml-five is
			// inspected, and observes the others.
			t.Errorf("%s observed by a tenant alike: %v", tr.Slug, tr.observedAlike)
		case tr.Slug == "uml-two" && !tr.alikeTables:
			t.Errorf("uml-two: not verified by the tables its plan changed")
		case tr.Slug == "cpn-uml" && (len(tr.Drift) != 1 || tr.Drift[0].Action != DriftLeft):
			t.Errorf("cpn-uml, changed out of band before its inspection: drift %+v, want its column left", tr.Drift)
		}
	}
	for _, slug := range []string{"uml-two", "uml-three"} {
		if !slices.Contains(f.columns(slug, "observed_extra"), "late") {
			t.Errorf("%s: the plan's column is not there", slug)
		}
	}
	// The next drift check and reconcile find what changed out of band
	// (uml-four's column is the one git declares: no drift).
	dr, err := f.rec.Drift(ctx, f.load(), DriftOptions{LockWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range dr.Tenants {
		want := map[string]string{"cpn-uml": "lead_by_hand", "uml-two": "by_hand", "uml-three": "by_hand"}[td.Slug]
		if want != "" && (td.Status != DriftFound || !strings.Contains(fmt.Sprint(td.Drift), want)) {
			t.Errorf("drift of %s: %s %v %s, want %s", td.Slug, td.Status, td.Drift, td.Error, want)
		}
	}
	res = f.reconcile(Options{})
	for _, tr := range res.Tenants {
		switch {
		case tr.Error != "" || slices.Contains(family[1:], tr.Slug) && tr.Slug != "uml-five" && (tr.observedAlike || tr.fast):
			t.Errorf("the run after: %s: %s %q (observed alike %v, by fingerprint %v)", tr.Slug, tr.Action, tr.Error, tr.observedAlike, tr.fast)
		case tr.Slug == "uml-two" || tr.Slug == "uml-three":
			left := 0
			for _, d := range tr.Drift {
				if d.Action == DriftLeft {
					left++
					if !strings.Contains(d.Object, "by_hand") {
						t.Errorf("the run after: %s: %s left", tr.Slug, d.Object)
					}
				}
			}
			if left != 1 {
				t.Errorf("the run after: %s: drift %+v, want what was made by hand left", tr.Slug, tr.Drift)
			}
		}
	}

	// A failure that is not of the schema keeps its class: rows that
	// break a new unique key (rows move no fingerprint) stall uml-four,
	// planned from uml-five's schema, as they would an inspected tenant.
	f.reconcile(Options{}) // uml-four, clean now, has its fingerprint recorded
	if _, err := f.db.Exec("INSERT INTO `" + f.database("uml-four") + "`.observed_extra (id, late) VALUES (1, 7), (2, 7)"); err != nil {
		t.Fatal(err)
	}
	layer, err = os.ReadFile(hcl)
	if err != nil {
		t.Fatal(err)
	}
	layer = []byte(strings.Replace(string(layer), head, head+"  index \"observed_late_unique\" {\n    unique  = true\n    columns = [column.late]\n  }\n", 1))
	if err := os.WriteFile(hcl, layer, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tr := range f.reconcile(Options{Concurrency: 1}).Tenants {
		switch {
		case tr.Slug == "uml-four":
			if !tr.observedAlike || tr.Class != Stalled || strings.Contains(tr.Error, "may have changed since") {
				t.Errorf("uml-four, with rows that break the new key: %s %s %q (observed alike %v)", tr.Action, tr.Class, tr.Error, tr.observedAlike)
			}
		case tr.Error != "":
			t.Errorf("%s: %s", tr.Slug, tr.Error)
		}
	}
	if _, err := f.db.Exec("DELETE FROM `" + f.database("uml-four") + "`.observed_extra"); err != nil {
		t.Fatal(err)
	}

	// Four at once, as a reconcile runs by default (and under -race in
	// CI): tenants planned from one schema at the same time.
	f.reconcile(Options{})
	f.addLayerTable("observed_together")
	alike := 0
	for _, tr := range f.reconcile(Options{}).Tenants {
		if tr.Error != "" {
			t.Errorf("four at once: %s: %s", tr.Slug, tr.Error)
		}
		if tr.observedAlike {
			alike++
		}
		if slices.Contains(family, tr.Slug) && !slices.Contains(f.columns(tr.Slug, "observed_together"), "id") {
			t.Errorf("four at once: %s: observed_together not created", tr.Slug)
		}
	}
	t.Logf("four at once: %d tenants observed by a tenant alike", alike)
	for _, tr := range f.reconcile(Options{}).Tenants {
		if tr.Error != "" || tr.Action != ActionNoop && tr.Action != ActionSuspended {
			t.Errorf("after four at once: %s: %s %s", tr.Slug, tr.Action, tr.Error)
		}
	}
}

// TestObservedAlikeWithData: tenants that declare reference data are
// planned from a tenant alike too (their rows are read from their own
// database) and verified by inspection, rows and all.
func TestObservedAlikeWithData(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	family := f.family()
	f.reconcile(Options{Concurrency: 1})
	f.reconcile(Options{}) // records the fingerprints of the new tenants
	// A declared row deleted by hand in one of them: its data plan
	// inserts it again, as an inspection's would.
	if _, err := f.db.Exec("DELETE FROM `" + f.database("uml-three") + "`.membership_fee_types WHERE code = 'general_annual'"); err != nil {
		t.Fatal(err)
	}
	f.addLayerTable("observed_extra")
	res := f.reconcile(Options{Concurrency: 1})
	alike := 0
	for _, tr := range res.Tenants {
		if tr.Error != "" {
			t.Fatalf("%s: %s", tr.Slug, tr.Error)
		}
		if !slices.Contains(family, tr.Slug) {
			continue
		}
		if tr.observedAlike {
			alike++
		}
		if tr.alike || tr.alikeTables {
			t.Errorf("%s, which declares rows, was verified by another tenant", tr.Slug)
		}
		if !slices.Contains(f.columns(tr.Slug, "observed_extra"), "id") {
			t.Errorf("%s: observed_extra not created", tr.Slug)
		}
	}
	if alike != len(family)-1 {
		t.Errorf("%d tenants observed by a tenant alike, want %d", alike, len(family)-1)
	}
	var n int
	if err := f.db.QueryRow("SELECT COUNT(*) FROM `" + f.database("uml-three") + "`.membership_fee_types WHERE code = 'general_annual'").Scan(&n); err != nil || n != 1 {
		t.Errorf("uml-three: the declared row deleted by hand is not back (%d rows, %v)", n, err)
	}
}

// TestObservedAlikeBlocked: a destructive plan made from a tenant alike
// is blocked as an inspection's would be, changing nothing, and applied
// when destruction is allowed; the tenants planned alike then read as
// verified.
func TestObservedAlikeBlocked(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	family := f.alikeFamily()
	hcl := filepath.Join(f.repo, "layers", "basic", "settings.hcl")
	layer, err := os.ReadFile(hcl)
	if err != nil {
		t.Fatal(err)
	}
	note := "  column \"note\" {\n    type = varchar(40)\n    null = true\n  }\n"
	table := "\ntable \"observed_lossy\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n" + note +
		"  primary_key {\n    columns = [column.id]\n  }\n}\n"
	if err := os.WriteFile(hcl, append(layer, table...), 0o644); err != nil {
		t.Fatal(err)
	}
	f.reconcile(Options{Concurrency: 1})
	f.reconcile(Options{}) // records the fingerprints of the new tenants
	if err := os.WriteFile(hcl, append(layer, strings.Replace(table, note, "", 1)...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, allow := range []bool{false, true} {
		res := f.reconcile(Options{Concurrency: 1, AllowDestructive: allow})
		alike := 0
		byTenant := map[string]TenantResult{}
		for _, tr := range res.Tenants {
			byTenant[tr.Slug] = tr
			if !slices.Contains(family, tr.Slug) {
				continue
			}
			if tr.observedAlike {
				alike++
			}
			want := ActionBlocked
			if allow {
				want = ActionUpdate
			}
			if tr.Action != want {
				t.Errorf("allow %v: %s: %s %q, want %s", allow, tr.Slug, tr.Action, tr.Error, want)
			}
			if has := slices.Contains(f.columns(tr.Slug, "observed_lossy"), "note"); has == allow {
				t.Errorf("allow %v: %s: the column is there: %v", allow, tr.Slug, has)
			}
		}
		if alike != len(family)-1 {
			t.Errorf("allow %v: %d tenants observed by a tenant alike, want %d", allow, alike, len(family)-1)
		}
		lead := byTenant[family[0]]
		for _, slug := range family[1:] {
			tr := byTenant[slug]
			if len(tr.Changes) != len(lead.Changes) || len(tr.Changes) == 0 {
				t.Fatalf("allow %v: %s has %d changes, %s %d", allow, slug, len(tr.Changes), family[0], len(lead.Changes))
			}
			for i, c := range tr.Changes {
				want := strings.ReplaceAll(lead.Changes[i].SQL, f.database(family[0]), f.database(slug))
				if c.SQL != want || c.Destructive != lead.Changes[i].Destructive || !c.Destructive {
					t.Errorf("allow %v: %s: change %d is %q (destructive %v), want %q, destructive", allow, slug, i, c.SQL, c.Destructive, want)
				}
			}
		}
	}
	for _, tr := range f.reconcile(Options{}).Tenants {
		if slices.Contains(family, tr.Slug) && (tr.Action != ActionNoop || !tr.fast) {
			t.Errorf("after the drop: %s: %s %q, by its fingerprint %v", tr.Slug, tr.Action, tr.Error, tr.fast)
		}
	}
}

// TestObservedAlikeNotAcrossServers: tenants of the same schema on two
// servers (here two names of one MariaDB, so that their fingerprints and
// baselines are equal) are planned alike within a server only: each
// server's first tenant of the group is inspected.
func TestObservedAlikeNotAcrossServers(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	family := f.alikeFamily()
	f.others = map[string]string{"second": f.server}
	testenv.Replace(t, f.repo, "landlord.yaml", "servers:\n", "servers:\n  second:\n    url: sqlite://unused\n")
	onSecond := family[2:]
	for _, slug := range onSecond {
		testenv.Replace(t, f.repo, "tenants/"+slug+".yaml", "domain:", "server: second\ndomain:")
	}
	f.reconcile(Options{Concurrency: 1})
	f.reconcile(Options{}) // records the fingerprints of the new tenants
	f.addLayerTable("observed_extra")
	inspected := map[bool]int{}
	alike := map[bool]int{}
	for _, tr := range f.reconcile(Options{Concurrency: 1}).Tenants {
		if tr.Error != "" {
			t.Fatalf("%s: %s", tr.Slug, tr.Error)
		}
		if !slices.Contains(family, tr.Slug) {
			continue
		}
		second := slices.Contains(onSecond, tr.Slug)
		if tr.observedAlike {
			alike[second]++
		} else {
			inspected[second]++
		}
		if !slices.Contains(f.columns(tr.Slug, "observed_extra"), "id") {
			t.Errorf("%s: observed_extra not created", tr.Slug)
		}
	}
	for _, second := range []bool{false, true} {
		n := len(family) - len(onSecond)
		if second {
			n = len(onSecond)
		}
		if inspected[second] != 1 || alike[second] != n-1 {
			t.Errorf("second server %v: %d tenants inspected and %d observed alike, want 1 and %d", second, inspected[second], alike[second], n-1)
		}
	}
}

// TestObservedAlikeNotAcrossLayerSets: a tenant whose layer set differs
// (here by a custom layer that declares nothing, so that its fingerprint
// and baseline equal the others') is not planned from their schema: the
// live schema is read for a layer set's desired one.
func TestObservedAlikeNotAcrossLayerSets(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	family := f.alikeFamily()
	own := family[len(family)-1]
	dir := filepath.Join(f.repo, "layers", "custom", own)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nothing.hcl"), []byte("# Nothing of its own yet.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.reconcile(Options{Concurrency: 1})
	f.reconcile(Options{}) // records the fingerprints of the new tenants
	f.addLayerTable("observed_extra")
	alike := 0
	for _, tr := range f.reconcile(Options{Concurrency: 1}).Tenants {
		if tr.Error != "" {
			t.Fatalf("%s: %s", tr.Slug, tr.Error)
		}
		if !slices.Contains(family, tr.Slug) {
			continue
		}
		if tr.Slug == own && tr.observedAlike {
			t.Errorf("%s, of another layer set, was planned from a tenant of this one", own)
		}
		if tr.observedAlike {
			alike++
		}
		if !slices.Contains(f.columns(tr.Slug, "observed_extra"), "id") {
			t.Errorf("%s: observed_extra not created", tr.Slug)
		}
	}
	if alike != len(family)-2 {
		t.Errorf("%d tenants observed by a tenant alike, want %d", alike, len(family)-2)
	}
}

// TestObservedAlikeBounded: beyond the tables a run may keep, tenants
// alike are inspected each, and reconciled as ever.
func TestObservedAlikeBounded(t *testing.T) {
	defer func(n int) { maxKeptTables = n }(maxKeptTables)
	maxKeptTables = 1
	f := newMariaFixture(t)
	family := f.alikeFamily()
	f.reconcile(Options{Concurrency: 1})
	f.reconcile(Options{})
	f.addLayerTable("bounded_extra")
	for _, tr := range f.reconcile(Options{Concurrency: 1}).Tenants {
		if tr.Error != "" || tr.observedAlike {
			t.Errorf("%s: %q, observed alike %v with room for one table", tr.Slug, tr.Error, tr.observedAlike)
		}
		if slices.Contains(family, tr.Slug) && (tr.Action != ActionUpdate || !slices.Contains(f.columns(tr.Slug, "bounded_extra"), "id")) {
			t.Errorf("%s: %s, bounded_extra not created", tr.Slug, tr.Action)
		}
	}
}

// TestObservedMovedAlike: tenants changed alike by hand (the same column
// added to each, drift a policy of report leaves) are observed by one
// inspection, run after run, and each reports its drift as if inspected;
// a tenant changed otherwise is inspected on its own. Healed (policy
// heal), each is changed and verified by inspection.
func TestObservedMovedAlike(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	family := f.alikeFamily("uml-five")
	f.reconcile(Options{Concurrency: 1})
	f.reconcile(Options{}) // records the fingerprints of the new tenants
	other := "uml-four"
	for _, slug := range family {
		col := "by_hand"
		if slug == other {
			col = "by_hand_too"
		}
		if _, err := f.db.Exec("ALTER TABLE `" + f.database(slug) + "`.settings ADD COLUMN " + col + " int NULL"); err != nil {
			t.Fatal(err)
		}
	}
	for run := range 2 {
		byTenant := map[string]TenantResult{}
		alike := 0
		for _, tr := range f.reconcile(Options{Concurrency: 1}).Tenants {
			if !slices.Contains(family, tr.Slug) {
				continue
			}
			byTenant[tr.Slug] = tr
			if tr.Error != "" || tr.Action != ActionNoop {
				t.Fatalf("run %d: %s: %s %q", run, tr.Slug, tr.Action, tr.Error)
			}
			if tr.observedAlike {
				alike++
			}
			want := "by_hand"
			if tr.Slug == other {
				want = "by_hand_too"
				if tr.observedAlike {
					t.Errorf("run %d: %s, changed otherwise, was observed alike", run, tr.Slug)
				}
			}
			if len(tr.Drift) != 1 || tr.Drift[0].Name != want || tr.Drift[0].Action != DriftLeft {
				t.Errorf("run %d: %s: drift %+v, want %s left", run, tr.Slug, tr.Drift, want)
			}
		}
		if alike != len(family)-2 {
			t.Errorf("run %d: %d tenants observed alike, want %d (all but the first and %s)", run, alike, len(family)-2, other)
		}
		lead := byTenant[family[0]]
		for _, slug := range family[1:] {
			if tr := byTenant[slug]; slug != other && (tr.LiveHash != lead.LiveHash || tr.LiveHash == "") {
				t.Errorf("run %d: %s: live hash %s, %s's %s", run, slug, tr.LiveHash, family[0], lead.LiveHash)
			}
		}
		if byTenant[other].LiveHash == lead.LiveHash {
			t.Errorf("run %d: %s has the live hash of the others", run, other)
		}
	}
	// A drift check shares the inspection too, and finds what each has.
	res, err := f.rec.Drift(context.Background(), f.load(), DriftOptions{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	alike := 0
	for _, td := range res.Tenants {
		if !slices.Contains(family, td.Slug) {
			continue
		}
		want := "by_hand"
		if td.Slug == other {
			want = "by_hand_too"
		}
		if td.observedAlike {
			alike++
		}
		if td.Status != DriftFound || len(td.Drift) != 1 || td.Drift[0].Name != want {
			t.Errorf("drift: %s: %s %+v %q, want %s", td.Slug, td.Status, td.Drift, td.Error, want)
		}
	}
	if alike != len(family)-2 {
		t.Errorf("drift: %d tenants compared by a tenant alike, want %d", alike, len(family)-2)
	}
	// Healed: each is changed and verified by inspection.
	testenv.Replace(t, f.repo, "landlord.yaml", "policy:\n", "policy:\n  drift: heal\n")
	for _, tr := range f.reconcile(Options{Concurrency: 1, AllowDestructive: true}).Tenants {
		if !slices.Contains(family, tr.Slug) {
			continue
		}
		if tr.Error != "" || tr.Action != ActionUpdate || tr.alike || tr.alikeTables {
			t.Errorf("heal: %s: %s %q, verified alike %v %v", tr.Slug, tr.Action, tr.Error, tr.alike, tr.alikeTables)
		}
		if cols := f.columns(tr.Slug, "settings"); slices.Contains(cols, "by_hand") || slices.Contains(cols, "by_hand_too") {
			t.Errorf("heal: %s still has the column: %v", tr.Slug, cols)
		}
	}
}

// TestShareLiveMovedChecksFingerprint: the schema inspected of a tenant
// of a group moved alike is kept for the others only when the tenant's
// fingerprint, read again after the inspection, is still the group's (it
// may have changed since the fingerprints were read in bulk).
func TestShareLiveMovedChecksFingerprint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prefix := testenv.Name(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	name := prefix + "moved"
	for _, st := range []string{"CREATE DATABASE `" + name + "`", "CREATE TABLE `" + name + "`.t (id int PRIMARY KEY)"} {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := schema.Open(ctx, testenv.MySQLURL(t), schema.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	target, err := srv.Read(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	live, err := target.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := target.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fingerprint string
		kept        bool
	}{{fp, true}, {"read before a change", false}} {
		k := likeKey{likeGroup{fingerprint: tc.fingerprint, server: "primary"}, "layers"}
		ru := &run{fast: &fastPath{like: map[string]likeKey{"a": k}, waiting: map[likeKey]int{k: 2}}}
		ru.shareLive(ctx, &desired.Tenant{Slug: "a"}, &observation{target: target, live: live}, &decision{liveHash: "h"})
		shared, kept := ru.fast.inspected[k]
		if kept != tc.kept || kept && (shared.live != live || shared.hash != "h") {
			t.Errorf("group fingerprint %.12s: kept %v, want %v", tc.fingerprint, kept, tc.kept)
		}
		if ru.fast.waiting[k] != 1 {
			t.Errorf("group fingerprint %.12s: %d waiting, want 1", tc.fingerprint, ru.fast.waiting[k])
		}
	}
}
