package schema

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// ErrStalled is returned when a connection stops answering: the server
// cannot be reached over a second connection, or it no longer runs the
// statement whose answer the connection waits for.
var ErrStalled = errors.New("connection stalled")

// ErrStatementTimeout is returned when a statement ran longer than the
// server's statement timeout and was killed on the server.
var ErrStatementTimeout = errors.New("statement timeout")

// Default timeouts of a MySQL or MariaDB server. A long ALTER TABLE runs
// for as long as the statement timeout allows: no timeout on a read is
// shorter, and the watchdog tells a long statement from a stall by asking
// the server.
const (
	DefaultConnectTimeout   = 10 * time.Second
	DefaultWriteTimeout     = time.Minute
	DefaultStatementTimeout = time.Hour
	DefaultStallTimeout     = 30 * time.Second
	// DefaultLockWaitTimeout is the session's lock_wait_timeout, unless
	// the server URL sets it: how long a statement waits for a table's
	// metadata lock that another session holds (an open transaction
	// that read the table). The server's own default is a day (MariaDB)
	// or a year (MySQL), beyond the statement timeout; and while an ALTER
	// waits, every later query of the table queues behind it. A wait cut
	// short fails with error 1205, retried with backoff.
	DefaultLockWaitTimeout = 10 * time.Second
	// readTimeoutMargin is what the read timeout adds to the statement
	// timeout: it is the last resort when the watchdog cannot act.
	readTimeoutMargin = 5 * time.Minute
)

// handshakeConnector bounds a new connection's dial and handshake.
type handshakeConnector struct {
	driver.Connector
	timeout time.Duration
}

func (c handshakeConnector) Connect(ctx context.Context) (driver.Conn, error) {
	hctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := c.Connector.Connect(hctx)
	if err != nil && hctx.Err() != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("no handshake within %s: %w", c.timeout, ErrStalled)
	}
	return conn, err
}

// watchedConn is one connection of a target under the watchdog: a
// statement that runs longer than the stall timeout is checked on the
// server over a second connection; it is abandoned when the server cannot
// be reached or does not run it, and killed beyond the statement timeout.
// A statement whose context ends is killed on the server too, so that
// nothing keeps running there after landlord gave up on it.
type watchedConn struct {
	srv  *Server
	conn *sql.Conn
	id   int64 // the server's connection id; 0 when unknown

	mu      sync.Mutex
	cancels []context.CancelCauseFunc
}

func (s *Server) watched(ctx context.Context, conn *sql.Conn) (*watchedConn, error) {
	w := &watchedConn{srv: s, conn: conn}
	qctx, cancel := context.WithTimeout(ctx, s.opts.StallTimeout)
	defer cancel()
	if err := conn.QueryRowContext(qctx, "SELECT CONNECTION_ID()").Scan(&w.id); err != nil {
		return nil, fmt.Errorf("connection id: %w", s.stallCause(qctx, err))
	}
	return w, nil
}

// stallCause names a stall for an error that a deadline of ctx caused.
func (s *Server) stallCause(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) && ctx.Err() != nil {
		return fmt.Errorf("%w: no answer from %s within %s", ErrStalled, s.url, s.opts.StallTimeout)
	}
	return err
}

// close ends the contexts of the connection's result sets.
func (w *watchedConn) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.cancels {
		c(nil)
	}
	w.cancels = nil
}

func (w *watchedConn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := w.guard(ctx, cancel)
	res, err := w.conn.ExecContext(ctx, q, args...)
	return res, stop(err)
}

func (w *watchedConn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := w.guard(ctx, cancel)
	rows, err := w.conn.QueryContext(ctx, q, args...)
	if err = stop(err); err != nil {
		cancel(nil)
		return nil, err
	}
	// The rows read on under ctx: it ends with the connection.
	w.mu.Lock()
	w.cancels = append(w.cancels, cancel)
	w.mu.Unlock()
	return rows, nil
}

// scanRow runs a query of one row under the watchdog.
func (w *watchedConn) scanRow(ctx context.Context, q string, args []any, dest ...any) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := w.guard(ctx, cancel)
	err := w.conn.QueryRowContext(ctx, q, args...).Scan(dest...)
	return stop(err)
}

// guard watches the statement running under ctx until stop is called;
// stop returns the statement's error, or the watchdog's reason when it
// ended the statement.
func (w *watchedConn) guard(ctx context.Context, cancel context.CancelCauseFunc) (stop func(error) error) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		w.watch(ctx, cancel, done)
	}()
	return func(err error) error {
		close(done)
		<-finished
		// A killed statement may end without an error (DO SLEEP): what
		// the watchdog did is the outcome.
		if cause := context.Cause(ctx); cause != nil && (errors.Is(cause, ErrStalled) || errors.Is(cause, ErrStatementTimeout)) {
			if err == nil {
				return cause
			}
			return fmt.Errorf("%w (%v)", cause, err)
		}
		return err
	}
}

func (w *watchedConn) watch(ctx context.Context, cancel context.CancelCauseFunc, done chan struct{}) {
	opts := w.srv.opts
	interval := opts.StallTimeout / 2
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	start := time.Now()
	idle := 0
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			if context.Cause(ctx) == context.Canceled || errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
				// The caller gave up: the driver closed the connection,
				// the server may still run the statement.
				w.kill()
			}
			return
		case <-ticker.C:
		}
		command, seconds, err := w.probe(interval)
		switch {
		case err != nil:
			cancel(fmt.Errorf("%w: %s does not answer a second connection within %s after %s (%v)", ErrStalled, w.srv.url, interval, time.Since(start).Round(time.Second), err))
			return
		case command == "":
			cancel(fmt.Errorf("%w: %s no longer knows the connection (id %d)", ErrStalled, w.srv.url, w.id))
			return
		case strings.EqualFold(command, "Sleep"):
			// The server is done, the answer has not arrived: once may
			// be the answer on its way.
			if idle++; idle >= 2 {
				cancel(fmt.Errorf("%w: %s finished the statement %s ago, its answer never arrived", ErrStalled, w.srv.url, interval))
				w.srv.killConn(w.id)
				return
			}
		default:
			idle = 0
			if opts.StatementTimeout > 0 && time.Duration(seconds)*time.Second >= opts.StatementTimeout {
				w.kill()
				cancel(fmt.Errorf("%w: killed after %s on %s", ErrStatementTimeout, opts.StatementTimeout, w.srv.url))
				return
			}
		}
	}
}

// probe asks the server, over the watchdog's pool, what the connection does.
func (w *watchedConn) probe(timeout time.Duration) (command string, seconds int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = w.srv.watchDB.QueryRowContext(ctx, "SELECT COMMAND, TIME FROM information_schema.PROCESSLIST WHERE ID = ?", w.id).Scan(&command, &seconds)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, nil
	}
	return command, seconds, err
}

// killTimeout bounds a KILL sent over the watchdog's pool: a caller that
// gave up waits no longer than this for it.
func (s *Server) killTimeout() time.Duration { return min(s.opts.StallTimeout, 3*time.Second) }

// kill stops the connection's statement on the server.
func (w *watchedConn) kill() {
	if w.id == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.srv.killTimeout())
	defer cancel()
	w.srv.watchDB.ExecContext(ctx, fmt.Sprintf("KILL QUERY %d", w.id))
}

// killConn closes a connection on the server.
func (s *Server) killConn(id int64) {
	if id == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.killTimeout())
	defer cancel()
	s.watchDB.ExecContext(ctx, fmt.Sprintf("KILL %d", id))
}
