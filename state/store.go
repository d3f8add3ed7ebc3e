package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"modernc.org/sqlite" // the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/landlord/landlord/internal/mysqlurl"
	"github.com/landlord/landlord/internal/redact"
)

// Dialect is the engine of the landlord database.
type Dialect string

// The dialects of the landlord database.
const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// Store is the landlord database: tenants and their status, runs, the
// statements of every run, and schema snapshots.
type Store struct {
	db      *sql.DB
	dialect Dialect
	where   string // redacted location, for messages
	path    string // the file, for SQLite

	// heartbeatMissed is when CloseAbandonedRuns first saw each owner
	// whose heartbeat expired lately without a new one.
	abandonMu       sync.Mutex
	heartbeatMissed map[string]time.Time
}

// LogValue implements slog.LogValuer: a store logs without credentials.
func (s *Store) LogValue() slog.Value {
	return slog.GroupValue(slog.String("dialect", string(s.dialect)), slog.String("location", s.where))
}

// Open opens the landlord database at dsn and migrates its schema to the
// current version. dsn is a file path or sqlite://PATH for SQLite (the
// file and its directory are created), or mysql://user:pass@host:port/DB
// for MySQL and MariaDB (the database is created if missing).
func Open(ctx context.Context, dsn string) (*Store, error) {
	if err := checkScheme(dsn); err != nil {
		return nil, err
	}
	s := &Store{where: redact.URL(dsn)}
	var err error
	switch {
	case isMySQL(dsn):
		err = s.openMySQL(ctx, dsn, true)
	default:
		err = s.openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite://"))
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("migrate landlord database %s: %w", s.where, err)
	}
	return s, nil
}

// DatabaseName returns the name of the database a MySQL or MariaDB dsn of
// the landlord database names, or "" for SQLite: no tenant may have it.
func DatabaseName(dsn string) string {
	if !isMySQL(dsn) {
		return ""
	}
	_, name, _, err := mysqlurl.Parse(dsn)
	if err != nil {
		return ""
	}
	return name
}

// OpenReadOnly opens an existing landlord database for reading only: it
// creates nothing, migrates nothing and writes nothing, so read access to
// the database (or a copy of its file) is enough. The database must be at
// the version this landlord writes.
func OpenReadOnly(ctx context.Context, dsn string) (*Store, error) {
	if err := checkScheme(dsn); err != nil {
		return nil, err
	}
	s := &Store{where: redact.URL(dsn)}
	var err error
	if isMySQL(dsn) {
		err = s.openMySQL(ctx, dsn, false)
	} else {
		err = s.openSQLiteReadOnly(ctx, strings.TrimPrefix(dsn, "sqlite://"))
	}
	if err != nil {
		return nil, err
	}
	var version sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(version) FROM landlord_schema_version").Scan(&version); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("landlord database %s: not readable as a landlord database: %s", s.where, redact.Text(err.Error()))
	}
	if int(version.Int64) != SchemaVersion() {
		s.db.Close()
		return nil, fmt.Errorf("landlord database %s is at version %d and this landlord reads version %d: use the landlord release that writes it", s.where, version.Int64, SchemaVersion())
	}
	return s, nil
}

func isMySQL(dsn string) bool { return mysqlurl.IsMySQL(dsn) }

// StoreStallTimeout is how long a MySQL or MariaDB landlord database may
// leave a read or a write of landlord's unanswered before the statement
// fails; a stallTimeout in its URL sets another.
const StoreStallTimeout = 30 * time.Second

// checkScheme refuses a landlord database URL of a scheme landlord does
// not read: it would otherwise be taken for the path of an SQLite file,
// user and password and all (postgres://u:pw@host/db).
func checkScheme(dsn string) error {
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok || isMySQL(dsn) || scheme == "sqlite" {
		return nil
	}
	return fmt.Errorf("landlord database %s: unknown scheme %q: want an SQLite path, sqlite://PATH, or mysql:// or mariadb://", redact.URL(dsn), redact.Text(scheme))
}

func (s *Store) openSQLiteReadOnly(ctx context.Context, path string) error {
	s.dialect = SQLite
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w at %s: pass --state", ErrNotFound, path)
	} else if err != nil {
		return fmt.Errorf("landlord database %s: %w", path, err)
	}
	return s.openSQLiteFile(ctx, path, "mode=ro&_pragma=busy_timeout(15000)")
}

// openSQLiteFile opens the SQLite file at path with the given DSN options.
// One connection: SQLite has one writer, and a pool of one keeps the
// process's own writers from contending for the file lock.
func (s *Store) openSQLiteFile(ctx context.Context, path, options string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("landlord database %s: is a directory; --state names an SQLite file (e.g. %s) or a mysql:// URL", path, filepath.Join(path, "landlord.db"))
	}
	// Switching a new file to WAL needs the file to itself: a process
	// opening it while another one creates it can get SQLITE_BUSY before
	// any busy timeout applies. Opening is tried again for a while then.
	deadline := time.Now().Add(15 * time.Second)
	for {
		db, err := s.trySQLiteFile(ctx, path, options)
		if err == nil {
			s.db = db
			return nil
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return sqliteOpenError(path, err)
		}
		select {
		case <-ctx.Done():
			return sqliteOpenError(path, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *Store) trySQLiteFile(ctx context.Context, path, options string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?"+options)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// The first statement is where SQLite finds a file is not a database.
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master").Scan(&n); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqliteOpenError says in words why SQLite cannot open path, instead of
// its result code ("unable to open database file (14)").
func sqliteOpenError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("landlord database %s: the file is not an SQLite database", path)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("landlord database %s: cannot open the file: check the path, and that its directory is writable", path)
		}
	}
	return fmt.Errorf("landlord database %s: %w", path, err)
}

// ErrNotFound is returned by OpenExisting when there is no landlord
// database yet.
var ErrNotFound = errors.New("no landlord database")

// OpenExisting opens the landlord database like Open, but an SQLite file
// that does not exist is ErrNotFound instead of a new database: commands
// that only read never leave an empty database behind.
func OpenExisting(ctx context.Context, dsn string) (*Store, error) {
	if err := checkScheme(dsn); err != nil {
		return nil, err
	}
	if !isMySQL(dsn) {
		path := strings.TrimPrefix(dsn, "sqlite://")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s: run landlord reconcile first, or pass --state", ErrNotFound, path)
		}
	}
	return Open(ctx, dsn)
}

func (s *Store) openSQLite(ctx context.Context, path string) error {
	s.dialect, s.path = SQLite, path
	if path == "" {
		return errors.New("landlord database: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("landlord database %s: %w", path, err)
		}
	}
	return s.openSQLiteFile(ctx, path, "_pragma=busy_timeout(15000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate")
}

func (s *Store) openMySQL(ctx context.Context, dsn string, create bool) error {
	s.dialect = MySQL
	// The URL's timeouts are for the tenants' servers and their watchdog;
	// the landlord database takes its stallTimeout only (below).
	cfg, name, opts, err := mysqlurl.Parse(dsn)
	if err != nil {
		return fmt.Errorf("landlord database %s: %s", s.where, redact.Text(err.Error()))
	}
	if name == "" {
		return fmt.Errorf("landlord database %s: the url must name a database, e.g. mysql://user@host:3306/landlord", s.where)
	}
	cfg.Loc = time.UTC
	// Statements of the landlord database are short: a server that does
	// not answer for StoreStallTimeout (or the URL's stallTimeout) has
	// stalled, and the statement fails rather than hold a run and its
	// tenants' locks.
	stall := StoreStallTimeout
	if opts.StallTimeout > 0 {
		stall = opts.StallTimeout
	}
	cfg.ReadTimeout, cfg.WriteTimeout = stall, stall
	// Strict whatever the URL says: no statement of landlord's silently
	// truncates or converts a value (schema.StrictSQLMode says why these
	// modes).
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"
	if create {
		// Create the database first, on a connection without one.
		boot, err := gomysql.NewConnector(cfg)
		if err != nil {
			return fmt.Errorf("landlord database %s: %w", s.where, redact.Error(err))
		}
		bdb := sql.OpenDB(boot)
		_, err = bdb.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
		bdb.Close()
		if err != nil {
			return fmt.Errorf("landlord database %s: %w", s.where, redact.Error(err))
		}
	}
	cfg.DBName = name
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return fmt.Errorf("landlord database %s: %w", s.where, redact.Error(err))
	}
	s.db = sql.OpenDB(connector)
	s.db.SetMaxOpenConns(8)
	s.db.SetConnMaxIdleTime(time.Minute)
	return nil
}

// Dialect returns the engine of the landlord database.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns the database handle, for features that keep tables of their
// own in the landlord database.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the landlord database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the landlord database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// tx runs fn in a transaction.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// now is the time stored for "now": UTC, microseconds, as both dialects keep.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func nullTime(t *time.Time) sql.NullTime {
	if t == nil || t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}
