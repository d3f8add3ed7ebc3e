package daemon

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// A new revision reconciles only the tenants whose desired schema changed;
// a burst of pushes is one run of the newest revision.
func TestChangedTenantsAndCoalescing(t *testing.T) {
	f := newFixture(t, false)
	first := strings.TrimSpace(f.git.Commit(t, "nothing new"))
	l := f.start(f.config("a"), f.store)
	eventually(t, "every tenant Synced at the first revision", func() bool { return f.synced(f.store, first) })
	runs := f.runs(f.store)
	if len(runs) != 1 || runs[0].Trigger != "start" || runs[0].Counts.Created != 3 {
		t.Fatalf("after start: runs %+v, want one start run creating 3 tenants", runs)
	}

	// One tenant's custom layer: only that tenant.
	f.write("layers/custom/nepali-congress/donors.hcl", `table "donors" {
  schema = schema.tenant
  column "id" {
    type = int
    auto_increment = true
  }
  primary_key {
    columns = [column.id]
  }
}
`)
	custom := f.git.Commit(t, "donors for nepali-congress")
	l.Wake(context.Background(), "generic")
	eventually(t, "nepali-congress at the custom revision", func() bool { return f.synced(f.store, custom, "nepali-congress") })
	runs = f.runs(f.store)
	last := runs[len(runs)-1]
	if diff := cmp.Diff(f.tenantsOf(f.store, last.ID), []string{"nepali-congress"}); diff != "" || last.Revision != custom || last.Trigger != "generic" {
		t.Fatalf("run %d (%s at %.8s) reconciled (-got +want):\n%s", last.ID, last.Trigger, last.Revision, diff)
	}

	// Three pushes before the loop wakes, then a burst of wakes: one run,
	// of the newest revision, for every tenant the basic layer reaches.
	var revs []string
	for _, col := range []string{"locale", "timezone", "currency"} {
		testenv.Replace(t, f.git.Work, "layers/basic/settings.hcl", `table "settings" {`, `table "settings" {
  column "`+col+`" {
    type = varchar(16)
    null = true
  }`)
		revs = append(revs, f.git.Commit(t, "settings "+col))
	}
	before := len(f.runs(f.store))
	for range 5 {
		l.Wake(context.Background(), "generic")
	}
	eventually(t, "every tenant at the newest revision", func() bool { return f.synced(f.store, revs[2]) })
	runs = f.runs(f.store)[before:]
	if len(runs) != 1 || runs[0].Revision != revs[2] {
		var got []string
		for _, r := range runs {
			got = append(got, r.Trigger+"@"+r.Revision[:8])
		}
		t.Fatalf("runs after the burst: %v, want one at %.8s", got, revs[2])
	}
	if diff := cmp.Diff(f.tenantsOf(f.store, runs[0].ID), []string{"cpn-uml", "janamat", "nepali-congress", "rastriya-swatantra"}); diff != "" {
		t.Errorf("the basic layer's run reconciled (-got +want):\n%s", diff)
	}
	// 3 active tenants, one ALTER TABLE each adding the 3 new columns of
	// the table.
	if runs[0].StatementsApplied != 3 {
		t.Errorf("statements applied = %d, want 3 (one ALTER TABLE x 3 active tenants)", runs[0].StatementsApplied)
	}
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
}

// An invalid revision is applied nowhere and the last good one stays in
// force, across a restart; a fix is applied.
func TestRejectedRevisionKeepsLastGood(t *testing.T) {
	f := newFixture(t, false)
	good := strings.TrimSpace(f.git.Commit(t, "good"))
	l := f.start(f.config("a"), f.store)
	eventually(t, "Synced at the good revision", func() bool { return f.synced(f.store, good) })

	// A new tenant and, in the same commit, a manifest with an unknown
	// field: nothing of the commit may be applied, not even the new tenant.
	f.write("tenants/ujyaalo.yaml", "slug: ujyaalo\nname: Ujyaalo\ntemplate: political-party\nmodules: []\ndatabase: "+f.prefix+"ujyaalo\n")
	testenv.Replace(t, f.git.Work, "tenants/cpn-uml.yaml", "domain:", "colour: red\ndomain:")
	bad := f.git.Commit(t, "bad manifest")
	before := len(f.runs(f.store))
	l.Wake(context.Background(), "generic")
	eventually(t, "the bad revision rejected", func() bool { r := l.Status().Rejected; return r != nil && r.Revision == bad })
	st := l.Status()
	if st.Revision != good {
		t.Errorf("revision in force %.8s, want the good one %.8s", st.Revision, good)
	}
	if len(st.Rejected.Problems) != 1 || !strings.Contains(st.Rejected.Problems[0], "tenants/cpn-uml.yaml:") || !strings.Contains(st.Rejected.Problems[0], "colour") {
		t.Errorf("problems %q, want one naming tenants/cpn-uml.yaml, its line and the field colour", st.Rejected.Problems)
	}
	if n := len(f.runs(f.store)); n != before {
		t.Errorf("%d runs after the rejection, want none", n-before)
	}
	revs, err := f.store.Revisions(context.Background(), state.RevisionRejected, 10)
	if err != nil || len(revs) != 1 || revs[0].Revision != bad || revs[0].Problems != 1 {
		t.Fatalf("rejected revisions recorded: %+v, %v", revs, err)
	}
	if _, ok, _ := f.store.Tenant(context.Background(), "ujyaalo"); ok {
		t.Error("the new tenant of the rejected revision was recorded")
	}
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}

	// Restart with the bad revision as the newest: the good one is
	// restored from the landlord database and stays in force.
	l = f.start(f.config("b"), f.store)
	eventually(t, "a revision in force after restart", func() bool { return l.Current() != nil })
	if st := l.Status(); st.Revision != good || st.Rejected == nil || st.Rejected.Revision != bad {
		t.Fatalf("after restart: in force %.8s, rejected %+v; want %.8s and %.8s", st.Revision, st.Rejected, good, bad)
	}

	// The fix is applied, the new tenant with it.
	testenv.Replace(t, f.git.Work, "tenants/cpn-uml.yaml", "colour: red\n", "")
	fixed := f.git.Commit(t, "fix")
	l.Wake(context.Background(), "generic")
	// cpn-uml's manifest is back as it was: only the new tenant has
	// something to apply.
	eventually(t, "the fix applied", func() bool {
		return f.synced(f.store, fixed, "ujyaalo") && f.synced(f.store, good, "cpn-uml", "nepali-congress", "rastriya-swatantra")
	})
	if st := l.Status(); st.Rejected != nil || st.Revision != fixed {
		t.Errorf("after the fix: %+v", st)
	}
}

// A tenant that fails transiently is retried after each backoff, alone,
// then stalled until the next revision; the others are not held up.
func TestRetriesThenStalled(t *testing.T) {
	f := newFixture(t, false)
	rev := strings.TrimSpace(f.git.Commit(t, "start"))
	// Hold the lock of one tenant's database, as a long apply of another
	// process would: its reconciles fail with "locked" (transient).
	conn, err := testenv.DB(t).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lock := "landlord:" + f.prefix + "cpn_uml"
	var got int
	if err := conn.QueryRowContext(context.Background(), "SELECT GET_LOCK(?, 0)", lock).Scan(&got); err != nil || got != 1 {
		t.Fatalf("take the tenant's lock: %v %d", err, got)
	}
	l := f.start(f.config("a"), f.store)
	eventually(t, "the other tenants Synced", func() bool { return f.synced(f.store, rev, "nepali-congress", "rastriya-swatantra") })
	eventually(t, "cpn-uml stalled", func() bool {
		rs, err := f.store.Retries(context.Background())
		return err == nil && len(rs) == 1 && rs[0].NextAt == nil
	})
	rs, _ := f.store.Retries(context.Background())
	if r := rs[0]; r.Tenant != "cpn-uml" || r.Attempts != 3 || r.Class != "transient" || r.Revision != rev || !strings.Contains(r.LastError, "locked") {
		t.Fatalf("retry state %+v, want cpn-uml stalled after 3 transient attempts at %.8s", r, rev)
	}
	runs := f.runs(f.store)
	var triggers []string
	for _, r := range runs {
		triggers = append(triggers, r.Trigger)
		if r.Trigger == "retry" {
			if diff := cmp.Diff(f.tenantsOf(f.store, r.ID), []string{"cpn-uml"}); diff != "" {
				t.Errorf("retry run %d reconciled (-got +want):\n%s", r.ID, diff)
			}
		}
	}
	if diff := cmp.Diff(triggers, []string{"start", "retry", "retry"}); diff != "" {
		t.Errorf("runs (-got +want):\n%s", diff)
	}
	if _, err := conn.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", lock); err != nil {
		t.Fatal(err)
	}

	// A revision that changes another tenant only: the stalled one starts
	// over with it.
	f.write("layers/custom/nepali-congress/note.hcl", "table \"notes\" {\n  schema = schema.tenant\n  column \"id\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.id]\n  }\n}\n")
	next := f.git.Commit(t, "notes for nepali-congress")
	l.Wake(context.Background(), "generic")
	eventually(t, "cpn-uml Synced at the next revision", func() bool { return f.synced(f.store, next, "cpn-uml", "nepali-congress") })
	last := f.runs(f.store)
	if diff := cmp.Diff(f.tenantsOf(f.store, last[len(last)-1].ID), []string{"cpn-uml", "nepali-congress"}); diff != "" {
		t.Errorf("the next revision's run reconciled (-got +want):\n%s", diff)
	}
	// The loop forgets the retry once the run's results are in, after the
	// run recorded the tenant Synced.
	eventually(t, "the retry state forgotten after success", func() bool {
		rs, err := f.store.Retries(context.Background())
		return err == nil && len(rs) == 0
	})
}

// Two loops on one MariaDB landlord database: one leads and runs the
// scheduled work; when it stops, the other takes over.
func TestLeaderFailover(t *testing.T) {
	f := newFixture(t, true)
	rev := strings.TrimSpace(f.git.Commit(t, "start"))
	a := f.start(f.config("a"), f.store)
	eventually(t, "Synced", func() bool { return f.synced(f.store, rev) })
	other, err := state.Open(context.Background(), f.stateDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	b := f.start(f.config("b"), other)
	eventually(t, "b has loaded the revision", func() bool { return b.Current() != nil })
	if !a.Status().Leader || b.Status().Leader {
		t.Fatalf("leaders: a %v, b %v; want a only", a.Status().Leader, b.Status().Leader)
	}
	for _, r := range f.runs(f.store) {
		if r.Trigger != "start" {
			t.Errorf("run %d by %s: the follower ran something", r.ID, r.Trigger)
		}
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b leads", func() bool { return b.Status().Leader })
	// The new leader reconciles every tenant once on taking over.
	eventually(t, "b's takeover run", func() bool {
		runs := f.runs(other)
		return runs[len(runs)-1].Trigger == "leader" && runs[len(runs)-1].FinishedAt != nil
	})
	runs := f.runs(other)
	if r := runs[len(runs)-1]; r.Counts.Unchanged != 3 || r.StatementsApplied != 0 {
		t.Errorf("takeover run %+v, want 3 unchanged tenants", r)
	}
}

func TestJitter(t *testing.T) {
	for range 1000 {
		if d := jitter(time.Minute, 0.2); d < 48*time.Second || d > 72*time.Second {
			t.Fatalf("jitter(1m, 0.2) = %v, want within 48s..72s", d)
		}
	}
	if d := jitter(time.Minute, 0); d != time.Minute {
		t.Errorf("jitter(1m, 0) = %v", d)
	}
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[jitter(time.Minute, 0.2)] = true
	}
	if len(seen) < 2 {
		t.Error("jitter returns one value: it does not spread")
	}
}

func TestFingerprintsIgnoreFileOrder(t *testing.T) {
	repo := loadRepo(t, testenv.CopyExample(t, ""))
	a := fingerprints(repo)
	for _, tn := range repo.Tenants {
		for i := range tn.Layers {
			slices.Reverse(tn.Layers[i].Files)
		}
	}
	if diff := cmp.Diff(fingerprints(repo), a); diff != "" {
		t.Errorf("fingerprints depend on file order:\n%s", diff)
	}
	if len(a) != 4 || a["cpn-uml"] == a["nepali-congress"] {
		t.Errorf("fingerprints %v: want 4, distinct for distinct layers", a)
	}
}

func TestFingerprintsFollowDataFiles(t *testing.T) {
	dir := testenv.CopyExample(t, "")
	a := fingerprints(loadRepo(t, dir))
	p := filepath.Join(dir, "layers/basic/data/districts.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), "name_ne: ललितपुर", "name_ne: ललितपुर जिल्ला", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	b := fingerprints(loadRepo(t, dir))
	for slug := range a {
		if a[slug] == b[slug] {
			t.Errorf("%s: fingerprint unchanged by a changed row of the basic layer", slug)
		}
	}
}
