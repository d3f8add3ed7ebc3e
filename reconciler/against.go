package reconciler

import (
	"context"
	"fmt"
	"sync"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/refdata"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// offlineEntry is the offline planner of one engine, shared by a run's
// workers one plan at a time.
type offlineEntry struct {
	once sync.Once
	mu   sync.Mutex
	off  *schema.Offline
	err  error
}

// planFromState plans a tenant from its newest snapshot in the landlord
// database instead of its live database: no database server is contacted.
// A tenant without a snapshot plans as a new database.
func (ru *run) planFromState(ctx context.Context, t *desired.Tenant, tr *TenantResult) error {
	def := ru.repo.Config.Servers[t.Server]
	engine, err := ServerEngine(def)
	if err != nil {
		if def == nil {
			return &ServerError{Server: t.Server, Err: err}
		}
		return serverURLError(t.Server, def, err)
	}
	d, err := ru.desiredFor(engine, t)
	if err != nil {
		return err
	}
	snap, ok, err := ru.opts.Snapshots.LatestSnapshot(ctx, t.Slug)
	if err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	live := schema.LiveFrom(engine, nil)
	if ok && snap.Engine != "" && (snap.Engine == string(schema.SQLite)) != (engine == schema.SQLite) {
		// The snapshot's HCL is written for its engine: read as another's,
		// it fails with an error about HCL functions nobody asked for.
		return fmt.Errorf("the engine differs: snapshot %d was taken on %s, but server %q is %s here (its url in landlord.yaml, or --server): pass --server %s=URL of the server the tenant lives on, or declare engine: %s for it",
			snap.ID, snap.Engine, t.Server, engine, t.Server, snap.Engine)
	}
	if ok {
		if live, err = ru.snapshotLive(engine, snap); err != nil {
			return fmt.Errorf("snapshot %d: %w", snap.ID, err)
		}
		tr.Snapshot = &SnapshotRef{ID: snap.ID, RunID: snap.RunID, Revision: snap.Revision, CreatedAt: snap.CreatedAt}
		rec, found, err := ru.opts.Snapshots.Tenant(ctx, t.Slug)
		if err != nil {
			return fmt.Errorf("read tenant record: %w", err)
		}
		if found {
			if w := staleSnapshot(rec, snap); w != "" {
				tr.Warnings = append(tr.Warnings, w)
			}
		}
	}
	oe := ru.offlineFor(engine)
	if oe.err != nil {
		return oe.err
	}
	oe.mu.Lock()
	p, err := oe.off.Plan(ctx, live, d, t.Database)
	if err == nil && len(p.Destructive()) > 0 {
		if since := ru.since(ctx, engine, t, d); since != d {
			if sp, serr := oe.off.Plan(ctx, live, since, t.Database); serr == nil {
				p = sp
			}
		}
	}
	oe.mu.Unlock()
	if err != nil {
		return err
	}
	var changes []refdata.TableChanges
	if !ok {
		// A tenant without a snapshot is created: every declared row is
		// inserted. Snapshots hold no rows, so a tenant with one has its
		// rows planned against its database only.
		qualifier := t.Database
		if engine == schema.SQLite {
			qualifier = ""
		}
		set, err := dataSet(t, d, qualifier)
		if err != nil {
			return fmt.Errorf("data: %w", err)
		}
		if set != nil {
			sts, _, err := refdata.Plan(set, nil, nil, false)
			if err != nil {
				return fmt.Errorf("data: %w", err)
			}
			p.AddData(dataStatements(sts))
			changes = refdata.Summarise(sts)
		}
	}
	ru.decide(t, &decision{plan: p, dataChanges: changes}, tr)
	return nil
}

// staleSnapshot says why a snapshot may not be the schema the tenant's
// last run found, or "" when it is. A run that changes nothing records no
// snapshot, so an older snapshot is current as long as the last run found
// the same schema hash and did not fail.
func staleSnapshot(rec state.Tenant, snap state.Snapshot) string {
	newer := rec.LastRunID > snap.RunID
	if snap.RunID == 0 || rec.LastRunID == 0 {
		newer = rec.UpdatedAt.After(snap.CreatedAt)
	}
	if !newer {
		return ""
	}
	switch {
	case rec.Health == state.Degraded:
		return fmt.Sprintf("snapshot %d is older than the tenant's last run (%d), which failed: the database may hold changes the snapshot lacks", snap.ID, rec.LastRunID)
	case rec.LiveHash != "" && rec.LiveHash != snap.Hash:
		return fmt.Sprintf("snapshot %d is older than the tenant's last run (%d), which found another schema (live hash %.12s, snapshot %.12s): the database has drifted from the snapshot", snap.ID, rec.LastRunID, rec.LiveHash, snap.Hash)
	}
	return ""
}

// offlineFor returns the run's offline planner for engine, opened once.
func (ru *run) offlineFor(engine schema.Engine) *offlineEntry {
	ru.mu.Lock()
	oe, ok := ru.offline[engine]
	if !ok {
		oe = &offlineEntry{}
		ru.offline[engine] = oe
	}
	ru.mu.Unlock()
	oe.once.Do(func() { oe.off, oe.err = schema.OpenOffline(engine, "") })
	return oe
}

func (ru *run) closeOffline() {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	for _, oe := range ru.offline {
		if oe.off != nil {
			oe.off.Close()
		}
	}
}
