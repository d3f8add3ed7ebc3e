package daemon

import (
	"context"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/reconciler"
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
		l.log.Error("backup failed", "tenant", slug, "actor", actor, "err", err)
		return nil, err
	}
	l.log.Info("backup taken", "tenant", slug, "actor", actor, "backup", m.ID)
	return m, nil
}
