package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// TestSQLiteURLOutsideRepository: an sqlite:// directory in landlord.yaml
// that climbs out of the repository or is absolute is an error at its line
// in landlord.yaml, for validate and reconcile, and nothing is created
// there.
func TestSQLiteURLOutsideRepository(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside")
	for name, url := range map[string]string{
		"dotdot":   "sqlite://../../../../../../../../.." + outside,
		"absolute": "sqlite://" + outside,
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("LANDLORD_PRIMARY_URL", "")
			repo := testenv.CopyExample(t, "")
			testenv.Replace(t, repo, "landlord.yaml", "${LANDLORD_PRIMARY_URL:-sqlite://.landlord/tenants}", url)
			state := filepath.Join(t.TempDir(), "landlord.db")
			for _, args := range [][]string{
				{"validate", "--repo", repo},
				{"reconcile", "--repo", repo, "--state", state, "--allow-destructive"},
			} {
				code, out, errOut := landlord(t, "", args...)
				if code == 0 || !strings.Contains(out+errOut, "landlord.yaml:9:10: servers.primary.url: sqlite:// directory") ||
					!strings.Contains(out+errOut, "a directory in landlord.yaml stays inside the repository") {
					t.Errorf("landlord %s: exit %d\n%s%s\nwant an error at landlord.yaml:9:10", args[0], code, out, errOut)
				}
			}
			if _, err := os.Stat(outside); !os.IsNotExist(err) {
				t.Errorf("%s: %v, want nothing created outside the repository", outside, err)
			}
		})
	}
}

// TestSQLiteSymlinkedTenantFile: a tenant's file committed as a symbolic
// link to an unrelated SQLite file is refused, with --allow-destructive
// too: the file it points at keeps its table and gets none of the
// tenant's.
func TestSQLiteSymlinkedTenantFile(t *testing.T) {
	t.Setenv("LANDLORD_PRIMARY_URL", "")
	repo := testenv.CopyExample(t, "")
	victim := testenv.SQLiteVictim(t)
	tenants := filepath.Join(repo, ".landlord", "tenants")
	if err := os.MkdirAll(tenants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(tenants, "cpn_uml.db")); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "landlord.db")
	for _, args := range [][]string{
		{"reconcile", "--plan", "--repo", repo, "--state", state, "--tenant", "cpn-uml"},
		{"reconcile", "--allow-destructive", "--repo", repo, "--state", state, "--tenant", "cpn-uml"},
	} {
		code, out, errOut := landlord(t, "", args...)
		if code == 0 || !strings.Contains(out+errOut, "cpn_uml.db is a symbolic link") || strings.Contains(out, "DROP TABLE") {
			t.Errorf("landlord %s: exit %d\n%s%s\nwant the symbolic link refused, and no plan", strings.Join(args, " "), code, out, errOut)
		}
	}
	testenv.AssertSQLiteVictim(t, victim)
}

// TestDefaultStateSymlinked: the default landlord database is refused
// when a committed .landlord, or the file in it, is a symbolic link out of
// the repository; --state names one explicitly.
func TestDefaultStateSymlinked(t *testing.T) {
	t.Setenv("LANDLORD_PRIMARY_URL", "")
	t.Setenv("LANDLORD_STATE", "")
	for _, link := range []string{".landlord", ".landlord/landlord.db"} {
		t.Run(link, func(t *testing.T) {
			repo := testenv.CopyExample(t, "")
			outside := t.TempDir()
			target := outside
			if link != ".landlord" {
				target = testenv.SQLiteVictim(t)
				if err := os.Mkdir(filepath.Join(repo, ".landlord"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(target, filepath.Join(repo, link)); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := landlord(t, repo, "reconcile")
			if code == 0 || !strings.Contains(errOut, "default landlord database") || !strings.Contains(errOut, "is a symbolic link") ||
				!strings.Contains(errOut, "pass --state PATH") {
				t.Errorf("reconcile: exit %d\n%s%s\nwant the default landlord database refused", code, out, errOut)
			}
			if link == ".landlord" {
				if entries, _ := os.ReadDir(outside); len(entries) > 0 {
					t.Errorf("written outside the repository: %v", entries)
				}
			} else {
				testenv.AssertSQLiteVictim(t, target)
			}
			state := filepath.Join(t.TempDir(), "landlord.db")
			code, out, errOut = landlord(t, repo, "reconcile", "--state", state, "--server", "primary=sqlite://"+filepath.Join(t.TempDir(), "tenants"))
			if code != 0 {
				t.Errorf("reconcile --state: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}
