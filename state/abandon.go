package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// StatementUnknown is a statement that was running when its process died:
// whether it took effect is unknown (the next reconcile re-plans from the
// live schema).
const StatementUnknown = "unknown"

// OwnerTTL is the lifetime of a process's heartbeat: a process recording a
// run renews it (Heartbeat) every OwnerTTL/3.
const OwnerTTL = 45 * time.Second

var hostName = func() string {
	h, _ := os.Hostname()
	if h == "" {
		h = "localhost"
	}
	return h
}()

// ProcessOwner names this process as the owner of the runs it records:
// cli:<host>:<pid>. serve replicas record their replica name instead.
func ProcessOwner() string {
	return "cli:" + hostName + ":" + strconv.Itoa(os.Getpid())
}

func ownerLease(owner string) string { return "owner:" + owner }

// Heartbeat renews this process's heartbeat: its runs are not abandoned
// while it beats.
func (s *Store) Heartbeat(ctx context.Context) error {
	owner := ProcessOwner()
	_, _, err := s.AcquireLease(ctx, ownerLease(owner), owner, OwnerTTL)
	return err
}

// EndHeartbeat removes this process's heartbeat, once its runs are closed.
func (s *Store) EndHeartbeat(ctx context.Context) error {
	owner := ProcessOwner()
	_, err := s.db.ExecContext(ctx, "DELETE FROM leases WHERE name = ? AND owner = ?", ownerLease(owner), owner)
	return err
}

// ownerProcess parses a cli:<host>:<pid> owner.
func ownerProcess(owner string) (host string, pid int, ok bool) {
	rest, found := strings.CutPrefix(owner, "cli:")
	if !found {
		return "", 0, false
	}
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return "", 0, false
	}
	pid, err := strconv.Atoi(rest[i+1:])
	return rest[:i], pid, err == nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// recentlyExpired is how long after its heartbeat expired a process may
// still be alive: the landlord database was unreachable meanwhile.
const recentlyExpired = 10 * time.Minute

// CloseAbandonedRuns closes, as abandoned (AbandonRun), every run left
// running by a process that is gone: for a CLI process of this host, no
// such process; otherwise no heartbeat of its owner (a CLI process's
// Heartbeat, a serve replica's lease). A process beats before it starts a run, so a run
// seen here has its heartbeat. Runs of the owners in self are left alone;
// runs recorded without an owner (before landlord recorded one) are closed
// after a day. A heartbeat that expired less than recentlyExpired ago (an
// outage of the landlord database expires them all) counts as gone only
// once this Store has seen it missing for OwnerTTL, over several calls. It
// returns the runs it closed.
func (s *Store) CloseAbandonedRuns(ctx context.Context, self ...string) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, replica, started_at FROM runs WHERE outcome = ? ORDER BY id", RunRunning)
	if err != nil {
		return nil, fmt.Errorf("read running runs: %w", err)
	}
	var running []RunningRun
	for rows.Next() {
		var r RunningRun
		var at sql.NullTime
		if err := rows.Scan(&r.ID, &r.Replica, &at); err != nil {
			rows.Close()
			return nil, err
		}
		r.StartedAt = at.Time.UTC()
		running = append(running, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(running) == 0 {
		return nil, err
	}
	now, err := s.dbNow(ctx, s.db)
	if err != nil {
		return nil, err
	}
	lrows, err := s.db.QueryContext(ctx, "SELECT name, owner, acquired_at, renewed_at, expires_at, wake_seq FROM leases ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	alive := map[string]bool{}
	expired := map[string]time.Time{} // owner: when its heartbeat expired
	for lrows.Next() {
		l, err := scanLease(lrows)
		if err != nil {
			lrows.Close()
			return nil, fmt.Errorf("read leases: %w", err)
		}
		if !strings.HasPrefix(l.Name, "owner:") && !strings.HasPrefix(l.Name, "serve:replica:") {
			continue
		}
		if now.Before(l.ExpiresAt) {
			alive[l.Owner] = true
		} else if l.ExpiresAt.After(expired[l.Owner]) {
			expired[l.Owner] = l.ExpiresAt
		}
	}
	lrows.Close()
	if err := lrows.Err(); err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	s.abandonMu.Lock()
	defer s.abandonMu.Unlock()
	if s.heartbeatMissed == nil {
		s.heartbeatMissed = map[string]time.Time{}
	}
	// Only owners of runs still open are remembered: an owner alive
	// again, or whose runs are all closed, is forgotten.
	open := map[string]bool{}
	for _, r := range running {
		open[r.Replica] = true
	}
	for owner := range s.heartbeatMissed {
		if alive[owner] || !open[owner] {
			delete(s.heartbeatMissed, owner)
		}
	}
	// missed reports whether this process has seen owner without a
	// heartbeat for a heartbeat's lifetime.
	missed := func(owner string) bool {
		first, ok := s.heartbeatMissed[owner]
		if !ok {
			s.heartbeatMissed[owner] = time.Now()
			return false
		}
		return time.Since(first) >= OwnerTTL
	}
	var closed []int64
	for _, r := range running {
		age := time.Since(r.StartedAt)
		host, pid, local := ownerProcess(r.Replica)
		local = local && host == hostName
		switch {
		case slices.Contains(self, r.Replica):
			continue
		case local:
			// A process of this host: whether it runs decides, at once,
			// whatever its heartbeat says (kill -9 leaves it unexpired).
			if processAlive(pid) {
				continue
			}
		case alive[r.Replica]:
			continue
		case !expired[r.Replica].IsZero() && now.Sub(expired[r.Replica]) < recentlyExpired && !missed(r.Replica):
			// A heartbeat that expired lately may have expired during
			// an outage of the landlord database, its process alive
			// and about to renew it: its runs are closed once this
			// process has seen it missing for a heartbeat's lifetime.
			continue
		case r.Replica == "" && age < 24*time.Hour:
			continue
		}
		owner := r.Replica
		if owner == "" {
			owner = "an unrecorded process"
		}
		reason := "abandoned: its process (" + owner + ") is gone; whether the statement in flight took effect is unknown, the next reconcile re-plans from the live schema"
		if err := s.AbandonRun(ctx, r.ID, reason); err != nil {
			return closed, err
		}
		closed = append(closed, r.ID)
	}
	return closed, nil
}
