package daemon

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/landlord/landlord/state"
)

// replicaLease is the heartbeat lease of one replica.
func replicaLease(replica string) string { return "serve:replica:" + replica }

// keepLease renews the leases every third of their lifetime until ctx ends.
func (l *Loop) keepLease(ctx context.Context) {
	tick := time.NewTicker(l.cfg.LeaseTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			l.renew(ctx)
		}
	}
}

// renew renews this replica's heartbeat and takes or renews the leader
// lease. Leadership that cannot be confirmed (the landlord database does
// not answer) is given up: two leaders would only waste work, since tenant
// applies are exclusive anyway, but none is safer than two.
//
// With SQLite the process holds the file's claim, so it is the only serve
// and leads whatever the lease rows say (a dead predecessor's lease may not
// have expired yet).
//
// Each renewal has a third of the lease's lifetime: renewed every third,
// a leader that cannot renew steps down within two thirds of its lifetime,
// before the lease can lapse and another replica take it.
func (l *Loop) renew(ctx context.Context) {
	ttl := l.cfg.LeaseTTL
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, ttl/3)
	defer cancel()
	if _, _, err := l.store.AcquireLease(ctx, replicaLease(l.cfg.Replica), l.cfg.Replica, ttl); err != nil && parent.Err() == nil {
		l.log.Warn("renew heartbeat", "err", err)
	}
	lease, held, err := l.store.AcquireLease(ctx, leaderLease, l.cfg.Replica, ttl)
	if err != nil {
		if parent.Err() != nil {
			return
		}
		held = false
		l.log.Warn("renew leader lease", "err", err)
	}
	if l.store.Dialect() == state.SQLite {
		held = true
	}
	l.mu.Lock()
	was := l.leader
	l.leader = held
	woken := held && was && lease.WakeSeq > l.wakeSeq
	if held {
		l.wakeSeq = max(l.wakeSeq, lease.WakeSeq)
	}
	l.mu.Unlock()
	if held {
		l.metrics.Leader.Set(1)
	} else {
		l.metrics.Leader.Set(0)
	}
	switch {
	case held && !was:
		l.log.Info("leader: this replica runs the scheduled work", "lease_ttl", ttl.String())
		select {
		case l.leading <- struct{}{}:
		default:
		}
	case !held && was:
		l.log.Warn("no longer the leader", "leader", lease.Owner)
	case woken:
		select {
		case l.wake <- "replica":
		default:
		}
	}
	l.runs.flush(ctx)
	if held {
		l.closeOrphans(ctx)
	}
}

// closeOrphans closes the runs that a process which stopped heartbeating
// left running (a replica or a CLI run that crashed or was killed).
func (l *Loop) closeOrphans(ctx context.Context) {
	closed, err := l.store.CloseAbandonedRuns(ctx, l.cfg.Replica)
	if err != nil {
		l.log.Error("close abandoned runs", "err", err)
	}
	for _, id := range closed {
		l.log.Warn("run of a stopped process closed as abandoned", "run_id", id)
	}
	// Runs under this replica's name that this process does not run:
	// an earlier process of the same name left them.
	running, err := l.store.RunningRuns(ctx)
	if err != nil {
		l.log.Error("close abandoned runs", "err", err)
		return
	}
	var mine []int64
	for _, r := range running {
		if r.Replica == l.cfg.Replica {
			mine = append(mine, r.ID)
		}
	}
	for _, id := range l.runs.orphans(mine) {
		reason := "abandoned: an earlier process of replica " + l.cfg.Replica + " stopped during it; whether the statement in flight took effect is unknown, the next reconcile re-plans from the live schema"
		if err := l.store.AbandonRun(ctx, id, reason); err != nil {
			l.log.Error("close abandoned runs", "run_id", id, "err", err)
			continue
		}
		l.log.Warn("run of an earlier process of this replica closed as abandoned", "run_id", id)
	}
}

// resign gives up the leases at shutdown, so another replica leads at once.
func (l *Loop) resign(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, name := range []string{leaderLease, replicaLease(l.cfg.Replica)} {
		if err := l.store.ReleaseLease(ctx, name, l.cfg.Replica); err != nil {
			l.log.Warn("release lease", "lease", name, "err", err)
		}
	}
	l.mu.Lock()
	l.leader = false
	l.mu.Unlock()
	l.metrics.Leader.Set(0)
}

// jitter spreads d by up to ± frac.
func jitter(d time.Duration, frac float64) time.Duration {
	if frac <= 0 || d <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 + frac*(2*rand.Float64()-1)))
}
