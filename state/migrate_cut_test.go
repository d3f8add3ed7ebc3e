package state

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// A first migration of a MariaDB landlord database whose connection is cut
// at any point (10 offsets spread over the bytes it sends) starts cleanly
// on the next attempt, at the newest version with every table.
func TestMigrationCutResumes(t *testing.T) {
	ctx := context.Background()
	u := testenv.MySQLURL(t)
	db := testenv.DB(t)
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, db, prefix)
	addr := strings.TrimSuffix(u[strings.LastIndex(u, "@")+1:], "/")
	p := testenv.NewProxy(t, addr)
	through := strings.Replace(strings.TrimSuffix(u, "/"), addr, p.Addr(), 1) + "/"

	// The bytes a whole first migration sends.
	p.CutAfter(0)
	s, err := Open(ctx, through+prefix+"whole")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	total := p.Sent()
	var want int
	db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", prefix+"whole").Scan(&want)

	cutFailed := 0
	for i := 1; i <= 10; i++ {
		offset := total * int64(i) / 11
		name := fmt.Sprintf("%scut%d", prefix, i)
		p.CutAfter(offset)
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		s, err := Open(cctx, through+name)
		cancel()
		if err == nil {
			s.Close()
		} else {
			cutFailed++
		}
		p.CutAfter(0)
		s, err = Open(ctx, through+name)
		if err != nil {
			t.Errorf("cut after %d of %d bytes: the next start fails: %v", offset, total, err)
			continue
		}
		var version, tables int
		s.DB().QueryRow("SELECT MAX(version) FROM landlord_schema_version").Scan(&version)
		db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", name).Scan(&tables)
		s.Close()
		if version != SchemaVersion() || tables != want {
			t.Errorf("cut after %d of %d bytes: version %d with %d tables, want %d with %d", offset, total, version, tables, SchemaVersion(), want)
		}
	}
	if cutFailed < 8 {
		t.Errorf("only %d of 10 cuts made the first start fail: the cuts miss the migration", cutFailed)
	}
	t.Logf("first migration (%d bytes) cut at 10 offsets: %d first starts failed, every next start succeeded", total, cutFailed)
}
