package confine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWithinAndRegular(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	for _, l := range [][2]string{{outside, "out"}, {"sub", "in"}, {filepath.Join(outside, "f"), "file.db"}, {filepath.Join(outside, "w"), "x.db-wal"}} {
		if err := os.Symlink(l[0], filepath.Join(root, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		"a/b/c": true, "in/new/x": true, ".": true,
		"out": false, "out/new/x": false, "../x": false, "sub/../../x": false,
	} {
		got, err := Within(root, filepath.Join(root, path))
		if err != nil || got != want {
			t.Errorf("Within(root, %s) = %v, %v; want %v", path, got, err, want)
		}
	}
	if err := Database(filepath.Join(root, "missing.db")); err != nil {
		t.Errorf("a missing file: %v", err)
	}
	if err := Database(filepath.Join(root, "x.db")); err == nil || !strings.Contains(err.Error(), "x.db-wal is a symbolic link") {
		t.Errorf("a database whose -wal is a link: %v", err)
	}
	if err := Regular(filepath.Join(root, "file.db")); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("a dangling link: %v", err)
	}
	if err := Regular(filepath.Join(root, "sub")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
}
