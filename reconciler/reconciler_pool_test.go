package reconciler

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// TestConnectionPoolBound: however many tenants and however high
// --concurrency, landlord holds at most the server's maxConnections
// connections to it. Connections are counted in the server's process list,
// under a user of the test's own.
func TestConnectionPoolBound(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	user := strings.TrimSuffix(f.prefix, "_")
	if len(user) > 80 {
		user = user[:80]
	}
	for _, q := range []string{
		fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user),
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pool-test'", user),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON *.* TO '%s'@'%%'", user),
	} {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { f.db.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user)) })
	host := strings.TrimSuffix(f.server[strings.LastIndex(f.server, "@")+1:], "/")
	f.server = fmt.Sprintf("mysql://%s:pool-test@%s/", user, host)

	const maxConns = 2
	testenv.Replace(t, f.repo, "landlord.yaml", "maxConnections: 8", fmt.Sprintf("maxConnections: %d", maxConns))
	generateTenants(t, f.repo, f.prefix, 12)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		peak     int
		samples  int
		done     = make(chan struct{})
		interval = time.NewTicker(2 * time.Millisecond)
	)
	defer interval.Stop()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-interval.C:
			}
			var n int
			if err := f.db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ?", user).Scan(&n); err != nil {
				continue
			}
			mu.Lock()
			peak, samples = max(peak, n), samples+1
			mu.Unlock()
		}
	}()
	res := f.reconcile(Options{Concurrency: 8})
	close(done)
	wg.Wait()
	if res.Counts.Created != 12 || res.Failed() {
		t.Fatalf("reconcile: %+v", res.Counts)
	}
	if res.Composed != len(moduleSets) {
		t.Errorf("%d desired schemas composed for 12 tenants over %d distinct layer sets", res.Composed, len(moduleSets))
	}
	if peak == 0 || samples < 10 {
		t.Fatalf("the sampler saw no connection (%d samples): the check would prove nothing", samples)
	}
	if peak > maxConns {
		t.Errorf("%d connections at once, want at most %d", peak, maxConns)
	}
	t.Logf("peak %d connections over %d samples", peak, samples)
}
