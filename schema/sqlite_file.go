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
)

// openSQLite opens the tenant's SQLite file. Without lock, a missing file
// stays missing (planning creates nothing); with lock, the file is created
// and held with an exclusive flock, polled until wait is over.
func (t *Target) openSQLite(ctx context.Context, lock bool, wait time.Duration) error {
	path := t.server.sqlitePath(t.database)
	_, err := os.Stat(path)
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
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
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
