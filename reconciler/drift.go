package reconciler

import (
	"context"
	"errors"
	"fmt"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/refdata"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// What a reconcile does about a drifted object.
const (
	// DriftLeft: policy report, the object stays as it is live.
	DriftLeft = "left"
	// DriftRestored: the plan restores the object (policy heal, repair,
	// rollback).
	DriftRestored = "restored"
	// DriftSuperseded: git changed the object too since the baseline; the
	// plan follows git (nothing to do when git now declares it as it is
	// live: the drift is adopted).
	DriftSuperseded = "superseded"
	// DriftNotRestored: the plan would restore the object, but it was not
	// applied: it was blocked (a destructive statement not allowed) or it
	// failed.
	DriftNotRestored = "not_restored"
)

// DriftFinding is a drifted object and what the reconcile does about it.
type DriftFinding struct {
	state.Drift
	Action string `json:"action"`
}

// findings turns differences into drift records with their severity.
func findings(diffs []schema.Difference) []state.Drift {
	out := make([]state.Drift, 0, len(diffs))
	for _, d := range diffs {
		f := state.Drift{Kind: d.Kind, Table: d.Table, Name: d.Name, Change: d.Change, Severity: severity(d), Detail: d.Detail}
		if d.Narrowing != "" {
			f.Detail += " (" + d.Narrowing + ")"
		}
		f.Object = objectName(f)
		out = append(out, f)
	}
	return out
}

// severity grades a difference: high for anything removed and a type
// narrowed (data or a guarantee is gone), low for an index added (harmless
// to data), medium for the rest: tables, columns, keys and checks added,
// and modifications that lose nothing.
func severity(d schema.Difference) state.Severity {
	switch {
	case d.Unmanaged:
		// Only attributes landlord does not manage: reported, a warning.
		return state.SeverityLow
	case d.Change == schema.Removed, d.Narrowing != "":
		return state.SeverityHigh
	case d.Change == schema.Added && d.Kind == schema.KindIndex:
		return state.SeverityLow
	}
	return state.SeverityMedium
}

func objectName(f state.Drift) string {
	switch {
	case f.Table == "":
		return f.Kind
	case f.Name == "":
		return f.Table
	}
	return f.Table + "." + f.Name
}

// driftObject is the schema object of a drift record.
func driftObject(f state.Drift) schema.Object {
	return schema.Object{Kind: f.Kind, Table: f.Table, Name: f.Name}
}

func shortRev(r string) string {
	switch {
	case strings.HasPrefix(r, "sha256:") && len(r) > 19:
		return r[:19]
	case len(r) > 12 && !strings.Contains(r[:12], ":"):
		return r[:12]
	}
	return r
}

// Drift statuses of a tenant.
const (
	DriftFound      = "drifted"
	DriftClean      = "clean"
	DriftNoBaseline = "no-baseline"
	DriftSkipped    = "skipped"
	DriftError      = "error"
)

// DriftOptions of a drift check.
type DriftOptions struct {
	// Tenants limits the check to these slugs; empty means all.
	Tenants []string
	// Concurrency is the number of tenants checked at once.
	Concurrency int
	// LockWait is how long to wait for an apply to the same tenant.
	LockWait time.Duration
}

// DriftResult is the outcome of a drift check.
type DriftResult struct {
	Revision string        `json:"revision"`
	Counts   DriftCounts   `json:"counts"`
	Tenants  []TenantDrift `json:"tenants"`
	Duration time.Duration `json:"-"`
}

// DriftCounts are the tenants of a drift check by status.
type DriftCounts struct {
	Total      int `json:"total"`
	Drifted    int `json:"drifted"`
	Clean      int `json:"clean"`
	NoBaseline int `json:"no_baseline"`
	Skipped    int `json:"skipped"`
	Failed     int `json:"failed"`
	// Findings is the number of drifted objects over all tenants.
	Findings int `json:"findings"`
}

// Found reports whether any tenant drifted.
func (r *DriftResult) Found() bool { return r.Counts.Drifted > 0 }

// Failed reports whether any tenant could not be checked.
func (r *DriftResult) Failed() bool { return r.Counts.Failed > 0 }

// TenantDrift is the drift of one tenant.
type TenantDrift struct {
	Slug     string `json:"slug"`
	Server   string `json:"server"`
	Database string `json:"database"`
	// Status is DriftFound, DriftClean, DriftNoBaseline (never reconciled:
	// nothing to compare with), DriftSkipped (not active) or DriftError.
	Status   string        `json:"status"`
	Baseline *Baseline     `json:"baseline,omitempty"`
	Drift    []state.Drift `json:"drift"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"-"`
	// ServerFailed is set when Error is a failure of the tenant's whole
	// server (a *ServerError).
	ServerFailed bool `json:"-"`
	// observedAlike: compared by the live schema of a tenant of the same
	// fingerprint (liveAlike), not inspected itself.
	observedAlike bool
}

// Baseline names the snapshot a tenant was compared with.
type Baseline struct {
	SnapshotID int64     `json:"snapshot_id"`
	RunID      int64     `json:"run_id,omitempty"`
	Revision   string    `json:"revision"`
	TakenAt    time.Time `json:"taken_at"`
}

// Drift compares each tenant's live schema with its baseline snapshot (the
// newest one recorded after an apply) and records what it finds: drift seen
// again updates its record, new drift opens one, and open drift no longer
// found is resolved. It changes no tenant database.
func (r *Reconciler) Drift(ctx context.Context, repo *desired.Repo, opts DriftOptions) (*DriftResult, error) {
	start := time.Now()
	if r.store == nil {
		return nil, fmt.Errorf("drift detection needs the landlord database")
	}
	tenants, err := prepare(repo, opts.Tenants, &opts.Concurrency, &opts.LockWait)
	if err != nil {
		return nil, err
	}
	ru := &run{Reconciler: r, repo: repo, revision: repo.Revision, opts: Options{LockWait: opts.LockWait}, desired: map[string]*desiredEntry{}}
	defer ru.forgetDesired()
	// Tenants whose fingerprint did not move since a clean, verified
	// reconcile whose schema is still their baseline are clean without an
	// inspection (fastClean).
	if ru.snaps, err = r.store.LatestSnapshotHashes(ctx); err != nil {
		return nil, err
	}
	if ru.drifted, err = r.store.DriftSummaries(ctx); err != nil {
		return nil, err
	}
	ru.readFingerprints(ctx, tenants)
	res := &DriftResult{Revision: repo.Revision}
	res.Tenants = each(ctx, repo, opts.Concurrency, tenants, ru.checkDrift, func(t *desired.Tenant) TenantDrift {
		return TenantDrift{Slug: t.Slug, Server: t.Server, Database: t.Database, Status: DriftError, Error: "not checked: interrupted"}
	})
	for i, td := range res.Tenants {
		if td.Drift == nil {
			res.Tenants[i].Drift = []state.Drift{}
		}
		res.Counts.Total++
		res.Counts.Findings += len(td.Drift)
		switch td.Status {
		case DriftFound:
			res.Counts.Drifted++
		case DriftClean:
			res.Counts.Clean++
		case DriftNoBaseline:
			res.Counts.NoBaseline++
		case DriftSkipped:
			res.Counts.Skipped++
		default:
			res.Counts.Failed++
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// checkDrift checks and records one tenant; it never panics.
func (ru *run) checkDrift(ctx context.Context, t *desired.Tenant) (td TenantDrift) {
	start := time.Now()
	td = TenantDrift{Slug: t.Slug, Server: t.Server, Database: t.Database}
	defer func() {
		if p := recover(); p != nil {
			ru.log.Error("drift check panicked", "tenant", t.Slug, "panic", p, "stack", string(debug.Stack()))
			td.Status, td.Error = DriftError, fmt.Sprintf("internal error: %v", p)
		}
		td.Error = redact.Text(td.Error)
		td.Duration = time.Since(start)
		ru.log.Debug("drift checked", "tenant", t.Slug, "status", td.Status, "duration_ms", td.Duration.Milliseconds())
	}()
	switch {
	case !t.Valid():
		td.Status, td.Error = DriftError, t.Errors.Error()
		return td
	case t.Lifecycle != desired.Active:
		td.Status = DriftSkipped
		return td
	}
	if ru.fastClean(ctx, t, &td) {
		return td
	}
	sc, err := ru.scanDrift(ctx, t, false)
	if err != nil {
		var se *ServerError
		td.Status, td.Error, td.ServerFailed = DriftError, err.Error(), errors.As(err, &se)
		ru.log.Warn("drift check failed", "tenant", t.Slug, "err", td.Error)
		return td
	}
	if sc.snap == nil {
		td.Status = DriftNoBaseline
		return td
	}
	td.observedAlike = sc.alike
	td.Baseline = &Baseline{SnapshotID: sc.snap.ID, RunID: sc.snap.RunID, Revision: sc.snap.Revision, TakenAt: sc.snap.CreatedAt}
	found := findings(sc.diffs)
	for _, f := range sc.rows {
		found = append(found, rowDrift(f))
	}
	recorded, err := ru.store.RecordDrift(context.WithoutCancel(ctx), t.Slug, found, 0)
	if err != nil {
		td.Status, td.Error = DriftError, err.Error()
		return td
	}
	td.Drift, td.Status = recorded, DriftClean
	if len(recorded) > 0 {
		td.Status = DriftFound
	}
	ru.refreshLive(context.WithoutCancel(ctx), t, sc, len(recorded) > 0)
	return td
}

// refreshLive records the live hash a drift check saw, and the tenant's
// sync with it: drift makes live differ from desired (OutOfSync), and a
// live schema back to the desired hash with no drift open is Synced again.
// Only a tenant last applied and healthy changes sync; any other state
// (blocked, failing, pinned, progressing) is a reconcile's to set.
func (ru *run) refreshLive(ctx context.Context, t *desired.Tenant, sc *scan, drifted bool) {
	hash := sc.hash
	if hash == "" {
		var err error
		if hash, err = sc.live.Hash(); err != nil {
			ru.log.Warn("hash live schema", "tenant", t.Slug, "err", err)
			return
		}
	}
	rec, ok, err := ru.store.Tenant(ctx, t.Slug)
	if err != nil || !ok {
		return
	}
	rec.LiveHash = hash
	if rec.Health == state.Healthy && rec.DesiredHash != "" {
		switch {
		case drifted && hash != rec.DesiredHash && rec.Sync == state.Synced:
			rec.Sync = state.OutOfSync
		case !drifted && hash == rec.DesiredHash && rec.Sync == state.OutOfSync:
			rec.Sync = state.Synced
		}
	}
	if err := ru.store.SaveTenant(ctx, rec); err != nil {
		ru.log.Error("record tenant", "tenant", t.Slug, "err", err)
	}
}

// scan is a tenant's live schema compared with its baseline.
type scan struct {
	live *schema.Live
	// hash is live's, when it was taken; alike is set when live was
	// inspected of another tenant (liveAlike).
	hash  string
	alike bool
	d     *schema.Desired
	snap  *state.Snapshot // nil: no baseline
	diffs []schema.Difference
	// undeclared are the objects live has and the desired schema does not
	// (scanDrift with undeclared set).
	undeclared map[schema.Object]bool
	// rows are the declared rows changed or deleted out of band.
	rows []refdata.Finding
}

// scanDrift inspects the tenant under its lock (so that it never sees an
// apply half done) and compares it with its baseline snapshot, and with
// the desired schema when undeclared is set.
func (ru *run) scanDrift(ctx context.Context, t *desired.Tenant, undeclared bool) (*scan, error) {
	srv, err := ru.server(ctx, ru.repo, t.Server)
	if err != nil {
		return nil, err
	}
	d, err := ru.desiredFor(srv.Engine(), t)
	if err != nil {
		return nil, err
	}
	ignore := ignored(ru.repo.Config.Comparison, d)
	exists, err := srv.Exists(ctx, t.Database)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", t.Database, err)
	}
	var target *schema.Target
	if exists {
		target, err = srv.Lock(ctx, t.Database, ru.opts.LockWait)
	} else {
		// Read creates nothing; Lock would create an SQLite file.
		target, err = srv.Read(ctx, t.Database)
	}
	if err != nil {
		return nil, err
	}
	defer target.Close()
	sc := &scan{d: d}
	if shared, hash := ru.liveAlike(t); shared != nil && exists && !declaresData(t) {
		// Inspected of a tenant of the same fingerprint in this check.
		sc.live, sc.hash, sc.alike = shared, hash, true
	} else {
		live, err := target.Inspect(ctx)
		if err != nil {
			return nil, err
		}
		sc.live = live.Without(ignore)
		if sc.rows, err = ru.scanRows(ctx, t, target, live, d); err != nil {
			return nil, err
		}
		// Only a tenant of a group keeps its schema for others; the hash
		// goes with it (refreshLive takes it otherwise, for a baseline).
		if _, grouped := ru.likeOf(t); grouped && exists {
			if sc.hash, err = sc.live.Hash(); err != nil {
				return nil, err
			}
			ru.shareLive(ctx, t, &observation{target: target, live: sc.live}, &decision{liveHash: sc.hash})
		}
	}
	snap, ok, err := ru.store.Baseline(ctx, t.Slug)
	if err != nil || !ok {
		return sc, err
	}
	sc.snap = &snap
	base, err := ru.snapshotLive(srv.Engine(), snap)
	if err != nil {
		return nil, fmt.Errorf("baseline snapshot %d: %w", snap.ID, err)
	}
	if sc.diffs, err = target.Compare(ctx, base.Without(ignore), sc.live); err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	if len(sc.diffs) == 0 && !undeclared {
		return sc, nil
	}
	vs, err := target.Compare(ctx, schema.LiveFrom(srv.Engine(), d), sc.live)
	if err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	// An object that differs from the baseline but is as git wants it
	// was changed by git: a run that applied it and died before recording
	// it (its next reconcile records it). It is not drift.
	differs := map[schema.Object]bool{}
	for _, df := range vs {
		differs[df.Object] = true
	}
	kept := sc.diffs[:0]
	for _, df := range sc.diffs {
		if differs[df.Object] {
			kept = append(kept, df)
		}
	}
	sc.diffs = kept
	if undeclared {
		sc.undeclared = map[schema.Object]bool{}
		for _, df := range vs {
			if df.Change == schema.Added {
				sc.undeclared[df.Object] = true
			}
		}
	}
	return sc, nil
}

// Export is a tenant's drift written as a layer file, for its custom layer.
type Export struct {
	Tenant string `json:"tenant"`
	// Path is where the file goes in the repository.
	Path string `json:"path"`
	// HCL extends the tenant's tables with the objects drift added; empty
	// when it added none.
	HCL []byte `json:"-"`
	// Exported is the drift the file adopts; NotExported the drift a layer
	// cannot express (removed or modified objects: change the layer that
	// declares them, or repair the tenant).
	Exported    []state.Drift `json:"exported"`
	NotExported []state.Drift `json:"not_exported"`
	// Unmanaged is the drift of objects landlord does not manage (views,
	// triggers, routines, events, sequences): no layer can declare them,
	// so they are left out of the file and named in its header.
	Unmanaged []state.Drift `json:"unmanaged"`
}

// ExportDrift writes the objects that drift added to a tenant (tables,
// columns, indexes, foreign keys, checks) as HCL for its custom layer
// (layers/custom/<slug>/drift.hcl): with it committed, the desired schema
// declares them and a reconcile has nothing to do for them. It records
// nothing and changes nothing.
func (r *Reconciler) ExportDrift(ctx context.Context, repo *desired.Repo, slug string, lockWait time.Duration) (*Export, error) {
	if r.store == nil {
		return nil, fmt.Errorf("drift export needs the landlord database")
	}
	if len(repo.Errors) > 0 {
		return nil, repo.Errors
	}
	t, ok := repo.Tenant(slug)
	if !ok {
		return nil, fmt.Errorf("no tenant %q in the repository", slug)
	}
	if !t.Valid() {
		return nil, t.Errors
	}
	if lockWait <= 0 {
		lockWait = 30 * time.Second
	}
	ru := &run{Reconciler: r, repo: repo, revision: repo.Revision, opts: Options{LockWait: lockWait}, desired: map[string]*desiredEntry{}}
	defer ru.forgetDesired()
	sc, err := ru.scanDrift(ctx, t, true)
	if err != nil {
		return nil, err
	}
	if sc.snap == nil {
		return nil, fmt.Errorf("tenant %s has no baseline snapshot yet: reconcile it first", slug)
	}
	ex := &Export{Tenant: slug, Path: path.Join("layers/custom", slug, "drift.hcl"), Exported: []state.Drift{}, NotExported: []state.Drift{},
		Unmanaged: []state.Drift{}}
	var objs []schema.Object
	for _, f := range findings(sc.diffs) {
		switch {
		case f.Kind == schema.KindUnmanaged:
			// Atlas's model has no view, trigger or routine: the live
			// schema has no HCL for one, and a layer none to declare.
			ex.Unmanaged = append(ex.Unmanaged, f)
		case f.Change == schema.Added && !sc.undeclared[driftObject(f)]:
			// An object a layer declares already (an export not yet
			// reconciled) is not written twice.
		case f.Change == schema.Added:
			ex.Exported = append(ex.Exported, f)
			objs = append(objs, driftObject(f))
		default:
			ex.NotExported = append(ex.NotExported, f)
		}
	}
	if len(objs) == 0 {
		return ex, nil
	}
	body, missing, err := sc.live.LayerHCL(objs, sc.d.SchemaLabel())
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("drift export: %d object(s) not found in the live schema, first %s", len(missing), missing[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Drift of tenant %s adopted into its custom layer: what its database has\n", slug)
	fmt.Fprintf(&b, "# and its baseline snapshot %d (revision %s) does not.\n", sc.snap.ID, shortRev(sc.snap.Revision))
	fmt.Fprintf(&b, "# Written by landlord drift export.\n")
	for _, f := range ex.Exported {
		// A line break in a live name would end the comment and write the
		// rest of the name as HCL: names are escaped (the HCL below
		// escapes its labels itself).
		fmt.Fprintf(&b, "#   %s %s %s\n", f.Kind, printable.Text(f.Object), printable.Text(f.Detail))
	}
	if len(ex.Unmanaged) > 0 {
		b.WriteString("# Not exported: objects landlord does not manage, which no layer can declare:\n")
		for _, f := range ex.Unmanaged {
			fmt.Fprintf(&b, "#   %s\n", printable.Text(f.Detail))
		}
	}
	b.WriteString("\n")
	b.Write(body)
	ex.HCL = []byte(b.String())
	return ex, nil
}
