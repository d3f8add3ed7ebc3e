package schema

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	gomysql "github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/landlord/landlord/internal/mysqlurl"
	"github.com/landlord/landlord/internal/redact"
)

// ErrLocked is returned when another process holds a database's lock for
// longer than the caller waits.
var ErrLocked = errors.New("database is locked by another apply")

// ServerOptions bound what landlord asks of one database server.
type ServerOptions struct {
	// MaxConnections bounds the server's connection pool, whatever the
	// number of tenants (MySQL and MariaDB). Zero sizes it from the
	// server's own limit: a tenth of its max_connections, from 4 to 32
	// (15 on a default server of 151).
	MaxConnections int

	// The timeouts of MySQL and MariaDB connections; zero means the
	// default. The server URL's query parameters of the same names
	// (connectTimeout, readTimeout, writeTimeout, statementTimeout,
	// stallTimeout, as Go durations) take precedence.
	//
	// ConnectTimeout bounds a new connection's dial and handshake
	// (DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// ReadTimeout and WriteTimeout bound one read or write on a
	// connection: the last resort against a dead connection (defaults:
	// the statement timeout plus five minutes, DefaultWriteTimeout).
	ReadTimeout, WriteTimeout time.Duration
	// StatementTimeout is how long one statement may run before it is
	// killed on the server (DefaultStatementTimeout).
	StatementTimeout time.Duration
	// StallTimeout is how long a statement may wait without the server
	// confirming, over a second connection, that it still runs it
	// (DefaultStallTimeout); a stalled connection fails within about
	// this time.
	StallTimeout time.Duration

	// Root confines an SQLite server's directory: when set, the directory
	// must resolve, its symbolic links followed, inside Root, or its
	// files are not opened. For a directory in the repository, whose
	// symbolic links whoever writes to the repository controls.
	Root string
}

// withDefaults fills the zero timeouts.
func (o ServerOptions) withDefaults() ServerOptions {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = DefaultStatementTimeout
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = o.StatementTimeout + readTimeoutMargin
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	return o
}

// Server is one database server holding tenant databases: a MySQL or
// MariaDB server, or a directory of SQLite files.
type Server struct {
	engine  Engine
	url     string // redacted
	version string
	db      *sql.DB // MySQL and MariaDB
	// watchDB is the watchdog's own small pool, so that a probe never
	// waits for a connection that busy tenants hold.
	watchDB *sql.DB
	// copyDB is the pool of backups and restores (CopyDB).
	copyDB *sql.DB
	dir    string // SQLite
	root   string // SQLite: ServerOptions.Root
	opts   ServerOptions
	pool   int // the connection pool's bound (MySQL and MariaDB)

	mu   sync.Mutex
	norm map[*Desired]*normalized
	// normOrder is the order norm's entries came in, oldest first: the
	// cache keeps at most maxNormalized of them.
	normOrder []*Desired

	csMu sync.Mutex
	cs   *charsets

	hashCache  HashCache
	traitsOnce sync.Once
	traitsText string
	traitsErr  error
}

// maxNormalized bounds the desired schemas a server keeps normalized.
const maxNormalized = 256

// env returns the planning environment of the server with driver drv. The
// server's character sets are read once, over q: the connection the caller
// already holds, so that planning never needs a second connection from a
// pool that concurrent tenants may have exhausted. A failed read is not
// kept; the next call reads again.
func (s *Server) env(ctx context.Context, drv migrate.Driver, q rowQuerier) (*env, error) {
	e := &env{drv: drv, engine: s.engine}
	if !isMySQLFamily(s.engine) {
		return e, nil
	}
	s.csMu.Lock()
	defer s.csMu.Unlock()
	if s.cs == nil {
		cs, err := readCharsets(ctx, q)
		if err != nil {
			return nil, err
		}
		s.cs = cs
	}
	e.cs = s.cs
	return e, nil
}

type normalized struct {
	mu   sync.Mutex
	done bool
	live *Live
	hash string
	// cached is set when the hash came from the HashCache: the live
	// schema is normalized only when asked for (DesiredLive).
	cached bool
}

// LogValue implements slog.LogValuer: a server logs without its credentials.
func (s *Server) LogValue() slog.Value {
	return slog.GroupValue(slog.String("engine", string(s.engine)), slog.String("url", s.url))
}

// Open connects to the server at rawURL: mysql://user:pass@host:port/ (also
// mariadb://) or sqlite://DIR (one file per tenant database in DIR). Errors
// never carry the password; they keep their cause (errors.As finds the
// driver's error).
func Open(ctx context.Context, rawURL string, opts ServerOptions) (*Server, error) {
	s := &Server{url: redact.URL(rawURL), norm: make(map[*Desired]*normalized)}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("server url %q: want mysql://, mariadb:// or sqlite://", s.url)
	}
	switch scheme {
	case "sqlite":
		if rest == "" {
			return nil, fmt.Errorf("server url %q: sqlite:// needs a directory", s.url)
		}
		s.engine, s.dir, s.version = SQLite, filepath.Clean(rest), "sqlite"
		s.root = opts.Root
		return s, nil
	case "mysql", "mariadb":
		cfg, err := mysqlConfig(rawURL, &opts)
		if err != nil {
			return nil, fmt.Errorf("server url %q: %w", s.url, redact.Error(err))
		}
		s.opts = opts.withDefaults()
		cfg.Timeout = s.opts.ConnectTimeout
		cfg.ReadTimeout, cfg.WriteTimeout = s.opts.ReadTimeout, s.opts.WriteTimeout
		connector, err := gomysql.NewConnector(cfg)
		if err != nil {
			return nil, fmt.Errorf("server url %q: %w", s.url, redact.Error(err))
		}
		hc := handshakeConnector{Connector: connector, timeout: s.opts.ConnectTimeout}
		s.db = sql.OpenDB(hc)
		// Until the server tells its own limit, when landlord.yaml sets
		// none.
		s.pool = opts.MaxConnections
		if s.pool <= 0 {
			s.pool = 4
		}
		s.db.SetMaxOpenConns(s.pool)
		s.db.SetMaxIdleConns(s.pool)
		s.db.SetConnMaxIdleTime(time.Minute)
		s.watchDB = sql.OpenDB(hc)
		s.watchDB.SetMaxOpenConns(2)
		s.watchDB.SetMaxIdleConns(1)
		s.watchDB.SetConnMaxIdleTime(time.Minute)
		// Backups and restores stream rows in short statements: a read
		// or write the server leaves unanswered for stallTimeout has
		// stalled.
		ccfg := cfg.Clone()
		ccfg.ReadTimeout, ccfg.WriteTimeout = s.opts.StallTimeout, s.opts.StallTimeout
		cc, err := gomysql.NewConnector(ccfg)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("server url %q: %w", s.url, redact.Error(err))
		}
		s.copyDB = sql.OpenDB(handshakeConnector{Connector: cc, timeout: s.opts.ConnectTimeout})
		s.copyDB.SetMaxOpenConns(2)
		s.copyDB.SetMaxIdleConns(1)
		s.copyDB.SetConnMaxIdleTime(time.Minute)
		vctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout+s.opts.StallTimeout)
		defer cancel()
		if err := s.db.QueryRowContext(vctx, "SELECT VERSION()").Scan(&s.version); err != nil {
			s.Close()
			return nil, connectError(cfg, s.url, s.stallCause(vctx, err))
		}
		s.engine = MySQL
		if strings.Contains(strings.ToLower(s.version), "mariadb") {
			s.engine = MariaDB
		}
		// The charsets now, while no connection of the pool is held: a
		// plan that needs them later holds one already, and a small pool
		// would wait for itself.
		if s.cs, err = readCharsets(vctx, s.db); err != nil {
			s.Close()
			return nil, fmt.Errorf("connect %s: %w", s.url, redact.Error(s.stallCause(vctx, err)))
		}
		if opts.MaxConnections <= 0 {
			var limit int
			if err := s.db.QueryRowContext(vctx, "SELECT @@max_connections").Scan(&limit); err != nil {
				s.Close()
				return nil, fmt.Errorf("connect %s: %w", s.url, redact.Error(s.stallCause(vctx, err)))
			}
			s.pool = poolFor(limit)
			s.db.SetMaxOpenConns(s.pool)
			s.db.SetMaxIdleConns(s.pool)
		}
		return s, nil
	}
	return nil, fmt.Errorf("server url %q: unknown scheme %q, want mysql, mariadb or sqlite", s.url, scheme)
}

// poolFor is the connection pool landlord opens to a server whose
// max_connections is limit, when landlord.yaml sets none: a tenth of it,
// from 4 to 32. The rest stays for the applications, replication and the
// operators.
func poolFor(limit int) int {
	return min(max(limit/10, 4), 32)
}

// connectError says in one line why a server cannot be reached. A network
// error stays wrapped, for retries to classify.
func connectError(cfg *gomysql.Config, redacted string, err error) error {
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("connect %s: no answer within %s (?timeout= in the url sets the wait): %w", redacted, cfg.Timeout, err)
	case errors.As(err, &netErr):
		return fmt.Errorf("connect %s: %w", redacted, err)
	}
	// A server's refusal (access denied) keeps its cause, redacted: it is
	// classified by its number, not retried like a network blip.
	return fmt.Errorf("connect %s: %w", redacted, redact.Error(err))
}

// CheckURL checks a server URL as Open reads it, without connecting: its
// scheme, and for MySQL and MariaDB its host, port and parameters. Errors
// never carry the password.
func CheckURL(rawURL string) error {
	if _, err := EngineOf(rawURL); err != nil {
		return err
	}
	scheme, rest, _ := strings.Cut(rawURL, "://")
	switch scheme {
	case "sqlite":
		if rest == "" {
			return fmt.Errorf("server url %q: sqlite:// needs a directory", redact.URL(rawURL))
		}
	case "mysql", "mariadb":
		cfg, err := mysqlConfig(rawURL, &ServerOptions{})
		if err == nil {
			_, err = gomysql.NewConnector(cfg)
		}
		if err != nil {
			return fmt.Errorf("server url %q: %s", redact.URL(rawURL), redact.Text(err.Error()))
		}
	}
	return nil
}

// EngineOf returns the engine a server URL names without connecting:
// SQLite for sqlite://, MySQL for mysql:// (it may turn out MariaDB when
// connected; both share one dialect) and MariaDB for mariadb://.
func EngineOf(rawURL string) (Engine, error) {
	scheme, _, ok := strings.Cut(rawURL, "://")
	switch {
	case !ok:
		return "", fmt.Errorf("server url %q: want mysql://, mariadb:// or sqlite://", redact.URL(rawURL))
	case scheme == "sqlite":
		return SQLite, nil
	case scheme == "mysql":
		return MySQL, nil
	case scheme == "mariadb":
		return MariaDB, nil
	}
	return "", fmt.Errorf("server url %q: unknown scheme %q, want mysql, mariadb or sqlite", redact.URL(rawURL), scheme)
}

// mysqlConfig reads a server URL into the driver's configuration (one
// parser for every mysql:// URL: internal/mysqlurl); the URL's timeouts go
// to opts, and the session's sql_mode is landlord's strict one whatever the
// URL says.
func mysqlConfig(rawURL string, opts *ServerOptions) (*gomysql.Config, error) {
	cfg, database, u, err := mysqlurl.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if database != "" {
		return nil, fmt.Errorf("a server url names no database (tenants have their own), got path %q", "/"+database)
	}
	if cfg.Timeout != mysqlurl.DefaultTimeout { // ?timeout= in the URL
		opts.ConnectTimeout = cfg.Timeout
	}
	for _, o := range []struct {
		url time.Duration
		opt *time.Duration
	}{
		{u.ConnectTimeout, &opts.ConnectTimeout},
		{u.ReadTimeout, &opts.ReadTimeout},
		{u.WriteTimeout, &opts.WriteTimeout},
		{u.StatementTimeout, &opts.StatementTimeout},
		{u.StallTimeout, &opts.StallTimeout},
	} {
		if o.url > 0 {
			*o.opt = o.url
		}
	}
	delete(cfg.Params, "sql_mode") // mysqlurl gives a variable's name in lower case
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["sql_mode"] = StrictSQLMode
	if _, ok := cfg.Params["lock_wait_timeout"]; !ok {
		cfg.Params["lock_wait_timeout"] = strconv.Itoa(int(DefaultLockWaitTimeout / time.Second))
	}
	// TIMESTAMP values, column defaults among them, read back in the
	// session's time zone: under the server's own, a server whose time
	// zone changes (a failover to a replica set up otherwise) shows every
	// TIMESTAMP default moved, as drift of every tenant, and one layer
	// would mean another instant on each server. UTC, unless the URL says.
	if _, ok := cfg.Params["time_zone"]; !ok {
		cfg.Params["time_zone"] = "'+00:00'"
	}
	// A statement's arguments go in its text, escaped by the driver for
	// the connection's utf8mb4 (mysqlurl refuses another client character
	// set): one round trip instead of a prepare, an execute and a close.
	// A follower of a column change ran 29 round trips, 20 of them for
	// preparing and closing.
	cfg.InterpolateParams = true
	return cfg, nil
}

// StrictSQLMode is the sql_mode of every connection landlord opens to a
// MySQL or MariaDB server, whatever the server's default or the URL says:
// a statement that would truncate or convert a value fails instead
// (STRICT_ALL_TABLES), and string literals and identifiers are quoted the
// way landlord writes them (neither ANSI_QUOTES nor NO_BACKSLASH_ESCAPES).
// NO_ZERO_DATE is left out: real schemas keep '0000-00-00' defaults.
const StrictSQLMode = "'STRICT_ALL_TABLES,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"

// Engine returns the server's engine.
func (s *Server) Engine() Engine { return s.engine }

// Version returns the server's version string.
func (s *Server) Version() string { return s.version }

// Close closes the server's pool.
func (s *Server) Close() error {
	var errs []error
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.copyDB != nil {
		errs = append(errs, s.copyDB.Close())
	}
	if s.watchDB != nil {
		errs = append(errs, s.watchDB.Close())
	}
	return errors.Join(errs...)
}

// Target is one tenant database on a server, held through one connection for
// the time of a reconcile. A Target from Lock holds the database's lock.
type Target struct {
	server   *Server
	database string
	exists   bool
	conn     *sql.Conn    // MySQL and MariaDB
	w        *watchedConn // conn under the watchdog
	db       *sql.DB      // SQLite
	drv      migrate.Driver
	release  func() error
}

// Read opens database for inspection and planning, without a lock and
// without creating anything.
func (s *Server) Read(ctx context.Context, database string) (*Target, error) {
	return s.target(ctx, database, false, 0)
}

// Lock opens database and takes its lock, waiting up to wait for another
// holder. The lock is GET_LOCK on MySQL and MariaDB (server-wide, so two
// landlord processes never apply to one database at once) and an exclusive
// flock on the SQLite file. On SQLite the file is created if missing.
// ErrLocked is returned when the wait ends without the lock.
func (s *Server) Lock(ctx context.Context, database string, wait time.Duration) (*Target, error) {
	return s.target(ctx, database, true, wait)
}

func (s *Server) target(ctx context.Context, database string, lock bool, wait time.Duration) (*Target, error) {
	t := &Target{server: s, database: database}
	switch s.engine {
	case SQLite:
		return t, t.openSQLite(ctx, lock, wait)
	default:
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("connect: %w", redact.Error(err))
		}
		w, err := s.watched(ctx, conn)
		if err != nil {
			conn.Close()
			return nil, redact.Error(err)
		}
		t.conn, t.w = conn, w
		t.release = func() error { w.close(); return conn.Close() }
		if lock {
			name := lockName(database)
			var got sql.NullInt64
			// Whole seconds, rounded up: a wait under a second is one,
			// not none.
			if err := w.scanRow(ctx, "SELECT GET_LOCK(?, ?)", []any{name, int(math.Ceil(wait.Seconds()))}, &got); err != nil {
				t.Close()
				return nil, fmt.Errorf("lock %s: %w", database, err)
			}
			if !got.Valid || got.Int64 != 1 {
				t.Close()
				return nil, fmt.Errorf("lock %s: %w", database, ErrLocked)
			}
			t.release = func() error {
				// The lock goes with the connection: close it even when the
				// context of the run is gone, and never wait long on a
				// connection that may be dead.
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.killTimeout())
				defer cancel()
				_, err := conn.ExecContext(rctx, "DO RELEASE_LOCK(?)", name)
				w.close()
				return errors.Join(err, conn.Close())
			}
		}
		drv, err := mysql.Open(inspectQuerier{w})
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("open driver: %w", err)
		}
		t.drv = drv
		var n int
		if err := w.scanRow(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", []any{database}, &n); err != nil {
			t.Close()
			return nil, fmt.Errorf("look up %s: %w", database, err)
		}
		t.exists = n > 0
		return t, nil
	}
}

// lockName is the server-wide lock of a database. MySQL limits lock names to
// 64 characters; long database names are hashed.
func lockName(database string) string {
	name := "landlord:" + database
	if len(name) > 64 {
		sum := sha256.Sum256([]byte(database))
		name = "landlord:" + hex.EncodeToString(sum[:])[:48]
	}
	return name
}

// Database returns the target's database name.
func (t *Target) Database() string { return t.database }

// Exists reports whether the database existed when the target was opened.
func (t *Target) Exists() bool { return t.exists }

// Close releases the lock, if held, and the connection.
func (t *Target) Close() error {
	if t.release == nil {
		return nil
	}
	err := t.release()
	t.release = nil
	return err
}

// schemaName is the name the target's schema has for Atlas.
func (t *Target) schemaName() string {
	if t.server.engine == SQLite {
		return "main"
	}
	return t.database
}

// Live is an inspected database schema.
type Live struct {
	engine Engine
	exists bool
	schema *atlas.Schema
	// hidden are the columns Without removed from the tables it kept, by
	// table: a plan must not lose them.
	hidden map[string][]string
	// ddl is every table as the server shows it (MySQL and MariaDB; nil
	// on SQLite and for snapshots taken before landlord kept it).
	ddl map[string]*TableDDL
	// others are the objects Atlas's inspection does not return (views,
	// sequences, system-versioned tables, triggers, routines, events):
	// listed by drift, never planned (MySQL and MariaDB).
	others []other
}

// Exists reports whether the database exists.
func (l *Live) Exists() bool { return l.exists }

// Tables returns the names of the live tables.
func (l *Live) Tables() []string {
	var names []string
	if l.schema != nil {
		for _, t := range l.schema.Tables {
			names = append(names, t.Name)
		}
	}
	return names
}

// Inspect reads the live schema of the target database. A missing database
// is an empty, non-existing Live, not an error.
func (t *Target) Inspect(ctx context.Context) (*Live, error) {
	l := &Live{engine: t.server.engine, exists: t.exists, schema: &atlas.Schema{Name: t.schemaName()}}
	if !t.exists || t.drv == nil {
		return l, nil
	}
	s, err := t.drv.InspectSchema(ctx, t.schemaName(), nil)
	switch {
	case atlas.IsNotExistError(err):
		l.exists = false
		return l, nil
	case err != nil:
		return nil, fmt.Errorf("inspect %s: %w", t.database, err)
	}
	if db, ok := t.drv.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}); ok && t.server.engine == SQLite {
		if err := sqlitePrimaryKeyOrder(ctx, db, s); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.database, err)
		}
	}
	if isMySQLFamily(t.server.engine) {
		if l.ddl, err = readDDL(ctx, t.w, t.schemaName(), s); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.database, err)
		}
		if err := checkComplete(s, l.ddl); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.database, err)
		}
		if err := enrichFromDDL(s, l.ddl); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.database, err)
		}
		if l.others, err = readOthers(ctx, t.w, t.schemaName()); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.database, err)
		}
		l.others = append(l.others, periodsOf(s, l.ddl)...)
	}
	l.schema = s
	return l, nil
}

// Plan diffs the live schema against desired and returns the statements
// that would make the database match.
func (t *Target) Plan(ctx context.Context, live *Live, d *Desired) (*Plan, error) {
	return t.PlanLeaving(ctx, live, d, nil)
}

// PlanLeaving is Plan that leaves the objects in leave as they are live: no
// statement adds, drops or changes them. It is how drift that a policy
// reports is kept out of a plan.
func (t *Target) PlanLeaving(ctx context.Context, live *Live, d *Desired, leave []Object) (*Plan, error) {
	drv, done, err := t.driver(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	e, err := t.server.env(ctx, drv, t.querier())
	if err != nil {
		return nil, err
	}
	p, err := plan(ctx, e, t.schemaName(), live, d, objectSet(leave))
	if err != nil {
		return nil, err
	}
	p.Database = t.database
	return p, nil
}

// driver returns the target's driver, or, for a missing SQLite file opened
// without a lock, the driver of an empty in-memory database; call done
// after use.
// querier is the connection the target holds, or the server's pool when it
// holds none.
func (t *Target) querier() rowQuerier {
	if t.conn != nil {
		return t.conn
	}
	return t.server.db
}

func (t *Target) driver(ctx context.Context) (drv migrate.Driver, done func(), err error) {
	if t.drv != nil {
		return t.drv, func() {}, nil
	}
	mem, closeMem, err := memoryDriver(ctx)
	if err != nil {
		return nil, nil, err
	}
	return mem, closeMem, nil
}

// StatementResult is what happened to one statement of an applied plan.
type StatementResult struct {
	Index    int
	Duration time.Duration
	Err      error
}

// ApplyError tells which statement of a plan failed. The statements before
// it were applied (DDL is not transactional on MySQL and MariaDB); the ones
// after it were not run.
type ApplyError struct {
	Index int
	SQL   string
	Err   error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("statement %d: %v", e.Index+1, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// ErrReadOnly is returned when a server refuses to write because it is
// read-only (read_only, super_read_only, innodb_read_only, a read-only
// transaction): a replica, often the old primary after a failover. It is
// the server's state, not the tenant's: retried with backoff.
var ErrReadOnly = errors.New("server is read-only")

// readOnly reports whether err is a server's refusal to write because it
// is read-only: ER_OPTION_PREVENTS_STATEMENT (1290, --read-only and
// --super-read-only; the other options it names, such as
// --secure-file-priv, concern no statement landlord runs),
// ER_READ_ONLY_MODE (1836, innodb_read_only) and
// ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION (1792).
func readOnly(err error) bool {
	var mysqlErr *gomysql.MySQLError
	if !errors.As(err, &mysqlErr) {
		return false
	}
	switch mysqlErr.Number {
	case 1290, 1836, 1792:
		return true
	}
	return false
}

// readOnlyError names the read-only server; the error keeps its cause.
func (s *Server) readOnlyError(err error) error {
	return fmt.Errorf("%w: %s refuses writes (read_only or super_read_only is set: a replica, or the old primary after a failover?): %w", ErrReadOnly, s.url, err)
}

// ErrOutOfSpace is returned when a server cannot write for want of space
// (a full disk, a tablespace that cannot grow): the server's state, not
// the tenant's; retried with backoff.
var ErrOutOfSpace = errors.New("server is out of space")

// handlerErrno is the storage engine's error that MySQL and MariaDB put in
// the message of ER_CANT_CREATE_TABLE (1005) and ER_GET_ERRNO (1030):
// "(errno: 135 ...)". The driver has no field for it.
var handlerErrno = regexp.MustCompile(`errno: (\d+)`)

// outOfSpace reports whether err is a server's failure to write for want
// of space: ER_RECORD_FILE_FULL (1114), ER_DISK_FULL (1021), and 1005 or
// 1030 whose handler error is ENOSPC (28) or HA_ERR_RECORD_FILE_FULL
// (135). Other handler errors of 1005 (150: a malformed foreign key) are
// the statement's.
func outOfSpace(err error) bool {
	var mysqlErr *gomysql.MySQLError
	if !errors.As(err, &mysqlErr) {
		return false
	}
	switch mysqlErr.Number {
	case 1114, 1021:
		return true
	case 1005, 1030:
		m := handlerErrno.FindStringSubmatch(mysqlErr.Message)
		return m != nil && (m[1] == "28" || m[1] == "135")
	}
	return false
}

// serverError names the server and its state when err is not about the
// statement but about the server (read-only, out of space); ok is false
// otherwise.
func (s *Server) serverError(err error) (_ error, ok bool) {
	switch {
	case readOnly(err):
		return s.readOnlyError(err), true
	case outOfSpace(err):
		return fmt.Errorf("%w: %s cannot write (a full disk or tablespace?): %w", ErrOutOfSpace, s.url, err), true
	}
	return err, false
}

// statementError says what a failed statement's error means when it is
// not about the statement: the server is read-only or out of space, or
// another session holds a lock.
func (s *Server) statementError(err error) error {
	if serr, ok := s.serverError(err); ok {
		return serr
	}
	return lockWaitError(err)
}

// lockWaitError says what a lock wait timeout (1205) of a statement means:
// another session (an open transaction of an application, a backup) holds
// a lock on the table, a metadata lock for DDL or rows for data, longer
// than the connection waits (lock_wait_timeout, DefaultLockWaitTimeout
// unless the server URL sets it; innodb_lock_wait_timeout for rows). The
// error keeps its cause: it is classified by its number, a transient one.
func lockWaitError(err error) error {
	var mysqlErr *gomysql.MySQLError
	if !errors.As(err, &mysqlErr) || mysqlErr.Number != 1205 {
		return err
	}
	return fmt.Errorf("another session holds a metadata lock or row locks on the table (an open transaction?) for longer than the lock wait timeout: %w", err)
}

// Apply runs the plan's statements in order on the target, calling done
// after each. It stops at the first failing statement and returns an
// *ApplyError. On SQLite the target must come from Lock.
func (t *Target) Apply(ctx context.Context, p *Plan, done func(StatementResult)) error {
	if t.drv == nil {
		return errors.New("apply needs a locked target")
	}
	var exec interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	} = t.w
	if t.db != nil {
		exec = t.db
	}
	// Every statement is parsed back before the first runs: a refused one
	// leaves the database as it was.
	if i, err := p.check(t.server.engine); err != nil {
		if done != nil {
			done(StatementResult{Index: i, Err: err})
		}
		return &ApplyError{Index: i, SQL: p.Statements[i].SQL, Err: err}
	}
	for i := 0; i < len(p.Statements); {
		j := i + 1
		for p.Statements[i].data && j < len(p.Statements) && p.Statements[j].data && j-i < DataTxStatements {
			j++
		}
		if j-i > 1 {
			if err := t.applyTx(ctx, exec, p, i, j, done); err != nil {
				return err
			}
			i = j
			continue
		}
		st := p.Statements[i]
		start := time.Now()
		_, err := exec.ExecContext(ctx, st.SQL, st.args...)
		r := StatementResult{Index: i, Duration: time.Since(start), Err: err}
		if done != nil {
			done(r)
		}
		if err != nil {
			return &ApplyError{Index: i, SQL: st.SQL, Err: t.server.statementError(err)}
		}
		i++
	}
	if p.Create {
		t.exists = true
	}
	return nil
}

// DataTxStatements bounds the consecutive statements on rows (AddData)
// that Apply runs in one transaction.
const DataTxStatements = 100

// applyTx runs the statements on rows p.Statements[i:j] in one
// transaction. Their results are reported once it commits; when one
// fails, the transaction is rolled back and only the failing statement is
// reported (the others ran and were undone: their records stay pending,
// as the statements after a failure do).
func (t *Target) applyTx(ctx context.Context, exec interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, p *Plan, i, j int, done func(StatementResult)) error {
	begin := "START TRANSACTION"
	if t.server.engine == SQLite {
		begin = "BEGIN" // one connection: SQLite targets hold one
	}
	fail := func(k int, err error) error {
		err = t.server.statementError(err)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.server.killTimeout())
		exec.ExecContext(rctx, "ROLLBACK")
		cancel()
		if done != nil {
			done(StatementResult{Index: k, Err: err})
		}
		return &ApplyError{Index: k, SQL: p.Statements[k].SQL, Err: err}
	}
	if _, err := exec.ExecContext(ctx, begin); err != nil {
		return fail(i, fmt.Errorf("begin a transaction: %w", err))
	}
	results := make([]StatementResult, 0, j-i)
	for k := i; k < j; k++ {
		st := p.Statements[k]
		start := time.Now()
		if _, err := exec.ExecContext(ctx, st.SQL, st.args...); err != nil {
			return fail(k, err)
		}
		results = append(results, StatementResult{Index: k, Duration: time.Since(start)})
	}
	if _, err := exec.ExecContext(ctx, "COMMIT"); err != nil {
		return fail(j-1, fmt.Errorf("commit: %w", err))
	}
	if done != nil {
		for _, r := range results {
			done(r)
		}
	}
	return nil
}

// DesiredHash returns the hash that the live schema of a database on this
// server has once it matches d. It is computed once per desired schema and
// server: the desired schema is applied to a scratch database (an in-memory
// file on SQLite, a landlord_dev_* database on MySQL and MariaDB, dropped
// afterwards) and inspected back, so the server's own normalization (default
// charsets, implicit indexes, type spellings) is in the hash. With a
// HashCache (SetHashCache), a desired schema hashed before on a server of
// the same version and defaults needs no scratch database.
//
// The result is kept for d (at most maxNormalized desired schemas, the
// oldest forgotten first; Forget drops one); a failure is not kept, so the
// next call tries again.
func (s *Server) DesiredHash(ctx context.Context, d *Desired) (string, error) {
	n, err := s.normalized(ctx, d)
	if err != nil {
		return "", err
	}
	return n.hash, nil
}

func (s *Server) normalized(ctx context.Context, d *Desired) (*normalized, error) {
	s.mu.Lock()
	n, ok := s.norm[d]
	if !ok {
		n = &normalized{}
		s.norm[d] = n
		s.normOrder = append(s.normOrder, d)
		for len(s.normOrder) > maxNormalized {
			delete(s.norm, s.normOrder[0])
			s.normOrder = s.normOrder[1:]
		}
	}
	s.mu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.done {
		h, put := s.cachedHash(ctx, d)
		if h != "" {
			n.hash, n.cached, n.done = h, true, true
			return n, nil
		}
		live, err := s.normalize(ctx, d)
		if err == nil {
			n.hash, err = live.Hash()
		}
		if err != nil {
			return nil, err
		}
		put(n.hash)
		n.live, n.done = live, true
	}
	return n, nil
}

// Forget drops what the server keeps for d: a reconcile calls it for its
// desired schemas when it ends.
func (s *Server) Forget(d *Desired) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.norm[d]; !ok {
		return
	}
	delete(s.norm, d)
	for i, o := range s.normOrder {
		if o == d {
			s.normOrder = append(s.normOrder[:i:i], s.normOrder[i+1:]...)
			break
		}
	}
}

// DesiredLive returns the schema that a database on this server has once it
// matches d, as inspected from the scratch database of DesiredHash: the
// snapshot of a tenant that matches d.
func (s *Server) DesiredLive(ctx context.Context, d *Desired) (*Live, error) {
	n, err := s.normalized(ctx, d)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.live == nil {
		// The hash came from the HashCache: normalize now, once it
		// succeeds.
		live, err := s.normalize(ctx, d)
		if err != nil {
			return nil, err
		}
		n.live = live
	}
	return n.live, nil
}

func (s *Server) normalize(ctx context.Context, d *Desired) (*Live, error) {
	var (
		drv     migrate.Driver
		name    string
		exec    func(string, ...any) error
		cleanup func()
		scratch *sql.Conn
		watched *watchedConn
	)
	switch s.engine {
	case SQLite:
		mem, closeMem, err := memoryDriver(ctx)
		if err != nil {
			return nil, err
		}
		defer closeMem()
		drv, name = mem, "main"
		exec = func(q string, args ...any) error {
			_, err := mem.ExecContext(ctx, q, args...)
			return err
		}
	default:
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("connect: %w", redact.Error(err))
		}
		defer conn.Close()
		w, err := s.watched(ctx, conn)
		if err != nil {
			return nil, redact.Error(err)
		}
		defer w.close()
		scratch, watched = conn, w
		name = scratchName(time.Now())
		if drv, err = mysql.Open(inspectQuerier{w}); err != nil {
			return nil, err
		}
		exec = func(q string, args ...any) error {
			_, err := w.ExecContext(ctx, q, args...)
			return err
		}
		cleanup = func() {
			// A scratch database left behind (the connection died) is
			// collected later by its name: CollectScratch.
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.killTimeout())
			defer cancel()
			w.ExecContext(dctx, "DROP DATABASE IF EXISTS `"+name+"`")
		}
	}
	t := &Target{server: s, database: name, drv: drv, conn: scratch, w: watched}
	e, err := s.env(ctx, drv, scratch)
	if err != nil {
		return nil, err
	}
	p, err := plan(ctx, e, name, &Live{engine: s.engine, exists: s.engine == SQLite, schema: &atlas.Schema{Name: name}}, d, nil)
	if err != nil {
		return nil, err
	}
	if cleanup != nil {
		defer cleanup()
	}
	if i, err := p.check(s.engine); err != nil {
		st := p.Statements[i]
		return nil, fmt.Errorf("the desired schema does not apply to an empty database: %s (%s): %s: %w", st.Layer, st.Origin, firstLine(st.SQL), err)
	}
	for _, st := range p.Statements {
		if err := exec(st.SQL, st.args...); err != nil {
			if serr, ok := s.serverError(err); ok {
				// The server's state, not the layer's fault.
				return nil, fmt.Errorf("scratch database for the desired schema: %w", serr)
			}
			return nil, fmt.Errorf("the desired schema does not apply to an empty database: %s (%s): %s: %w", st.Layer, st.Origin, firstLine(st.SQL), err)
		}
	}
	t.exists = true
	live, err := t.Inspect(ctx)
	if err != nil {
		return nil, err
	}
	// What the server stores must plan to nothing, or every reconcile
	// would apply the same statements again: a spelling the server
	// rewrites in a way no comparison of landlord's takes as equal.
	again, err := plan(ctx, e, name, live, d, nil)
	if err != nil {
		return nil, err
	}
	if len(again.Statements) > 0 {
		st := again.Statements[0]
		more := ""
		if n := len(again.Statements) - 1; n > 0 {
			more = fmt.Sprintf(" (and %d more)", n)
		}
		return nil, fmt.Errorf("the desired schema does not converge: applied to an empty database, it still plans %s (%s): %s%s: write it as the server stores it%s",
			st.Layer, st.Origin, firstLine(strings.ReplaceAll(st.SQL, quoteIdent(name)+".", "")), more, storedAs(e, d, live, st.Table))
	}
	return live, nil
}

// storedAs says how the server stored what the desired schema says
// otherwise in table (each object as desired → as stored), for the error
// of a desired schema that does not converge; empty when the comparison
// finds nothing to say.
func storedAs(e *env, d *Desired, live *Live, table string) string {
	diffs, err := compare(e, LiveFrom(live.engine, d), live)
	if err != nil {
		return ""
	}
	// A check or key the server stores otherwise is one removed (as
	// written) and one added (as stored) of the same name.
	written := map[Object]string{}
	for _, df := range diffs {
		if df.Table == table && df.Change == Removed {
			written[df.Object] = df.Detail
		}
	}
	var parts []string
	for _, df := range diffs {
		switch {
		case df.Table != table || df.Detail == "":
		case df.Change == Modified:
			parts = append(parts, df.Object.String()+": "+df.Detail)
		case df.Change == Added && written[df.Object] != "":
			parts = append(parts, df.Object.String()+": "+written[df.Object]+" → "+df.Detail)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (as written → as stored: " + strings.Join(parts, "; ") + ")"
}

// memoryDriver opens an empty in-memory SQLite database.
func memoryDriver(ctx context.Context) (*sqliteMem, func(), error) {
	db, err := sql.Open("sqlite", "file::memory:?_pragma=foreign_keys(1)")
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	drv, err := sqlite.Open(db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return &sqliteMem{Driver: drv, db: db}, func() { db.Close() }, nil
}

type sqliteMem struct {
	migrate.Driver
	db *sql.DB
}

func (m *sqliteMem) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return m.db.ExecContext(ctx, q, args...)
}

func (m *sqliteMem) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return m.db.QueryContext(ctx, q, args...)
}

// Hash is the stable hash of the live schema: independent of the database
// name, of the data (AUTO_INCREMENT counters are not part of it) and of the
// order of tables, columns, indexes and foreign keys, which the diff ignores
// too (a column added later sits last in the live table).
//
// It covers every field of Atlas's model (writeCanonical) and, on MySQL
// and MariaDB, every table's canonical DDL (TableDDL.Canonical): whatever
// the server shows, Atlas's model or not. It is stable for one version of
// landlord: an encoding that changes changes hashVersion.
func (l *Live) Hash() (string, error) {
	s := copySchema(l.schema, placeholder)
	sortSchema(s)
	h := sha256.New()
	h.Write([]byte(hashVersion))
	writeCanonical(h, s)
	for _, name := range sortedKeys(l.ddl) {
		h.Write([]byte("\x00" + l.ddl[name].Canonical()))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DDL returns the tables as the server showed them, as JSON, for a
// snapshot (nil when the live schema has none: SQLite).
func (l *Live) DDL() ([]byte, error) {
	if len(l.ddl) == 0 {
		return nil, nil
	}
	tables := make([]*TableDDL, 0, len(l.ddl))
	for _, name := range sortedKeys(l.ddl) {
		tables = append(tables, l.ddl[name])
	}
	return json.Marshal(tables)
}

// HasDDL reports whether the schema carries the tables' DDL.
func (l *Live) HasDDL() bool { return len(l.ddl) > 0 }

// HCL returns the live schema as Atlas HCL under a fixed schema name, in the
// database's own order: a snapshot that can be read back and diffed. The
// text of a schema marshalled before is taken from hclTexts.
func (l *Live) HCL() ([]byte, error) {
	s := copySchema(l.schema, placeholder)
	k := hclKey(l.engine, s)
	if b, ok := hclTexts.get(k); ok {
		return b, nil
	}
	b, err := l.marshal(s)
	if err != nil {
		return nil, err
	}
	hclTexts.put(k, b)
	return b, nil
}

func (l *Live) marshal(s *atlas.Schema) ([]byte, error) {
	// Atlas's marshallers need the realm to resolve references, and know
	// only the types of Atlas's model: spellings are in the DDL.
	s.Realm = &atlas.Realm{Schemas: []*atlas.Schema{s}}
	for _, t := range s.Tables {
		for _, c := range t.Columns {
			if c.Type != nil {
				c.Type.Type = plainType(c.Type.Type)
			}
		}
	}
	var (
		hcl []byte
		err error
	)
	if l.engine == SQLite {
		hcl, err = sqlite.MarshalHCL(s)
	} else {
		hcl, err = mysql.MarshalHCL(s)
	}
	if err != nil {
		return nil, fmt.Errorf("marshal schema: %w", err)
	}
	return hcl, nil
}

// sortSchema orders tables, columns, indexes and foreign keys by name.
func sortSchema(s *atlas.Schema) {
	sort.Slice(s.Tables, func(i, j int) bool { return s.Tables[i].Name < s.Tables[j].Name })
	for _, t := range s.Tables {
		sort.Slice(t.Columns, func(i, j int) bool { return t.Columns[i].Name < t.Columns[j].Name })
		sort.Slice(t.Indexes, func(i, j int) bool { return t.Indexes[i].Name < t.Indexes[j].Name })
		sort.Slice(t.ForeignKeys, func(i, j int) bool { return t.ForeignKeys[i].Symbol < t.ForeignKeys[j].Symbol })
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 200 {
		l = l[:200] + "…"
	}
	return l
}

func isMySQLFamily(e Engine) bool { return e == MySQL || e == MariaDB }

// sqlitePath is the file of a tenant database on an SQLite server.
func (s *Server) sqlitePath(database string) string {
	return filepath.Join(s.dir, database+".db")
}

// Exists reports whether database exists on the server.
func (s *Server) Exists(ctx context.Context, database string) (bool, error) {
	if s.engine == SQLite {
		path, err := s.sqliteFile(database)
		if err != nil {
			return false, err
		}
		_, err = os.Stat(path)
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	}
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", database).Scan(&n)
	return n > 0, err
}

// Connections are the connections of the server's pool open and in use
// now; SQLite, which opens a tenant's file per use, has none.
func (s *Server) Connections() (open, inUse int) {
	if s.db == nil {
		return 0, 0
	}
	st := s.db.Stats()
	return st.OpenConnections, st.InUse
}

// Ping checks that the server answers: a round trip within the stall
// timeout on MySQL and MariaDB, the directory on SQLite (a missing one is
// created by the first tenant).
func (s *Server) Ping(ctx context.Context) error {
	if s.engine == SQLite {
		if _, err := os.Stat(s.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.StallTimeout)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		return redact.Error(s.stallCause(ctx, err))
	}
	return nil
}
