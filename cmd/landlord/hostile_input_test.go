package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHostileInputTouchesNothing runs validate, reconcile --plan and
// reconcile on repositories that hold input meant to crash landlord or
// make it read what is not the repository's: a layer file nested 100,000
// levels deep, a symlink out of the repository, files larger than landlord
// reads. Each gets a clear error at file:line(:col) and exit 1, and the
// server's databases, tables and columns, and the statements and
// snapshots of the landlord database, are the same before and after.
func TestHostileInputTouchesNothing(t *testing.T) {
	c := newCLI(t)
	c.must(0, "reconcile")
	outside := filepath.Join(t.TempDir(), "outside.hcl")
	if err := os.WriteFile(outside, []byte("# CONFIDENTIAL\ntable \"leak\" {\n  schema = schema.tenant\n  column \"x\" {\n    type = int\n  }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		setup func(repo string)
		want  *regexp.Regexp
	}{
		{"nested HCL", func(repo string) {
			writeFile(t, repo, "layers/basic/deep.hcl", "x = "+strings.Repeat("(", 100_000)+"1"+strings.Repeat(")", 100_000)+"\n")
		}, regexp.MustCompile(`layers/basic/deep\.hcl:1:\d+: nested more than 64 levels deep`)},
		{"nested HCL in a module", func(repo string) {
			writeFile(t, repo, "layers/modules/election/deep.hcl", "table \"t\" {\n"+strings.Repeat("a {\n", 100_000))
		}, regexp.MustCompile(`layers/modules/election/deep\.hcl:\d+:\d+: nested more than 64 levels deep`)},
		{"symlink out of the repository", func(repo string) {
			if err := os.Symlink(outside, filepath.Join(repo, "layers/basic/leak.hcl")); err != nil {
				t.Fatal(err)
			}
		}, regexp.MustCompile(`layers/basic/leak\.hcl: a symlink to a file outside the repository`)},
		{"oversized layer file", func(repo string) {
			writeFile(t, repo, "layers/basic/big.hcl", strings.Repeat("# padding\n", 60_000))
		}, regexp.MustCompile(`layers/basic/big\.hcl:1:1: the file is larger than 524288 bytes`)},
		{"oversized landlord.yaml", func(repo string) {
			data, _ := os.ReadFile(filepath.Join(repo, "landlord.yaml"))
			writeFile(t, repo, "landlord.yaml", string(data)+strings.Repeat("# padding\n", 30_000))
		}, regexp.MustCompile(`landlord\.yaml:1:1: the file is larger than 262144 bytes`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &cli{t: t, repo: t.TempDir(), state: c.state, server: c.server, prefix: c.prefix, db: c.db}
			copyDir(t, c.repo, h.repo)
			tc.setup(h.repo)
			before := h.snapshot()
			for _, args := range [][]string{{"validate"}, {"reconcile", "--plan"}, {"reconcile"}} {
				full := append(args, "--repo", h.repo)
				if args[0] != "validate" {
					full = append(full, "--server", "primary="+h.server, "--state", h.state)
				}
				out, errOut, code := h.run(full...)
				if code != 1 {
					t.Fatalf("landlord %s: exit %d, want 1\n%s%s", args[0], code, out, errOut)
				}
				if !tc.want.MatchString(out + errOut) {
					t.Errorf("landlord %s: no error matching %s:\n%s%s", args[0], tc.want, out, errOut)
				}
				if strings.Contains(out+errOut, "CONFIDENTIAL") {
					t.Errorf("landlord %s printed a file outside the repository:\n%s%s", args[0], out, errOut)
				}
			}
			if after := h.snapshot(); after != before {
				t.Errorf("the databases changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// snapshot lists the databases, tables and columns of the test's prefix,
// and the number of statements and snapshots the landlord database holds
// (a tenant that fails is recorded as a failed run, with its cause).
func (c *cli) snapshot() string {
	c.t.Helper()
	var b strings.Builder
	rows, err := c.db.Query(`SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA LIKE ? ORDER BY 1, 2, 3`, c.prefix+"%")
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s, tb, col, typ string
		if err := rows.Scan(&s, &tb, &col, &typ); err != nil {
			c.t.Fatal(err)
		}
		b.WriteString(s + "." + tb + "." + col + " " + typ + "\n")
	}
	if err := rows.Err(); err != nil {
		c.t.Fatal(err)
	}
	st := c.store()
	db := st.DB()
	for _, table := range []string{"statements", "snapshots"} {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			c.t.Fatalf("count %s: %v", table, err)
		}
		fmt.Fprintf(&b, "%s: %d rows\n", table, n)
	}
	return b.String()
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDriftExportWritesInsideTheRepository: drift export --write appends to
// the tenant's custom layer inside the repository; where that file is a
// symlink out of the repository, it refuses and writes nothing outside.
func TestDriftExportWritesInsideTheRepository(t *testing.T) {
	c := newCLI(t)
	c.must(0, "reconcile")
	c.exec("CREATE TABLE `" + c.database("cpn-uml") + "`.`adopted` (id int NOT NULL PRIMARY KEY)")
	c.run(append([]string{"drift"}, c.repoArgs()...)...) // records the drift; exits 2 on finding it

	outside := filepath.Join(t.TempDir(), "outside.hcl")
	writeFile(t, filepath.Dir(outside), "outside.hcl", "# not landlord's\n")
	custom := filepath.Join(c.repo, "layers/custom/cpn-uml")
	if err := os.MkdirAll(custom, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(custom, "drift.hcl")); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := c.run(append([]string{"drift", "export", "cpn-uml", "--write"}, c.repoArgs()...)...)
	if data, _ := os.ReadFile(outside); code == 0 || string(data) != "# not landlord's\n" {
		t.Fatalf("export --write through a symlink out: exit %d, outside file now %q\n%s", code, data, errOut)
	}

	os.Remove(filepath.Join(custom, "drift.hcl"))
	c.must(0, "drift", "export", "cpn-uml", "--write")
	data, err := os.ReadFile(filepath.Join(custom, "drift.hcl"))
	if err != nil || !strings.Contains(string(data), `table "adopted"`) {
		t.Fatalf("export --write: %v\n%s", err, data)
	}
}

// TestDriftExportRefusesSpecialFile: where drift export --write would
// append, a FIFO of the work tree is refused, never opened (opening it
// would block for good), also when the repository is read at --ref and
// Load never sees the work tree.
func TestDriftExportRefusesSpecialFile(t *testing.T) {
	c := newCLI(t)
	c.must(0, "reconcile")
	c.exec("CREATE TABLE `" + c.database("cpn-uml") + "`.`adopted` (id int NOT NULL PRIMARY KEY)")
	c.run(append([]string{"drift"}, c.repoArgs()...)...) // records the drift; exits 2 on finding it

	gitOut(t, c.repo, "init", "-q", "-b", "main")
	gitOut(t, c.repo, "add", ".")
	gitOut(t, c.repo, "-c", "user.name=t", "-c", "user.email=t@example.np", "commit", "-q", "-m", "one")
	custom := filepath.Join(c.repo, "layers/custom/cpn-uml")
	if err := os.MkdirAll(custom, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(custom, "drift.hcl"), 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		errOut string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		_, errOut, code := c.run(append([]string{"drift", "export", "cpn-uml", "--write", "--ref", "main"}, c.repoArgs()...)...)
		done <- result{errOut, code}
	}()
	select {
	case r := <-done:
		if r.code == 0 || !strings.Contains(r.errOut, "not a regular file") {
			t.Fatalf("export --write to a FIFO: exit %d\n%s", r.code, r.errOut)
		}
	case <-time.After(30 * time.Second):
		// Not a timing assertion: without the check the open never returns.
		t.Fatal("export --write to a FIFO did not return")
	}
}
