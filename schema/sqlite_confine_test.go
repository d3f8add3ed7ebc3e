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

// TestSQLiteSymlinkedFile: a tenant's file (or SQLite's journal beside
// it) that is a symbolic link is never opened: reading, locking, Exists,
// Existing, sizes and SQLitePath refuse it, and the file it points at is
// untouched.
func TestSQLiteSymlinkedFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, link := range []string{"acme.db", "acme.db-journal"} {
		t.Run(link, func(t *testing.T) {
			dir := t.TempDir()
			target := testenv.SQLiteVictim(t)
			if link != "acme.db" {
				if err := os.WriteFile(filepath.Join(dir, "acme.db"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
			srv, err := Open(ctx, "sqlite://"+dir, ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			want := link + " is a symbolic link"
			check := func(what string, err error) {
				t.Helper()
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: %v, want %q", what, err, want)
				}
			}
			tg, err := srv.Lock(ctx, "acme", time.Second)
			if err == nil {
				tg.Close()
			}
			check("Lock", err)
			tg, err = srv.Read(ctx, "acme")
			if err == nil {
				tg.Close()
			}
			check("Read", err)
			_, err = srv.Exists(ctx, "acme")
			check("Exists", err)
			_, err = srv.Existing(ctx, []string{"acme"})
			check("Existing", err)
			_, err = srv.SQLitePath("acme")
			check("SQLitePath", err)
			testenv.AssertSQLiteVictim(t, target)
		})
	}
}

// TestSQLiteRoot: with a Root, a directory that a symbolic link leads out
// of it is refused; one that stays inside, links and all, is used.
func TestSQLiteRoot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(repo, ".landlord")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(repo, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(repo, "inside")); err != nil {
		t.Fatal(err)
	}
	srv, err := Open(ctx, "sqlite://"+filepath.Join(repo, ".landlord/tenants"), ServerOptions{Root: repo})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tg, err := srv.Lock(ctx, "acme", time.Second)
	if err == nil {
		tg.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "leads out of "+repo+" through a symbolic link") {
		t.Errorf("Lock: %v, want the directory refused", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "tenants")); !os.IsNotExist(err) {
		t.Errorf("a directory was made outside the repository: %v", err)
	}
	srv, err = Open(ctx, "sqlite://"+filepath.Join(repo, "inside/tenants"), ServerOptions{Root: repo})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tg, err = srv.Lock(ctx, "acme", time.Second)
	if err != nil {
		t.Fatalf("Lock inside the repository: %v", err)
	}
	tg.Close()
	if _, err := os.Stat(filepath.Join(repo, "real/tenants/acme.db")); err != nil {
		t.Errorf("the tenant's file: %v", err)
	}
}
