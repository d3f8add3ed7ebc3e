package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// Lease is a named claim that one owner holds until it expires unless
// renewed. Serve replicas use one to elect the replica that runs the
// scheduled work, and one per replica as its heartbeat.
type Lease struct {
	Name       string    `json:"name"`
	Owner      string    `json:"owner"`
	AcquiredAt time.Time `json:"acquired_at"`
	RenewedAt  time.Time `json:"renewed_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// WakeSeq counts the wake-ups other replicas asked of the holder
	// (a webhook that reached a replica that is not the leader).
	WakeSeq int64 `json:"-"`
}

// AcquireLease takes lease name for owner, or renews it, for ttl. It
// succeeds when nobody holds the lease, when owner holds it, or when the
// holder let it expire. held reports whether owner holds it now; l is the
// lease after the attempt. Time is the landlord database's clock on MySQL,
// so replicas with skewed clocks agree on expiry.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (l Lease, held bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		now, err := s.dbNow(ctx, tx)
		if err != nil {
			return err
		}
		q := "SELECT name, owner, acquired_at, renewed_at, expires_at, wake_seq FROM leases WHERE name = ?"
		if s.dialect == MySQL {
			q += " FOR UPDATE"
		}
		l, err = scanLease(tx.QueryRowContext(ctx, q, name))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			l = Lease{Name: name, Owner: owner, AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(ttl)}
			_, err = tx.ExecContext(ctx, "INSERT INTO leases (name, owner, acquired_at, renewed_at, expires_at, wake_seq) VALUES (?, ?, ?, ?, ?, 0)",
				name, owner, now, now, l.ExpiresAt)
			held = err == nil
			return err
		case err != nil:
			return err
		case l.Owner != owner && now.Before(l.ExpiresAt):
			return nil // held by another
		}
		if l.Owner != owner {
			l.Owner, l.AcquiredAt = owner, now
		}
		l.RenewedAt, l.ExpiresAt = now, now.Add(ttl)
		_, err = tx.ExecContext(ctx, "UPDATE leases SET owner = ?, acquired_at = ?, renewed_at = ?, expires_at = ? WHERE name = ?",
			l.Owner, l.AcquiredAt, l.RenewedAt, l.ExpiresAt, name)
		held = err == nil
		return err
	})
	var me *gomysql.MySQLError
	if errors.As(err, &me) && (me.Number == 1062 || me.Number == 1213) {
		// Another replica inserted the lease first, or the two deadlocked
		// on the missing row: it is theirs this round.
		return Lease{Name: name}, false, nil
	}
	if err != nil {
		return Lease{}, false, fmt.Errorf("lease %s: %w", name, err)
	}
	return l, held, nil
}

// ReleaseLease ends owner's lease name at once, so another replica may take
// it without waiting for the expiry.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	now, err := s.dbNow(ctx, s.db)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?", now, name, owner)
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// Leases returns the leases whose name starts with prefix that have not
// expired, by name.
func (s *Store) Leases(ctx context.Context, prefix string) ([]Lease, error) {
	now, err := s.dbNow(ctx, s.db)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT name, owner, acquired_at, renewed_at, expires_at, wake_seq FROM leases ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	defer rows.Close()
	var out []Lease
	for rows.Next() {
		l, err := scanLease(rows)
		if err != nil {
			return nil, fmt.Errorf("read leases: %w", err)
		}
		if strings.HasPrefix(l.Name, prefix) && now.Before(l.ExpiresAt) {
			out = append(out, l)
		}
	}
	return out, rows.Err()
}

// WakeLease asks the holder of lease name to wake up: its next renewal sees
// a higher WakeSeq.
func (s *Store) WakeLease(ctx context.Context, name string) error {
	_, err := s.db.ExecContext(ctx, "UPDATE leases SET wake_seq = wake_seq + 1 WHERE name = ?", name)
	if err != nil {
		return fmt.Errorf("wake lease %s: %w", name, err)
	}
	return nil
}

func scanLease(row interface{ Scan(...any) error }) (Lease, error) {
	var (
		l                          Lease
		acquired, renewed, expires sql.NullTime
	)
	if err := row.Scan(&l.Name, &l.Owner, &acquired, &renewed, &expires, &l.WakeSeq); err != nil {
		return l, err
	}
	l.AcquiredAt, l.RenewedAt, l.ExpiresAt = acquired.Time.UTC(), renewed.Time.UTC(), expires.Time.UTC()
	return l, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// dbNow is "now" for leases: the server's clock on MySQL, this process's on
// SQLite (one machine).
func (s *Store) dbNow(ctx context.Context, q queryer) (time.Time, error) {
	if s.dialect != MySQL {
		return now(), nil
	}
	var t time.Time
	if err := q.QueryRowContext(ctx, "SELECT UTC_TIMESTAMP(6)").Scan(&t); err != nil {
		return t, fmt.Errorf("read the database clock: %w", err)
	}
	return t.UTC(), nil
}

// InUseError is returned by ClaimFile when another process holds the
// landlord database.
type InUseError struct {
	Path   string
	Holder string // what the holder wrote in the lock file
}

func (e *InUseError) Error() string {
	holder := "another landlord serve"
	if e.Holder != "" {
		holder += " (" + e.Holder + ")"
	}
	return fmt.Sprintf("landlord database %s is in use by %s: with SQLite only one landlord serve may run; "+
		"for several replicas use a MySQL or MariaDB landlord database (--state mysql://user@host:3306/landlord)", e.Path, holder)
}

// ClaimFile makes this process the only one to claim an SQLite landlord
// database: an exclusive flock on the file PATH.serve.lock, which the
// kernel releases when the process ends, however it ends. holder is written
// into the file for the message another claimant gets (*InUseError). On
// MySQL it claims nothing: several replicas share the database.
func (s *Store) ClaimFile(holder string) (release func() error, err error) {
	if s.dialect != SQLite {
		return func() error { return nil }, nil
	}
	path := s.path + ".serve.lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("claim landlord database: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		data, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &InUseError{Path: s.path, Holder: strings.TrimSpace(string(data))}
		}
		return nil, fmt.Errorf("claim landlord database: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(holder+"\n"), 0)
	}
	return func() error {
		f.Truncate(0)
		return f.Close() // closing releases the flock
	}, nil
}
