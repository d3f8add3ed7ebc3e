package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// Triggers recorded with the runs of repair and rollback.
const (
	TriggerRepair   = "repair"
	TriggerRollback = "rollback"
)

// TenantOptions are the options of an operation on one tenant.
type TenantOptions struct {
	Tenant string
	// Plan shows what the operation would do and changes nothing.
	Plan bool
	// AllowDestructive allows destructive statements, on top of the
	// tenant's policy.
	AllowDestructive bool
	// LockWait is how long to wait for another apply to the tenant.
	LockWait time.Duration
	Actor    string
}

func (o TenantOptions) options(trigger string) Options {
	return Options{Tenants: []string{o.Tenant}, Plan: o.Plan, AllowDestructive: o.AllowDestructive, LockWait: o.LockWait,
		Concurrency: 1, Trigger: trigger, Actor: o.Actor}
}

// Repair restores the repository's desired schema on one tenant, whatever
// its drift policy: drift is planned back like any other difference, under
// the same rules as a reconcile (destructive statements need
// AllowDestructive). It is recorded as a run with trigger repair. A pinned
// tenant is not repaired: unpin it first.
func (r *Reconciler) Repair(ctx context.Context, repo *desired.Repo, o TenantOptions) (*Result, error) {
	if _, ok := repo.Tenant(o.Tenant); !ok {
		return nil, fmt.Errorf("no tenant %q in the repository", o.Tenant)
	}
	return r.execute(ctx, &run{Reconciler: r, repo: repo, opts: o.options(TriggerRepair), mode: modeRepair, revision: repo.Revision})
}

// RollbackOptions say what to roll a tenant back to.
type RollbackOptions struct {
	TenantOptions
	// To is a run id whose snapshot of the tenant is restored, or a git
	// revision (commit, branch or tag) whose desired schema is applied.
	// A number that names a run is a run.
	To string
	// Load reads the repository at a revision.
	Load func(ctx context.Context, ref string) (*desired.Repo, error)
}

// Rollback applies to one tenant the desired schema of another revision of
// the repository, or the snapshot of the tenant that a run recorded, under
// the same rules as a reconcile (destructive statements need
// AllowDestructive), and pins the tenant there: reconciles leave it alone
// until Unpin. The tenant's server and database are those of the current
// manifest. It is recorded as a run with trigger rollback.
func (r *Reconciler) Rollback(ctx context.Context, repo *desired.Repo, o RollbackOptions) (res *Result, err error) {
	defer func() {
		if err == nil && res != nil {
			r.restoreHints(ctx, repo, res, o.Tenant)
		}
	}()
	if r.store == nil {
		return nil, errors.New("rollback needs the landlord database")
	}
	if _, ok := repo.Tenant(o.Tenant); !ok {
		return nil, fmt.Errorf("no tenant %q in the repository", o.Tenant)
	}
	ru := &run{Reconciler: r, repo: repo, opts: o.options(TriggerRollback), mode: modeRollback}
	if id, err := strconv.ParseInt(o.To, 10, 64); err == nil {
		_, isRun, err := r.store.GetRun(ctx, id)
		if err != nil {
			return nil, err
		}
		if isRun {
			return r.rollbackToRun(ctx, ru, o.Tenant, id)
		}
	}
	if o.Load == nil {
		return nil, fmt.Errorf("%q is not a run id, and no repository to read revisions from", o.To)
	}
	old, err := o.Load(ctx, o.To)
	if err != nil {
		return nil, fmt.Errorf("rollback to %s: %w", o.To, err)
	}
	if len(old.Errors) > 0 {
		return nil, fmt.Errorf("rollback to %s: the repository at that revision is invalid:\n%w", shortRev(old.Revision), old.Errors)
	}
	ot, ok := old.Tenant(o.Tenant)
	switch {
	case !ok:
		return nil, fmt.Errorf("rollback to %s: tenant %s is not in the repository at that revision", shortRev(old.Revision), o.Tenant)
	case !ot.Valid():
		return nil, fmt.Errorf("rollback to %s: the manifest of %s at that revision is invalid:\n%w", shortRev(old.Revision), o.Tenant, ot.Errors)
	}
	ru.revision = old.Revision
	ru.target = func(engine schema.Engine) (*schema.Desired, error) { return compose(old, engine, ot) }
	ru.pin = &state.Pin{Revision: old.Revision}
	return r.execute(ctx, ru)
}

// rollbackToRun rolls a tenant back to the snapshot of it that run id
// recorded.
func (r *Reconciler) rollbackToRun(ctx context.Context, ru *run, slug string, id int64) (*Result, error) {
	snap, ok, err := r.store.RunSnapshot(ctx, slug, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("run %d recorded no snapshot of %s: see landlord snapshots list %s", id, slug, slug)
	}
	ru.revision = snap.Revision
	ru.target = func(engine schema.Engine) (*schema.Desired, error) {
		if snap.Engine != "" {
			se := schema.Engine(snap.Engine)
			if se != engine && (se == schema.SQLite || engine == schema.SQLite) {
				return nil, fmt.Errorf("snapshot %d is of a %s database, the tenant is on %s", snap.ID, se, engine)
			}
		}
		live, err := schema.LiveFromSnapshot(engine, []byte(snap.HCL), []byte(snap.DDL))
		if err != nil {
			return nil, fmt.Errorf("snapshot %d: %w", snap.ID, err)
		}
		return schema.SnapshotDesired(live, schema.Origin{Layer: "snapshot", File: fmt.Sprintf("snapshot %d (run %d)", snap.ID, id)}), nil
	}
	ru.pin = &state.Pin{Revision: snap.Revision, SourceRunID: id, SnapshotID: snap.ID}
	return r.execute(ctx, ru)
}

// Unpin releases a tenant pinned by a rollback: the next reconcile brings it
// to the repository's desired schema. It returns the pin removed; a tenant
// that is not pinned is an error.
func (r *Reconciler) Unpin(ctx context.Context, slug string) (state.Pin, error) {
	if r.store == nil {
		return state.Pin{}, errors.New("unpin needs the landlord database")
	}
	pins, err := r.store.Pins(ctx)
	if err != nil {
		return state.Pin{}, err
	}
	pin, ok := pins[slug]
	if !ok {
		return state.Pin{}, fmt.Errorf("tenant %s is not pinned", slug)
	}
	if _, err := r.store.Unpin(ctx, slug); err != nil {
		return pin, err
	}
	rec, ok, err := r.store.Tenant(ctx, slug)
	if err != nil {
		return pin, err
	}
	if ok && rec.Sync == state.Pinned {
		// Unknown until the next reconcile compares it with the repository.
		rec.Sync = state.Unknown
		if err := r.store.SaveTenant(ctx, rec); err != nil {
			return pin, err
		}
	}
	return pin, nil
}
