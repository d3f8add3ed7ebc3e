package daemon

import (
	"context"

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
