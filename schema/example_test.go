package schema

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// exampleLayers returns the layers of the example's nepali-congress tenant.
func exampleLayers(t testing.TB, modules ...string) []Layer {
	t.Helper()
	root := testenv.ExampleDir()
	read := func(name, dir string) Layer {
		paths, err := filepath.Glob(filepath.Join(root, dir, "*.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		l := Layer{Name: name}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(root, p)
			l.Files = append(l.Files, File{Path: rel, Data: b})
		}
		return l
	}
	layers := []Layer{read("basic", "layers/basic"), read("template/political-party", "layers/templates/political-party")}
	for _, m := range modules {
		layers = append(layers, read("module/"+m, "layers/modules/"+m))
	}
	return layers
}

var opts = Options{Charset: "utf8mb4", Collation: "utf8mb4_unicode_ci"}

func TestExampleRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, engine := range []Engine{SQLite, MariaDB} {
		t.Run(string(engine), func(t *testing.T) {
			var url string
			switch engine {
			case SQLite:
				url = "sqlite://" + t.TempDir()
			default:
				url = mariaURL(t)
			}
			srv, err := Open(ctx, url, ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			d, err := Compose(srv.Engine(), exampleLayers(t, "election", "social", "volunteers"), opts)
			if err != nil {
				t.Fatal(err)
			}
			db := testenv.Name(t) + "db"
			dropDB(t, srv, db)
			live := applyDesired(t, srv, db, d)
			tg, err := srv.Read(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			p2, err := tg.Plan(ctx, live, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p2.Statements {
				t.Errorf("after apply: %s", s.SQL)
			}
			lh, err := live.Hash()
			if err != nil {
				t.Fatal(err)
			}
			dh, err := srv.DesiredHash(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if lh != dh {
				hcl, _ := live.HCL()
				t.Errorf("live hash %s != desired hash %s\n%s", lh, dh, hcl)
			}
		})
	}
}

// applyDesired plans d for database db on srv, applies it and returns the
// inspected result.
func applyDesired(t testing.TB, srv *Server, db string, d *Desired) *Live {
	t.Helper()
	ctx := context.Background()
	tg, err := srv.Lock(ctx, db, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	live, err := tg.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tg.Plan(ctx, live, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Apply(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if live, err = tg.Inspect(ctx); err != nil {
		t.Fatal(err)
	}
	return live
}

func mariaURL(t testing.TB) string { return testenv.MySQLURL(t) }

// dropDB drops the test's database db now and after the test. On MySQL and
// MariaDB it uses a handle of its own: the test closes srv before its
// cleanups run.
func dropDB(t testing.TB, srv *Server, db string) {
	t.Helper()
	if srv.engine == SQLite {
		drop := func() { os.Remove(srv.sqlitePath(db)) }
		drop()
		t.Cleanup(drop)
		return
	}
	testenv.DropPrefix(t, testenv.DB(t), db)
}

// TestOfflinePlanMatchesLive: a snapshot read back plans like the live
// database it was taken from, and two desired schemas plan without a server.
func TestOfflinePlanMatchesLive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	older, err := Compose(srv.Engine(), exampleLayers(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	newer, err := Compose(srv.Engine(), exampleLayers(t, "election"), opts)
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.Name(t) + "db"
	dropDB(t, srv, db)
	live := applyDesired(t, srv, db, older)
	tg, err := srv.Read(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	online, err := tg.Plan(ctx, live, newer)
	if err != nil {
		t.Fatal(err)
	}
	hcl, err := live.HCL()
	if err != nil {
		t.Fatal(err)
	}
	snap, err := LiveFromHCL(srv.Engine(), hcl)
	if err != nil {
		t.Fatal(err)
	}
	off, err := OpenOffline(srv.Engine(), srv.Version())
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	fromSnap, err := off.Plan(ctx, snap, newer, db)
	if err != nil {
		t.Fatal(err)
	}
	fromDesired, err := off.Plan(ctx, LiveFrom(srv.Engine(), older), newer, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(online.Statements) == 0 {
		t.Fatal("adding the election module planned nothing")
	}
	for name, got := range map[string]*Plan{"snapshot": fromSnap, "desired": fromDesired} {
		if len(got.Statements) != len(online.Statements) {
			t.Errorf("%s: %d statements, live planned %d", name, len(got.Statements), len(online.Statements))
			continue
		}
		for i := range got.Statements {
			if got.Statements[i].SQL != online.Statements[i].SQL {
				t.Errorf("%s statement %d:\n got %s\nwant %s", name, i, got.Statements[i].SQL, online.Statements[i].SQL)
			}
		}
	}
}

// TestHashStable: the schema hash does not depend on the database name, the
// data (AUTO_INCREMENT counters included) or the order columns were added
// in; it does depend on the schema.
func TestHashStable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	v1, err := Compose(srv.Engine(), []Layer{layer("basic", "basic.hcl", basicHCL)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	// v2 adds a column in the middle of users: a live table gets it last.
	v2, err := Compose(srv.Engine(), []Layer{layer("basic", "basic.hcl", strings.Replace(basicHCL, `  column "email" {`, `  column "name" {
    type = varchar(100)
    null = true
  }
  column "email" {`, 1))}, opts)
	if err != nil {
		t.Fatal(err)
	}
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, testenv.DB(t), prefix)
	apply := func(db string, d *Desired) *Live { return applyDesired(t, srv, db, d) }
	hash := func(l *Live) string {
		h, err := l.Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a := hash(apply(prefix+"a", v1))
	if _, err := testenv.DB(t).Exec("INSERT INTO `" + prefix + "a`.users (email) VALUES ('a@example.np'), ('b@example.np')"); err != nil {
		t.Fatal(err)
	}
	b := hash(apply(prefix+"b", v1))
	if a != b || hash(apply(prefix+"a", v1)) != a {
		t.Errorf("hash depends on the database name or the data")
	}
	grown := hash(apply(prefix+"a", v2)) // ALTER TABLE ADD COLUMN: name is last
	fresh := hash(apply(prefix+"c", v2)) // CREATE TABLE: name is second
	if grown != fresh {
		t.Errorf("hash depends on column order: %s vs %s", grown, fresh)
	}
	if grown == a {
		t.Errorf("hash did not change with the schema")
	}
	dh, err := srv.DesiredHash(ctx, v2)
	if err != nil {
		t.Fatal(err)
	}
	if dh != grown {
		t.Errorf("desired hash %s, live %s", dh, grown)
	}
}
