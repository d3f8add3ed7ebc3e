package schema

import (
	"context"
	"testing"
)

// TestPoolFromMaxConnections: with no maxConnections in landlord.yaml, the
// pool is a tenth of the server's max_connections, from 4 to 32; a
// configured one is kept as it is.
func TestPoolFromMaxConnections(t *testing.T) {
	t.Parallel()
	for limit, want := range map[int]int{1: 4, 40: 4, 151: 15, 320: 32, 100000: 32} {
		if got := poolFor(limit); got != want {
			t.Errorf("poolFor(%d) = %d, want %d", limit, got, want)
		}
	}
	ctx := context.Background()
	for _, configured := range []int{0, 3} {
		srv, err := Open(ctx, mariaURL(t), ServerOptions{MaxConnections: configured})
		if err != nil {
			t.Fatal(err)
		}
		var limit int
		if err := srv.db.QueryRowContext(ctx, "SELECT @@max_connections").Scan(&limit); err != nil {
			t.Fatal(err)
		}
		want := configured
		if want == 0 {
			want = poolFor(limit)
		}
		if srv.pool != want || srv.db.Stats().MaxOpenConnections != want {
			t.Errorf("maxConnections %d on a server of max_connections %d: pool %d (sql.DB %d), want %d",
				configured, limit, srv.pool, srv.db.Stats().MaxOpenConnections, want)
		}
		srv.Close()
	}
}
