// Package confine keeps the files that a repository can point at inside
// it: a path is compared with its root only once its symbolic links are
// resolved, and a database file is used only as a regular file, never
// through a link (git checks symbolic links out as links).
package confine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Resolve returns path with the symbolic links of its longest existing
// part resolved and the rest, which does not exist yet, appended.
func Resolve(path string) (string, error) {
	path = filepath.Clean(path)
	var tail []string
	for p := path; ; {
		got, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(append([]string{got}, tail...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return path, nil
		}
		tail = append([]string{filepath.Base(p)}, tail...)
		p = parent
	}
}

// Within reports whether path, once the symbolic links of it and of root
// are resolved, is root or below it.
func Within(root, path string) (bool, error) {
	r, err := Resolve(root)
	if err != nil {
		return false, err
	}
	p, err := Resolve(path)
	if err != nil {
		return false, err
	}
	return Lexically(r, p), nil
}

// Lexically reports whether the clean path is root or below it, without
// looking at the file system.
func Lexically(root, path string) bool {
	rel, err := filepath.Rel(filepath.Clean(root), filepath.Clean(path))
	return err == nil && filepath.IsLocal(rel)
}

// Regular returns an error when path exists and is a symbolic link or
// anything but a regular file; a missing path is no error.
func Regular(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: landlord opens database files only as regular files", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// Sidecars are the files SQLite keeps next to a database file, which it
// opens (and writes) by name too.
var Sidecars = []string{"-journal", "-wal", "-shm"}

// Database returns an error when the SQLite file at path, or one of its
// Sidecars, is a symbolic link or not a regular file.
func Database(path string) error {
	for _, suffix := range append([]string{""}, Sidecars...) {
		if err := Regular(path + suffix); err != nil {
			return err
		}
	}
	return nil
}
