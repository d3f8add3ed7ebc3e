package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// soak is a run of several serve replicas on one MariaDB landlord database
// while commits arrive.
type soak struct {
	replicas  int
	tenants   int           // in the repository at the start
	duration  time.Duration // of the pushes
	pushEvery time.Duration
	poll      time.Duration
}

// Two replicas, ten tenants, a push every 5 s for 30 s, and a rolling
// restart of the leader halfway: no statement applied twice, every tenant
// Synced at the end. `make soak` runs the long version (TestSoak).
func TestServeReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30-second soak: make test runs it, make test-short does not")
	}
	runSoak(t, soak{replicas: 2, tenants: 10, duration: 30 * time.Second, pushEvery: 5 * time.Second, poll: 2 * time.Second})
}

// soakTenant is a tenant of the soak's repository.
type soakTenant struct {
	slug    string
	modules []string
	active  bool
}

func runSoak(t *testing.T, c soak) {
	prefix := testenv.Name(t)
	mysql := testenv.MySQLURL(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	repo := testenv.CopyExample(t, prefix)
	tenants := []soakTenant{
		{"cpn-uml", []string{"election"}, true}, {"janamat", nil, false},
		{"nepali-congress", []string{"election", "social", "volunteers"}, true}, {"rastriya-swatantra", []string{"social"}, true},
	}
	moduleSets := [][]string{nil, {"election"}, {"social"}, {"election", "volunteers"}, {"election", "social"}}
	addTenant := func(slug string, i int) {
		mods := moduleSets[i%len(moduleSets)]
		testenv.WriteFile(t, repo, "tenants/"+slug+".yaml", fmt.Sprintf("slug: %s\nname: Party %d\ntemplate: political-party\nmodules: [%s]\ndatabase: %s%s\n",
			slug, i, strings.Join(mods, ", "), prefix, strings.ReplaceAll(slug, "-", "_")))
		tenants = append(tenants, soakTenant{slug, mods, true})
	}
	for i := 1; len(tenants) < c.tenants; i++ {
		addTenant(fmt.Sprintf("party-%03d", i), i)
	}
	git := testenv.NewGit(t, repo)
	stateDSN := strings.TrimSuffix(mysql, "/") + "/" + prefix + "landlord"
	dir := t.TempDir()
	args := func(replica string) []string {
		return []string{"--repo", git.URL(), "--ref", "main", "--state", stateDSN, "--server", "primary=" + mysql,
			"--cache-dir", filepath.Join(dir, replica), "--poll-interval", c.poll.String(), "--lease-ttl", "3s",
			"--replica-id", replica, "--retry-backoff", "2s,5s"}
	}
	procs := map[string]*proc{}
	var names []string
	for i := 1; i <= c.replicas; i++ {
		name := fmt.Sprintf("r%d", i)
		names = append(names, name)
		procs[name] = startServe(t, name, serveEnv(), args(name)...)
	}
	active := func() int {
		n := 0
		for _, tn := range tenants {
			if tn.active {
				n++
			}
		}
		return n
	}
	start := time.Now()
	until(t, 3*time.Minute, "every tenant Synced", func() bool { return procs["r1"].allSynced("", active()) })
	t.Logf("figure: %d tenants provisioned by %d replicas in %s", active(), c.replicas, time.Since(start).Round(time.Millisecond))

	// converged reports whether every tenant the push touched is Synced at
	// its revision and the rest are Synced.
	converged := func(p *proc, rev string, touched func(soakTenant) bool) bool {
		got := p.tenants()
		for _, tn := range tenants {
			if !tn.active {
				continue
			}
			g := got[tn.slug]
			if g.Sync != "Synced" || g.Health != "Healthy" || (touched(tn) && g.LastAppliedRevision != rev) {
				return false
			}
		}
		return true
	}
	leader := func() string {
		for _, name := range names {
			if p := procs[name]; p != nil && p.status().Leader {
				return name
			}
		}
		return ""
	}
	live := func() *proc {
		for _, name := range names {
			if p := procs[name]; p != nil {
				return p
			}
		}
		t.Fatal("no replica running")
		return nil
	}

	var (
		times      []time.Duration
		late       int
		basic      int
		pushes     int
		restarted  bool
		takeover   time.Duration
		deadline   = time.Now().Add(c.duration)
		pushTicker = time.NewTicker(c.pushEvery)
	)
	defer pushTicker.Stop()
	push := func(i int, final bool) (string, func(soakTenant) bool) {
		var touched func(soakTenant) bool
		switch {
		case final || i%3 == 0:
			basic++
			testenv.Replace(t, git.Work, "layers/basic/settings.hcl", `table "settings" {`, fmt.Sprintf("table \"settings\" {\n  column \"c_%d\" {\n    type = int\n    null = true\n  }", i))
			touched = func(soakTenant) bool { return true }
		case i%3 == 1:
			slug := fmt.Sprintf("new-%03d", i)
			addTenant(slug, i)
			touched = func(tn soakTenant) bool { return tn.slug == slug }
		default:
			testenv.Replace(t, git.Work, "layers/modules/election/election.hcl", `table "candidates" {`, fmt.Sprintf("table \"candidates\" {\n  column \"e_%d\" {\n    type = int\n    null = true\n  }", i))
			touched = func(tn soakTenant) bool { return slices.Contains(tn.modules, "election") }
		}
		pushes++
		rev := git.Commit(t, fmt.Sprintf("push %d", i))
		// A webhook to any replica; a follower passes it to the leader.
		p := procs[names[rand.IntN(len(names))]]
		if p == nil {
			p = live()
		}
		if code := p.call("POST", "/hooks/generic", testHookToken, nil, "", nil); code != 202 {
			t.Errorf("webhook to %s: %d", p.name, code)
		}
		return rev, touched
	}
	for i := 0; time.Now().Before(deadline); i++ {
		rev, touched := push(i, false)
		pushed := time.Now()
		next := pushed.Add(c.pushEvery)
		tick := time.NewTicker(100 * time.Millisecond)
		for !converged(live(), rev, touched) && time.Now().Before(next) {
			<-tick.C
		}
		tick.Stop()
		if converged(live(), rev, touched) {
			times = append(times, time.Since(pushed))
		} else {
			late++
		}
		// Halfway, a rolling restart of the leader: SIGTERM, then start
		// it again under its name; the other replica takes over.
		if !restarted && time.Since(start) > c.duration/2 {
			restarted = true
			name := leader()
			if name == "" {
				t.Fatal("no leader")
			}
			t0 := time.Now()
			if code := procs[name].signal(syscall.SIGTERM); code != 0 {
				t.Errorf("%s exit code %d after SIGTERM, want 0", name, code)
			}
			procs[name] = nil
			until(t, time.Minute, "another replica leads", func() bool { l := leader(); return l != "" && l != name })
			takeover = time.Since(t0)
			procs[name] = startServe(t, name+"-restarted", serveEnv(), args(name)...)
		}
		<-pushTicker.C
	}
	// The final push touches every tenant.
	final, all := push(1000, true)
	took := until(t, 3*time.Minute, "every tenant Synced at the final revision", func() bool {
		return converged(live(), final, all) && live().allSynced(final, active())
	})
	times = append(times, took)

	// The ledger: no statement applied twice, none failed or left pending.
	dup := queryInt(t, db, "SELECT COUNT(*) FROM (SELECT tenant, sql_text FROM `"+prefix+"landlord`.statements WHERE status = 'applied' GROUP BY tenant, sql_text HAVING COUNT(*) > 1) d")
	applied := queryInt(t, db, "SELECT COUNT(*) FROM `"+prefix+"landlord`.statements WHERE status = 'applied'")
	other := queryInt(t, db, "SELECT COUNT(*) FROM `"+prefix+"landlord`.statements WHERE status NOT IN ('applied', 'blocked')")
	if dup != 0 {
		t.Errorf("%d statements applied more than once", dup)
	}
	if other != 0 {
		t.Errorf("%d statements failed, skipped or left pending", other)
	}
	// Each revision's commit run happened once (the leader's).
	commitRuns := queryInt(t, db, "SELECT COUNT(*) FROM (SELECT revision FROM `"+prefix+"landlord`.runs WHERE trigger_kind IN ('poll', 'generic', 'github', 'replica') GROUP BY revision HAVING COUNT(*) > 1) d")
	if commitRuns != 0 {
		t.Errorf("%d revisions were run more than once on a commit trigger", commitRuns)
	}
	// Every tenant has every column of the basic layer.
	cols := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA LIKE ? AND TABLE_NAME = 'settings' AND COLUMN_NAME LIKE 'c\\_%'",
		strings.ReplaceAll(prefix, "_", `\_`)+"%")
	if cols != basic*active() {
		t.Errorf("%d basic-layer columns over the tenants, want %d (%d pushes x %d tenants)", cols, basic*active(), basic, active())
	}
	byReplica := map[string]int{}
	rows, err := db.Query("SELECT replica, trigger_kind, COUNT(*) FROM `" + prefix + "landlord`.runs GROUP BY replica, trigger_kind")
	if err != nil {
		t.Fatal(err)
	}
	var runsBy []string
	for rows.Next() {
		var r, tr string
		var n int
		rows.Scan(&r, &tr, &n)
		byReplica[r] += n
		runsBy = append(runsBy, fmt.Sprintf("%s/%s=%d", r, tr, n))
	}
	rows.Close()
	sort.Strings(runsBy)
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	t.Logf("figure: %d replicas, %d tenants at the end, %d pushes in %s (every %s, poll %s), leader restarted halfway (takeover %s)",
		c.replicas, active(), pushes, c.duration, c.pushEvery, c.poll, takeover.Round(time.Millisecond))
	if len(times) > 0 {
		t.Logf("figure: push to converged: min %s, median %s, max %s; %d pushes not converged before the next one",
			times[0].Round(time.Millisecond), times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond), late)
	}
	t.Logf("figure: statements applied %d, applied twice %d, failed/pending %d; runs %s", applied, dup, other, strings.Join(runsBy, " "))
	// API latency with every tenant recorded, on each replica.
	for _, name := range names {
		p := procs[name]
		lat := make([]time.Duration, 100)
		for i := range lat {
			t0 := time.Now()
			if code := p.call("GET", "/api/v1/tenants", testReadToken, nil, "", nil); code != 200 {
				t.Fatalf("GET /api/v1/tenants on %s: %d", name, code)
			}
			lat[i] = time.Since(t0)
		}
		slices.Sort(lat)
		t.Logf("figure: GET /api/v1/tenants on %s (%d tenants), 100 calls: p50 %s, p95 %s, max %s", name, len(tenants),
			lat[50].Round(time.Microsecond), lat[95].Round(time.Microsecond), lat[99].Round(time.Microsecond))
	}
	for _, name := range names {
		if p := procs[name]; p != nil {
			if code := p.signal(syscall.SIGTERM); code != 0 {
				t.Errorf("%s exit code %d, want 0", name, code)
			}
		}
	}
}
