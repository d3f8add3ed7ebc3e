package reconciler

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/refdata"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// decision is what the compute step found for one tenant: its plan, the
// drift from its baseline snapshot, and the drifted objects the plan leaves
// alone.
type decision struct {
	plan *schema.Plan
	// foreign is why the tenant's database looks like another
	// application's (foreignDatabase), or "".
	foreign string
	drift   []DriftFinding
	leave   []schema.Object
	// liveHash is the hash of the live schema compute saw, when it took
	// it (to compare with the baseline's).
	liveHash string
	// data is the reference data the tenant's layers declare, nil when
	// none; dataLeft is set when the plan leaves declared rows drifted.
	data     *refdata.Set
	dataLeft bool
	// dataChanges count the plan's row changes per table.
	dataChanges []refdata.TableChanges
}

// compute plans the tenant from live to d. With a landlord database, live is
// first compared with the tenant's baseline snapshot: the differences are
// its drift. Under policy report a reconcile leaves drift alone: the plan
// skips every drifted object that git did not change too (git changed an
// object when the baseline and d differ on it; then git wins). Under policy
// heal, and for repair and rollback, the plan restores everything.
func (ru *run) compute(ctx context.Context, t *desired.Tenant, obs *observation) (*decision, error) {
	srv, target, live, d := obs.srv, obs.target, obs.live, obs.desired
	dec := &decision{liveHash: obs.liveHash, foreign: ru.foreignDatabase(t, live, d)}
	base, err := ru.baseline(ctx, t, srv, live, d, dec)
	if err != nil {
		return nil, err
	}
	if base != nil {
		diffs, err := target.Compare(ctx, base, live)
		if err != nil {
			return nil, fmt.Errorf("drift: %w", err)
		}
		byGit := map[schema.Object]bool{}
		if len(diffs) > 0 {
			// From the baseline to desired: what git changed since.
			changed, err := target.Compare(ctx, schema.LiveFrom(srv.Engine(), d), base)
			if err != nil {
				return nil, fmt.Errorf("drift: %w", err)
			}
			for _, c := range changed {
				byGit[c.Object] = true
			}
		}
		report := ru.mode == modeReconcile && t.DriftPolicy != desired.DriftHeal
		for i, f := range findings(diffs) {
			df := DriftFinding{Drift: f, Action: DriftRestored}
			switch {
			case byGit[diffs[i].Object]:
				df.Action = DriftSuperseded
			case report:
				df.Action = DriftLeft
				dec.leave = append(dec.leave, diffs[i].Object)
			}
			dec.drift = append(dec.drift, df)
		}
	}
	if dec.plan, err = target.PlanLeaving(ctx, live, d, dec.leave); err != nil {
		return nil, err
	}
	if len(dec.plan.Destructive()) > 0 {
		// A drop is attributed to the file that declared the object in the
		// revision last applied: the file whose change removed it.
		if since := ru.since(ctx, srv.Engine(), t, d); since != d {
			if p, err := target.PlanLeaving(ctx, live, since, dec.leave); err == nil {
				dec.plan = p
			}
		}
	}
	if err := ru.planData(ctx, t, target, live, d, dec); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return dec, nil
}

// foreignDatabase returns why the tenant's database looks like another
// application's, which landlord leaves alone, or "": it exists, holds
// tables, none of them the tenant's, landlord did not create it (the
// landlord database does not record it as the tenant's), and the manifest
// does not say adopt: true. A tenant whose manifest names a database by
// mistake (or on purpose) then does not write its tables into it, nor
// later drop it as its own.
func (ru *run) foreignDatabase(t *desired.Tenant, live *schema.Live, d *schema.Desired) string {
	if t.Adopt || !live.Exists() {
		return ""
	}
	ru.mu.Lock()
	rec, ok := ru.records[t.Slug]
	ru.mu.Unlock()
	if manages(rec, ok, t) {
		return ""
	}
	tables := live.Tables()
	if len(tables) == 0 {
		return ""
	}
	for _, table := range tables {
		if d.Has(table, "") {
			return ""
		}
	}
	sort.Strings(tables)
	shown := slices.Clone(tables[:min(len(tables), 3)])
	for i, name := range shown {
		// Another application's names: shown as they are only when
		// they are names by landlord's rule.
		if schema.CheckIdentifier(name) != "" {
			shown[i] = strconv.Quote(name)
		}
	}
	more := ""
	if len(tables) > len(shown) {
		more = ", …"
	}
	return fmt.Sprintf("database %s on server %s exists with %d table(s) (%s%s) and none of the tenant's: it looks like another application's, and landlord did not create it; set adopt: true in %s to manage it",
		t.Database, t.Server, len(tables), strings.Join(shown, ", "), more, t.File)
}

// manages reports whether rec, the landlord database's record of tenant t
// (ok when there is one), says landlord manages t's database: it applied
// t's schema to that database on that server.
func manages(rec state.Tenant, ok bool, t *desired.Tenant) bool {
	return ok && rec.ManagedServer == t.Server && rec.ManagedDatabase == t.Database
}

// previousEntry is the repository at a revision a tenant was last applied
// at, loaded once per run.
type previousEntry struct {
	once sync.Once
	repo *desired.Repo
	err  error

	// composed are the desired schemas of the revision, by layerSetKey,
	// composed once (under the run's mu; at most maxComposed).
	composed map[string]*desiredEntry
}

// maxComposed bounds the desired schemas kept of each previous revision;
// beyond it a tenant's is composed for it alone.
const maxComposed = 64

// since returns d with the provenance of what it removed since the
// revision last applied to t (schema.Desired.Since), or d itself when that
// revision is unknown, is this one, or cannot be read (Options.Previous).
func (ru *run) since(ctx context.Context, engine schema.Engine, t *desired.Tenant, d *schema.Desired) *schema.Desired {
	ru.mu.Lock()
	rev := ru.records[t.Slug].LastAppliedRevision
	ru.mu.Unlock()
	if ru.opts.Previous == nil || rev == "" || rev == ru.revision || ru.target != nil {
		return d
	}
	repo := ru.previousRepo(ctx, t, rev)
	if repo == nil {
		return d
	}
	pt, ok := repo.Tenant(t.Slug)
	if !ok || !pt.Valid() || len(pt.Layers) == 0 {
		return d
	}
	prev, err := ru.composePrevious(rev, repo, engine, pt)
	if err != nil {
		return d
	}
	return d.Since(prev, rev)
}

// composePrevious composes pt's desired schema at revision rev once per
// engine and layer set: every tenant of a layer set whose drop is
// attributed shares it.
func (ru *run) composePrevious(rev string, repo *desired.Repo, engine schema.Engine, pt *desired.Tenant) (*schema.Desired, error) {
	key := layerSetKey(engine, pt)
	ru.mu.Lock()
	pe := ru.previous[rev]
	e, ok := pe.composed[key]
	if !ok && len(pe.composed) < maxComposed {
		if pe.composed == nil {
			pe.composed = map[string]*desiredEntry{}
		}
		e = &desiredEntry{}
		pe.composed[key] = e
	}
	ru.mu.Unlock()
	if e == nil {
		return compose(repo, engine, pt)
	}
	e.once.Do(func() { e.d, e.err = compose(repo, engine, pt) })
	return e.d, e.err
}

// previousRepo is the repository at rev, read once per run, or nil when
// it cannot be read (Options.Previous).
func (ru *run) previousRepo(ctx context.Context, t *desired.Tenant, rev string) *desired.Repo {
	if ru.opts.Previous == nil {
		return nil
	}
	ru.mu.Lock()
	if ru.previous == nil {
		ru.previous = map[string]*previousEntry{}
	}
	e, ok := ru.previous[rev]
	if !ok {
		e = &previousEntry{}
		ru.previous[rev] = e
	}
	ru.mu.Unlock()
	e.once.Do(func() { e.repo, e.err = ru.opts.Previous(ctx, rev) })
	if e.err != nil {
		ru.log.Debug("revision last applied not read: drops keep their table's provenance", "tenant", t.Slug, "revision", rev, "err", e.err)
		return nil
	}
	return e.repo
}

// baseline returns the tenant's baseline snapshot as a schema, with the
// ignored objects removed, or nil when there is nothing to compare: no
// landlord database, no snapshot yet, no database (it is created), or a
// live schema whose hash is the snapshot's (no drift, and no need to read
// the snapshot).
func (ru *run) baseline(ctx context.Context, t *desired.Tenant, srv *schema.Server, live *schema.Live, d *schema.Desired, dec *decision) (*schema.Live, error) {
	if ru.store == nil || !live.Exists() || ru.snaps[t.Slug] == "" {
		return nil, nil
	}
	if dec.liveHash == "" {
		h, err := live.Hash()
		if err != nil {
			return nil, err
		}
		dec.liveHash = h
	}
	h := dec.liveHash
	if h == ru.snaps[t.Slug] {
		return nil, nil
	}
	snap, ok, err := ru.store.Baseline(ctx, t.Slug)
	if err != nil || !ok {
		return nil, err
	}
	if snap.Engine != "" && (snap.Engine == string(schema.SQLite)) != (srv.Engine() == schema.SQLite) {
		// The tenant moved between SQLite and a MySQL or MariaDB server:
		// its database there is another one, with nothing to drift from
		// until a snapshot of it is recorded.
		ru.log.Info("baseline snapshot of another engine: no drift to compare", "tenant", t.Slug, "snapshot", snap.ID, "engine", snap.Engine)
		return nil, nil
	}
	base, err := ru.snapshotLive(srv.Engine(), snap)
	if err != nil {
		return nil, fmt.Errorf("baseline snapshot %d: %w", snap.ID, err)
	}
	return base.Without(ignored(ru.repo.Config.Comparison, d)), nil
}

// ignored returns what drift detection and plans ignore (landlord.yaml
// comparison): tables and columns matching its patterns that the desired
// schema does not declare. Patterns are globs (path.Match); a column
// pattern is a column name or table.column. It returns nil when nothing
// is ignored.
func ignored(c desired.Comparison, d *schema.Desired) func(table, column string) bool {
	if len(c.IgnoreTables) == 0 && len(c.IgnoreColumns) == 0 {
		return nil
	}
	match := func(patterns []string, name string) bool {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
		return false
	}
	return func(table, column string) bool {
		if d.Has(table, column) {
			return false
		}
		if column == "" {
			return match(c.IgnoreTables, table)
		}
		return match(c.IgnoreColumns, column) || match(c.IgnoreColumns, table+"."+column)
	}
}

type desiredEntry struct {
	once sync.Once
	d    *schema.Desired
	err  error
}

// desiredFor returns the tenant's desired schema, composed once per engine
// and layer set and shared by every tenant with the same layers; a
// rollback's target replaces it.
func (ru *run) desiredFor(engine schema.Engine, t *desired.Tenant) (*schema.Desired, error) {
	key := layerSetKey(engine, t)
	if ru.target != nil {
		key = string(engine)
	}
	ru.mu.Lock()
	e, ok := ru.desired[key]
	if !ok {
		e = &desiredEntry{}
		ru.desired[key] = e
	}
	ru.mu.Unlock()
	e.once.Do(func() {
		if ru.target != nil {
			e.d, e.err = ru.target(engine)
			return
		}
		e.d, e.err = compose(ru.repo, engine, t)
	})
	return e.d, e.err
}

// layerSetKey identifies the desired schema of t's layers for engine.
func layerSetKey(engine schema.Engine, t *desired.Tenant) string {
	return string(engine) + "\x01" + t.LayerKey()
}

// forgetDesired drops what the servers keep for the run's desired schemas:
// the next run composes its own, so nothing a run computed outlives it.
func (ru *run) forgetDesired() {
	ru.mu.Lock()
	var ds []*schema.Desired
	for _, e := range ru.desired {
		if e.d != nil {
			ds = append(ds, e.d)
		}
	}
	ru.mu.Unlock()
	ru.forget(ds)
}

// desiredHash is srv.DesiredHash, tried again after a transient failure
// (a dropped connection while the scratch database is built), so that
// one blip does not fail every tenant of the layer set.
func (ru *run) desiredHash(ctx context.Context, srv *schema.Server, d *schema.Desired) (string, error) {
	var err error
	for attempt := 0; ; attempt++ {
		var h string
		if h, err = srv.DesiredHash(ctx, d); err == nil {
			return h, nil
		}
		if attempt == desiredAttempts-1 || classify(err) != Transient || ctx.Err() != nil {
			return "", err
		}
		ru.log.Info("desired schema failed, trying again", "server", srv, "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return "", err
		case <-time.After(time.Duration(attempt+1) * desiredRetryDelay):
		}
	}
}

// desiredAttempts and desiredRetryDelay bound the tries of desiredHash.
var (
	desiredAttempts   = 3
	desiredRetryDelay = 500 * time.Millisecond
)

// compose returns the desired schema of t's layers for engine.
func compose(repo *desired.Repo, engine schema.Engine, t *desired.Tenant) (*schema.Desired, error) {
	layers := make([]schema.Layer, len(t.Layers))
	for i, l := range t.Layers {
		layers[i] = schema.Layer{Name: l.Name}
		for _, f := range l.Files {
			layers[i].Files = append(layers[i].Files, schema.File{Path: f.Path, Data: f.Data})
		}
	}
	c := repo.Config.Database
	return schema.Compose(engine, layers, schema.Options{Charset: c.Charset, Collation: c.Collation})
}
