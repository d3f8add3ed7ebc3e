package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Git is a work tree whose commits are pushed to a bare repository: the
// remote that landlord follows through a file:// URL, as it would follow a
// hosted one.
type Git struct {
	// Work is the work tree: edit its files, then Commit.
	Work string
	// Bare is the bare repository.
	Bare string
}

// NewGit makes dir a git work tree on branch main, commits everything in
// it and pushes to a new bare repository.
func NewGit(t testing.TB, dir string) *Git {
	t.Helper()
	g := &Git{Work: dir, Bare: filepath.Join(t.TempDir(), "remote.git")}
	g.git(t, dir, "init", "-q", "-b", "main")
	g.git(t, "", "init", "-q", "--bare", "-b", "main", g.Bare)
	g.git(t, dir, "remote", "add", "origin", g.Bare)
	g.Commit(t, "initial")
	return g
}

// URL is the remote's file:// URL.
func (g *Git) URL() string { return "file://" + g.Bare }

// Commit commits every change of the work tree, pushes it and returns the
// commit hash.
func (g *Git) Commit(t testing.TB, msg string) string {
	t.Helper()
	g.git(t, g.Work, "add", "-A")
	g.git(t, g.Work, "commit", "-q", "--allow-empty", "-m", msg)
	g.git(t, g.Work, "push", "-q", "origin", "main")
	return strings.TrimSpace(g.git(t, g.Work, "rev-parse", "HEAD"))
}

func (g *Git) git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	base := []string{"-c", "user.name=landlord-test", "-c", "user.email=test@landlord.invalid", "-c", "commit.gpgsign=false"}
	cmd := exec.Command("git", append(base, args...)...)
	cmd.Dir = dir
	// Keep the user's and system configuration out of the tests.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
