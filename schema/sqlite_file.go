package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"ariga.io/atlas/sql/sqlite"

	"github.com/landlord/landlord/internal/confine"
)

// openSQLite opens the tenant's SQLite file. Without lock, a missing file
// stays missing (planning creates nothing); with lock, the file is created
// and held with an exclusive flock, polled until wait is over.
func (t *Target) openSQLite(ctx context.Context, lock bool, wait time.Duration) error {
	path, err := t.server.sqliteFile(t.database)
	if err != nil {
		return err
	}
	_, err = os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		t.exists = false
	case err != nil:
		return fmt.Errorf("stat %s: %w", path, err)
	default:
		t.exists = true
	}
	if !t.exists && !lock {
		return nil
	}
	var lockFile *os.File
	if lock {
		if err := os.MkdirAll(t.server.dir, 0o755); err != nil {
			return fmt.Errorf("create directory %s: %w", t.server.dir, err)
		}
		// O_NOFOLLOW: a link put in place since sqliteFile looked is
		// refused too, and the file held is the one SQLite opens below.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		if err := regularFile(f, path); err != nil {
			f.Close()
			return err
		}
		if err := flock(ctx, f, wait); err != nil {
			f.Close()
			return fmt.Errorf("lock %s: %w", t.database, err)
		}
		lockFile = f
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err == nil {
		db.SetMaxOpenConns(1)
		t.drv, err = sqlite.Open(db)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		if lockFile != nil {
			lockFile.Close()
		}
		return fmt.Errorf("open %s: %w", path, err)
	}
	t.db = db
	t.release = func() error {
		err := db.Close()
		if lockFile != nil {
			err = errors.Join(err, lockFile.Close()) // closing releases the flock
		}
		return err
	}
	return nil
}

// sqliteFile returns the file of database on an SQLite server, or why it
// must not be opened: the server's directory resolves outside its root
// (a symbolic link of the repository leading out), or the file or one of
// SQLite's files beside it is a symbolic link or not a regular file
// (which SQLite would follow, writing wherever it points).
func (s *Server) sqliteFile(database string) (string, error) {
	path := s.sqlitePath(database)
	if s.root != "" {
		in, err := confine.Within(s.root, s.dir)
		if err != nil {
			return "", fmt.Errorf("sqlite directory %s: %w", s.dir, err)
		}
		if !in {
			return "", fmt.Errorf("sqlite directory %s leads out of %s through a symbolic link: tenant files stay inside the repository", s.dir, s.root)
		}
	}
	if err := confine.Database(path); err != nil {
		return "", fmt.Errorf("database %s: %w", database, err)
	}
	return path, nil
}

// regularFile checks that f, opened at path, is a regular file, and still
// the file at path.
func regularFile(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if cur, err := os.Lstat(path); err != nil || !os.SameFile(fi, cur) {
		return fmt.Errorf("%s changed while it was opened", path)
	}
	return nil
}

// flock takes an exclusive lock on f, retrying until wait has passed.
func flock(ctx context.Context, f *os.File, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if !time.Now().Before(deadline) {
			return ErrLocked
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
