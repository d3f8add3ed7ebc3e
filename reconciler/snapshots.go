package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// Snapshot records a snapshot of one tenant's live schema on demand (kind
// manual: history, never the baseline of drift detection), under the
// tenant's lock, and prunes the snapshots beyond the retention.
func (r *Reconciler) Snapshot(ctx context.Context, repo *desired.Repo, slug string, lockWait time.Duration) (state.Snapshot, error) {
	if r.store == nil {
		return state.Snapshot{}, errors.New("snapshots need the landlord database")
	}
	if len(repo.Errors) > 0 {
		return state.Snapshot{}, repo.Errors
	}
	t, ok := repo.Tenant(slug)
	if !ok {
		return state.Snapshot{}, fmt.Errorf("no tenant %q in the repository", slug)
	}
	if !t.Valid() {
		return state.Snapshot{}, t.Errors
	}
	if lockWait <= 0 {
		lockWait = 30 * time.Second
	}
	ru := &run{Reconciler: r, repo: repo, revision: repo.Revision, desired: map[string]*desiredEntry{}}
	defer ru.forgetDesired()
	srv, err := ru.server(ctx, repo, t.Server)
	if err != nil {
		return state.Snapshot{}, err
	}
	d, err := ru.desiredFor(srv.Engine(), t)
	if err != nil {
		return state.Snapshot{}, err
	}
	exists, err := srv.Exists(ctx, t.Database)
	if err != nil {
		return state.Snapshot{}, err
	}
	if !exists {
		return state.Snapshot{}, fmt.Errorf("tenant %s has no database %s yet: reconcile it first", slug, t.Database)
	}
	target, err := srv.Lock(ctx, t.Database, lockWait)
	if err != nil {
		return state.Snapshot{}, err
	}
	live, err := target.Inspect(ctx)
	target.Close()
	if err != nil {
		return state.Snapshot{}, err
	}
	live = live.Without(ignored(repo.Config.Comparison, d))
	hcl, err := live.HCL()
	if err != nil {
		return state.Snapshot{}, err
	}
	hash, err := live.Hash()
	if err != nil {
		return state.Snapshot{}, err
	}
	ddl, err := live.DDL()
	if err != nil {
		return state.Snapshot{}, err
	}
	snap := state.Snapshot{Tenant: slug, Kind: state.SnapshotManual, Engine: string(srv.Engine()), Hash: hash, HCL: string(hcl), DDL: string(ddl)}
	if rec, ok, err := r.store.Tenant(ctx, slug); err == nil && ok {
		snap.Revision = rec.LastAppliedRevision
	}
	if snap.ID, err = r.store.AddSnapshot(ctx, snap); err != nil {
		return snap, err
	}
	ru.prune(ctx, slug)
	got, _, err := r.store.GetSnapshot(ctx, slug, snap.ID)
	return got, err
}

// SnapshotDiff is the plan between two snapshots of a tenant.
type SnapshotDiff struct {
	Tenant   string         `json:"tenant"`
	Database string         `json:"database"`
	From     state.Snapshot `json:"from"`
	To       state.Snapshot `json:"to"`
	// Changes turn the schema of From into that of To.
	Changes []Change `json:"changes"`
}

// DiffSnapshots returns the statements that turn snapshot a of a tenant
// into snapshot b, planned without a database server.
func (r *Reconciler) DiffSnapshots(ctx context.Context, slug string, a, b int64) (*SnapshotDiff, error) {
	if r.store == nil {
		return nil, errors.New("snapshots need the landlord database")
	}
	var snaps [2]state.Snapshot
	for i, id := range []int64{a, b} {
		sn, ok, err := r.store.GetSnapshot(ctx, slug, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("tenant %s has no snapshot %d: see landlord snapshots list %s", slug, id, slug)
		}
		snaps[i] = sn
	}
	engine := schema.Engine(snaps[0].Engine)
	if engine == "" {
		engine = schema.Engine(snaps[1].Engine)
	}
	if engine == "" {
		// Snapshots recorded before engines were: MySQL's dialect.
		engine = schema.MySQL
	}
	database := strings.ReplaceAll(slug, "-", "_")
	if rec, ok, err := r.store.Tenant(ctx, slug); err != nil {
		return nil, err
	} else if ok && rec.Database != "" {
		database = rec.Database
	}
	from, err := schema.LiveFromSnapshot(engine, []byte(snaps[0].HCL), []byte(snaps[0].DDL))
	if err != nil {
		return nil, fmt.Errorf("snapshot %d: %w", a, err)
	}
	to, err := schema.LiveFromSnapshot(engine, []byte(snaps[1].HCL), []byte(snaps[1].DDL))
	if err != nil {
		return nil, fmt.Errorf("snapshot %d: %w", b, err)
	}
	off, err := schema.OpenOffline(engine, "")
	if err != nil {
		return nil, err
	}
	defer off.Close()
	p, err := off.Plan(ctx, from, schema.SnapshotDesired(to, schema.Origin{Layer: "snapshot", File: fmt.Sprintf("snapshot %d", b)}), database)
	if err != nil {
		return nil, err
	}
	snaps[0].HCL, snaps[1].HCL = "", ""
	return &SnapshotDiff{Tenant: slug, Database: database, From: snaps[0], To: snaps[1], Changes: changes(p)}, nil
}
