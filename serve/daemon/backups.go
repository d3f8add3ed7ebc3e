package daemon

import (
	"context"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/serve/notify"
)

// Backup takes a backup of one tenant of the revision in force, beside
// the loop: it holds the tenant's lock, so no apply overlaps it.
func (l *Loop) Backup(ctx context.Context, slug, actor string) (*backup.Manifest, error) {
	repo := l.Current()
	if repo == nil {
		return nil, ErrNotReady
	}
	if _, ok := repo.Tenant(slug); !ok {
		return nil, &UnknownTenantError{Slug: slug, Revision: repo.Revision}
	}
	m, err := l.rec.Backup(ctx, repo, slug, reconciler.BackupOptions{LockWait: l.cfg.LockWait})
	if err != nil {
		l.log.Error("backup failed", "tenant", slug, "actor", actor, "err", redact.Text(err.Error()))
		l.notify.Notify(notify.Event{Type: notify.BackupFailed, Tenant: slug, Revision: repo.Revision,
			Data: map[string]any{"error": redact.Text(err.Error()), "actor": actor}})
		return nil, err
	}
	l.log.Info("backup taken", "tenant", slug, "actor", actor, "backup", m.ID)
	raw, stored := m.Sizes()
	l.notify.Notify(notify.Event{Type: notify.BackupCompleted, Tenant: slug, Revision: repo.Revision,
		Data: map[string]any{"backup": m.ID, "kind": m.Kind, "database": m.Database, "rows": m.Rows(), "bytes": raw, "stored_bytes": stored, "actor": actor}})
	return m, nil
}

// untilBackups is the wait until the next scheduled backup of landlord.yaml
// (backups.schedule) in the revision in force; without one, an hour, after
// which the revision in force is read again.
func (l *Loop) untilBackups() time.Duration {
	repo := l.Current()
	if repo == nil || repo.Config.Backups.Schedule == "" {
		return time.Hour
	}
	s, err := cron.ParseStandard(repo.Config.Backups.Schedule)
	if err != nil {
		return time.Hour
	}
	return until(s)
}

// scheduledBackups backs up every tenant (the leader only), bounded per
// server, and sends an event per tenant.
func (l *Loop) scheduledBackups(ctx context.Context) {
	repo := l.Current()
	if repo == nil || !l.isLeader() || repo.Config.Backups.Schedule == "" {
		return
	}
	l.metrics.Triggers.WithLabelValues("backup").Inc()
	start := time.Now()
	taken, failed := 0, 0
	for _, o := range l.rec.BackupAll(ctx, repo, reconciler.BackupOptions{Kind: backup.KindScheduled, LockWait: l.cfg.LockWait}) {
		switch {
		case o.Err != nil:
			failed++
			msg := redact.Text(o.Err.Error())
			l.log.Error("scheduled backup failed", "tenant", o.Tenant, "err", msg)
			l.notify.Notify(notify.Event{Type: notify.BackupFailed, Tenant: o.Tenant, Revision: repo.Revision, Data: map[string]any{"error": msg, "kind": backup.KindScheduled}})
		case o.Manifest != nil:
			taken++
			raw, stored := o.Manifest.Sizes()
			l.notify.Notify(notify.Event{Type: notify.BackupCompleted, Tenant: o.Tenant, Revision: repo.Revision,
				Data: map[string]any{"backup": o.Manifest.ID, "kind": o.Manifest.Kind, "database": o.Manifest.Database, "rows": o.Manifest.Rows(), "bytes": raw, "stored_bytes": stored}})
		}
	}
	l.log.Info("scheduled backups finished", "revision", repo.Revision, "taken", taken, "failed", failed, "duration_ms", time.Since(start).Milliseconds())
}
