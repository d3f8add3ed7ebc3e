package schema

import (
	"context"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// TestHashMovesWithEveryChange: every kind of out-of-band change that
// drift reports moves the live hash, one change after another on one
// tenant; data (rows, AUTO_INCREMENT counters) does
// not move it. A hash that stayed put would hide drift from every check
// that compares hashes first.
func TestHashMovesWithEveryChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	prefix := testenv.Name(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	d := composeFixture(t, fixtureHCL)
	tenant := prefix + "t"
	reconcileFresh(t, srv, tenant, d)
	hash := func() string {
		t.Helper()
		tg, err := srv.Read(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		defer tg.Close()
		live, err := tg.Inspect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h, err := live.Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	exec := func(st string) {
		t.Helper()
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	first := hash()
	if first != mustHash(t, srv, d) {
		t.Fatalf("fresh tenant hash differs from desired")
	}
	q := func(table string) string { return quoteIdent(tenant) + "." + quoteIdent(table) }
	// Data is not schema.
	exec("INSERT INTO " + q("fx_opts") + " (id, u, n) VALUES (1, 'a', 1), (2, 'b', 2)")
	exec("INSERT INTO " + q("fx_types") + " (flag) VALUES (1), (0)")
	exec("ALTER TABLE " + q("fx_types") + " AUTO_INCREMENT = 1000")
	if h := hash(); h != first {
		t.Fatalf("rows and an AUTO_INCREMENT counter moved the hash")
	}
	exec("DELETE FROM " + q("fx_opts"))

	prev := first
	for _, st := range outOfBandChanges(tenant) {
		exec(st)
		h := hash()
		if h == prev {
			t.Errorf("%s: the hash did not move", st)
		}
		prev = h
	}
	if prev == first {
		t.Errorf("after every change, the hash of the fresh tenant")
	}
}

// BenchmarkLiveHash hashes the example's full layer set as inspected from
// MariaDB; BenchmarkLiveHCL marshals it to HCL, which the hash did before
// its canonical encoding: the ratio of the two is the CPU saved per tenant.
func BenchmarkLiveHash(b *testing.B) {
	live := benchLive(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := live.Hash(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLiveHCL(b *testing.B) {
	live := benchLive(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := live.HCL(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLive(b *testing.B) *Live {
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(b), ServerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	d, err := Compose(srv.Engine(), exampleLayers(b, "election", "social", "volunteers"), opts)
	if err != nil {
		b.Fatal(err)
	}
	live, err := srv.DesiredLive(ctx, d)
	if err != nil {
		b.Fatal(err)
	}
	return live
}

// mapCache is a HashCache in memory.
type mapCache struct {
	m          map[string]string
	gets, puts int
}

func (c *mapCache) DesiredHash(_ context.Context, key string) (string, bool, error) {
	c.gets++
	h, ok := c.m[key]
	return h, ok, nil
}

func (c *mapCache) PutDesiredHash(_ context.Context, key, hash string) error {
	c.puts++
	c.m[key] = hash
	return nil
}

// TestDesiredHashCache: a server with a HashCache keeps the desired hash it
// computed; another server of the same version takes it from there without
// a scratch database, and still normalizes the desired schema when a
// snapshot asks for it. Another desired schema has another key.
func TestDesiredHashCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cache := &mapCache{m: map[string]string{}}
	open := func() *Server {
		srv, err := Open(ctx, mariaURL(t), ServerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		srv.SetHashCache(cache)
		return srv
	}
	first := open()
	d := composeFixture(t, fixtureHCL)
	h1, err := first.DesiredHash(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(cache.m) != 1 || cache.puts != 1 {
		t.Fatalf("cache after the first hash: %d keys, %d puts", len(cache.m), cache.puts)
	}
	second := open()
	d2 := composeFixture(t, fixtureHCL) // the same layers, composed again
	h2, err := second.DesiredHash(ctx, d2)
	if err != nil {
		t.Fatal(err)
	}
	if h2 != h1 {
		t.Fatalf("hash from the cache %s, computed %s", h2, h1)
	}
	if n := second.norm[d2]; !n.cached || n.live != nil || cache.puts != 1 {
		t.Fatalf("the second server normalized the desired schema again")
	}
	live, err := second.DesiredLive(ctx, d2)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := live.Hash(); h != h1 {
		t.Fatalf("desired live hash %s, cached %s", h, h1)
	}
	other := composeFixture(t, strings.Replace(fixtureHCL, `column "n" {`, `column "n2" {
    type = int
    null = true
  }
  column "n" {`, 1))
	h3, err := second.DesiredHash(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if h3 == h1 || len(cache.m) != 2 {
		t.Fatalf("another desired schema: hash %s (first %s), %d keys", h3, h1, len(cache.m))
	}
}

// outOfBandChanges are the kinds of change made by hand to a tenant of
// fixtureHCL that drift reports, each one statement, in an order that
// applies; each changes the schema from the one before.
func outOfBandChanges(tenant string) []string {
	q := func(table string) string { return quoteIdent(tenant) + "." + quoteIdent(table) }
	return []string{
		// Attributes Atlas's model lacks, seen in SHOW CREATE TABLE.
		"ALTER TABLE " + q("fx_types") + " MODIFY flag tinyint(1) NOT NULL DEFAULT 0",
		"ALTER TABLE " + q("fx_types") + " MODIFY f float NULL",
		"ALTER TABLE " + q("fx_types") + " MODIFY zf int(8) unsigned NULL",
		"ALTER TABLE " + q("fx_types") + " MODIFY id int(11) unsigned NOT NULL AUTO_INCREMENT",
		"ALTER TABLE " + q("fx_types") + " MODIFY b blob NULL",
		"ALTER TABLE " + q("fx_types") + " MODIFY inv int NULL",
		"ALTER TABLE " + q("fx_types") + " MODIFY v varchar(300) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci NULL",
		"ALTER TABLE " + q("fx_types") + " DROP CONSTRAINT chk_f, ADD CONSTRAINT chk_f CHECK (f >= 1)",
		"ALTER TABLE " + q("fx_types") + " PARTITION BY HASH (id) PARTITIONS 3",
		"ALTER TABLE " + q("fx_opts") + " PAGE_COMPRESSED=DEFAULT",
		"ALTER TABLE " + q("fx_opts") + " ROW_FORMAT=COMPRESSED",
		"ALTER TABLE " + q("fx_opts") + " CHECKSUM=0",
		"ALTER TABLE " + q("fx_opts") + " DELAY_KEY_WRITE=0",
		"ALTER TABLE " + q("fx_opts") + " ALTER INDEX k IGNORED",
		// Columns: added, type, nullability, default, comment, charset.
		"ALTER TABLE " + q("fx_opts") + " ADD COLUMN extra int NULL",
		"ALTER TABLE " + q("fx_opts") + " MODIFY extra bigint NULL",
		"ALTER TABLE " + q("fx_opts") + " MODIFY extra bigint NOT NULL DEFAULT 0",
		"ALTER TABLE " + q("fx_opts") + " ALTER extra SET DEFAULT 5",
		"ALTER TABLE " + q("fx_opts") + " MODIFY extra bigint NOT NULL DEFAULT 5 COMMENT 'by hand'",
		"ALTER TABLE " + q("fx_opts") + " MODIFY u varchar(200) CHARACTER SET latin1 NULL",
		"ALTER TABLE " + q("fx_opts") + " DROP COLUMN extra",
		// Indexes: added, prefix length, unique, dropped.
		"ALTER TABLE " + q("fx_opts") + " ADD INDEX k2 (u(10))",
		"ALTER TABLE " + q("fx_opts") + " DROP INDEX k2, ADD INDEX k2 (u(12))",
		"ALTER TABLE " + q("fx_opts") + " DROP INDEX k2, ADD INDEX k2 (u(12) DESC)",
		"ALTER TABLE " + q("fx_opts") + " DROP INDEX k2, ADD UNIQUE INDEX k2 (u(12))",
		"ALTER TABLE " + q("fx_opts") + " DROP INDEX k",
		// Table options.
		"ALTER TABLE " + q("fx_opts") + " COMMENT 'by hand'",
		"ALTER TABLE " + q("fx_opts") + " COLLATE latin1_bin",
		"ALTER TABLE " + q("fx_opts") + " ENGINE=MyISAM",
		// Tables and foreign keys.
		"CREATE TABLE " + q("by_hand") + " (id int PRIMARY KEY, p int NULL) ENGINE=InnoDB",
		"ALTER TABLE " + q("by_hand") + " ADD CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES " + q("by_hand") + " (id)",
		"ALTER TABLE " + q("by_hand") + " DROP FOREIGN KEY fk_p",
		// The same key, with other actions: hashes unlike the one above.
		"ALTER TABLE " + q("by_hand") + " ADD CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES " + q("by_hand") + " (id) ON DELETE CASCADE",
		"ALTER TABLE " + q("by_hand") + " DROP FOREIGN KEY fk_p",
		"ALTER TABLE " + q("by_hand") + " ADD CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES " + q("by_hand") + " (id) ON DELETE CASCADE ON UPDATE SET NULL",
		"ALTER TABLE " + q("by_hand") + " RENAME COLUMN p TO p2",
		"DROP TABLE " + q("by_hand"),
		// The database's defaults.
		"ALTER DATABASE " + quoteIdent(tenant) + " CHARACTER SET latin1 COLLATE latin1_swedish_ci",
	}
}
