package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// chaos is a fresh rollout killed with SIGKILL at random points.
type chaos struct {
	tenants int
	kills   int
	// maxDelay bounds the time before each kill.
	maxDelay time.Duration
	// requireAll fails the test when fewer than kills kills landed.
	requireAll bool
}

// TestChaosKill9 is the short form of `make chaos` (TestChaos with
// LANDLORD_CHAOS=full): a fresh rollout of 8 tenants killed with SIGKILL at
// 3 random points, each followed by a rerun, then a rerun to the end.
func TestChaosKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills landlord at random points of a rollout: make test runs it, make test-short does not")
	}
	c := chaos{tenants: 8, kills: 3, maxDelay: 2 * time.Second}
	if os.Getenv("LANDLORD_CHAOS") == "full" {
		c = chaos{tenants: 200, kills: 20, maxDelay: 12 * time.Second, requireAll: true}
	}
	runChaos(t, c)
}

func runChaos(t *testing.T, ch chaos) {
	c := newCLI(t)
	// The tenants: copies of cpn-uml (a template and a module), each in
	// its own database.
	for i := 1; i <= ch.tenants; i++ {
		slug := fmt.Sprintf("chaos-%03d", i)
		testenv.WriteFile(t, c.repo, "tenants/"+slug+".yaml", fmt.Sprintf(
			"slug: %s\nname: Chaos %d\ntemplate: political-party\nmodules: [election]\ndatabase: %schaos_%03d\n", slug, i, c.prefix, i))
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("seed %d: %d tenants, %d kills", seed, ch.tenants, ch.kills)
	// A run that ends before its kill (the rollout is further along, runs
	// are shorter) is followed by one whose kill comes within the length
	// of that run, until ch.kills kills have landed.
	var killed []int
	bound := ch.maxDelay
	for attempt := 0; len(killed) < ch.kills && attempt < 3*ch.kills; attempt++ {
		cmd := exec.Command(os.Args[0], append([]string{"reconcile", "--concurrency", "4"}, c.repoArgs()...)...)
		cmd.Env = append(os.Environ(), "LANDLORD_TEST_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		started := time.Now()
		delay := time.Duration(rng.Int64N(int64(bound)/2)) + bound/4
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
			bound = max(time.Since(started), 40*time.Millisecond)
			t.Logf("attempt %d: the run ended before %s", attempt+1, delay)
		case <-time.After(delay):
			cmd.Process.Kill()
			<-done
			killed = append(killed, cmd.Process.Pid)
			t.Logf("kill %d: SIGKILL after %s", len(killed), delay)
		}
	}
	if ch.requireAll && len(killed) < ch.kills {
		t.Errorf("%d of %d kills landed", len(killed), ch.kills)
	}
	start := time.Now()
	c.must(0, "reconcile")
	t.Logf("the rerun converged in %s", time.Since(start).Round(time.Millisecond))
	c.must(0, "reconcile", "--plan", "--detailed-exitcode")

	ctx := context.Background()
	st, err := state.Open(ctx, c.state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tenants, err := st.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	synced := 0
	for _, tn := range tenants {
		if strings.HasPrefix(tn.Slug, "chaos-") {
			if tn.Sync == state.Synced && tn.Health == state.Healthy && tn.DatabaseCreatedAt != nil {
				synced++
			} else {
				t.Errorf("tenant %s: %s/%s, created %v", tn.Slug, tn.Sync, tn.Health, tn.DatabaseCreatedAt)
			}
		}
	}
	runs, err := st.Runs(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Outcome == state.RunRunning {
			t.Errorf("run %d left running", r.ID)
		}
	}
	// No statement applied twice: over every run, a tenant's applied
	// statements are all different.
	twice := 0
	for i := 1; i <= ch.tenants; i++ {
		slug := fmt.Sprintf("chaos-%03d", i)
		seen := map[string]int64{}
		for _, r := range runs {
			sts, err := st.Statements(ctx, r.ID, slug)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sts {
				if s.Status != state.StatementApplied {
					continue
				}
				if prev, ok := seen[s.SQL]; ok {
					twice++
					t.Errorf("%s: applied in run %d and again in run %d: %s", slug, prev, r.ID, firstLineOf(s.SQL))
				}
				seen[s.SQL] = r.ID
			}
		}
	}
	// No scratch database of a killed process is left.
	left := 0
	for _, pid := range killed {
		var n int
		c.db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", "landlord\\_dev\\_%\\_"+strconv.Itoa(pid)+"\\_%").Scan(&n)
		left += n
	}
	if left > 0 {
		t.Errorf("%d scratch databases of killed processes left", left)
	}
	t.Logf("%d kills: %d/%d tenants synced, %d runs, none left running, %d statements applied twice, %d scratch databases left",
		len(killed), synced, ch.tenants, len(runs), twice, left)
}

func firstLineOf(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
