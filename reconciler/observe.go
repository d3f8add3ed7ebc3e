package reconciler

import (
	"context"
	"fmt"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// observation is what the observe step saw of one tenant: its server, its
// desired schema, its database (locked when the reconcile applies) and the
// live schema, with what the comparison settings ignore left out.
type observation struct {
	srv     *schema.Server
	desired *schema.Desired
	target  *schema.Target
	live    *schema.Live
	// ignore is what plans and drift leave out (landlord.yaml comparison).
	ignore func(table, column string) bool
	// baseline is the snapshot of the live schema recorded after the
	// verify, if one was (the reconcile changed the tenant).
	baseline *state.Snapshot
	// alike is set when live was inspected of a tenant of the same
	// schema (liveAlike), not of this one; liveHash is then its hash.
	alike    bool
	liveHash string
}

// observe opens the tenant's server, composes its desired schema and
// inspects its database. An apply first takes the desired hash (it needs a
// scratch database: a connection of its own, taken before the tenant's so
// that workers never wait on each other for the pool), then locks the
// tenant's database and inspects under the lock, since another apply may
// have just finished. A plan reads without locking. The caller closes
// obs.target.
func (ru *run) observe(ctx context.Context, t *desired.Tenant, tr *TenantResult) (*observation, error) {
	srv, err := ru.tenantServer(ctx, t)
	if err != nil {
		tr.Unreachable = classify(err) == Transient
		return nil, err
	}
	d, err := ru.desiredFor(srv.Engine(), t)
	if err != nil {
		return nil, err
	}
	obs := &observation{srv: srv, desired: d, ignore: ignored(ru.repo.Config.Comparison, d)}
	if ru.opts.Plan {
		// On SQLite the desired hash is an apply to an in-memory database,
		// cached per desired schema: a plan fails where an apply would.
		if srv.Engine() == schema.SQLite {
			if _, err := ru.desiredHash(ctx, srv, d); err != nil {
				return nil, fmt.Errorf("desired schema: %w", err)
			}
		}
		obs.target, err = srv.Read(ctx, t.Database)
	} else {
		if tr.DesiredHash, err = ru.desiredHash(ctx, srv, d); err != nil {
			return nil, fmt.Errorf("desired schema: %w", err)
		}
		obs.target, err = srv.Lock(ctx, t.Database, ru.opts.LockWait)
	}
	if err != nil {
		return nil, err
	}
	if live, hash := ru.liveAlike(t); live != nil && obs.target.Exists() {
		obs.live, obs.liveHash, obs.alike = live, hash, true
		ru.log.Debug("observed by fingerprint", "tenant", t.Slug, "run_id", ru.id)
		return obs, nil
	}
	live, err := obs.target.Inspect(ctx)
	if err != nil {
		obs.target.Close()
		return nil, err
	}
	obs.live = live.Without(obs.ignore)
	return obs, nil
}

// tenantServer returns the tenant's server, with the landlord database as
// the cache of its desired hashes: an unchanged layer set costs no scratch
// database in the next run.
func (ru *run) tenantServer(ctx context.Context, t *desired.Tenant) (*schema.Server, error) {
	srv, err := ru.server(ctx, ru.repo, t.Server)
	if err != nil {
		return nil, err
	}
	if c, ok := ru.store.(schema.HashCache); ok {
		srv.SetHashCache(c)
	}
	return srv, nil
}
