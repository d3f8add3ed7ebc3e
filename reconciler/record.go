package reconciler

import (
	"context"
	"fmt"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// recordBlocked records a tenant whose plan is blocked: its statements as
// blocked, its live hash, and the drift found.
func (ru *run) recordBlocked(ctx context.Context, t *desired.Tenant, obs *observation, dec *decision, tr *TenantResult) {
	ru.recordPlanned(ctx, t, dec.plan, state.StatementBlocked) // logged when it fails: nothing runs
	tr.LiveHash = dec.liveHash
	if tr.LiveHash == "" {
		tr.LiveHash, _ = obs.live.Hash()
	}
	var found []state.Drift
	for _, f := range dec.drift {
		found = append(found, f.Drift)
	}
	ru.recordDrift(ctx, t, found)
}

// recordApplied records a verified tenant: its new baseline snapshot and
// what remains of its drift, which is what was left alone (untouched by
// the apply, as it was found).
func (ru *run) recordApplied(ctx context.Context, t *desired.Tenant, obs *observation, dec *decision, tr *TenantResult) error {
	if err := ru.snapshot(ctx, t, obs, tr.LiveHash, dec); err != nil {
		return err
	}
	var remaining []state.Drift
	for _, f := range dec.drift {
		if f.Action == DriftLeft {
			remaining = append(remaining, f.Drift)
		}
	}
	ru.recordDrift(ctx, t, remaining)
	return nil
}

// snapshot records the tenant's new baseline after a verified reconcile,
// when it differs from the last: the live schema, or, when drift was left
// alone, the desired schema as the server has it (what live would be
// without the drift), so that the drift stays drift. The snapshots beyond
// the retention are pruned. A snapshot of the live schema is kept in
// obs.baseline.
func (ru *run) snapshot(ctx context.Context, t *desired.Tenant, obs *observation, liveHash string, dec *decision) error {
	srv, d, live := obs.srv, obs.desired, obs.live
	if ru.store == nil {
		return nil
	}
	baseline, hash := live, liveHash
	if len(dec.leave) > 0 {
		// The desired hash is the hash of the desired schema as the server
		// has it, kept per desired schema: a tenant whose drift stays,
		// run after run, reads the schema (and hashes it again) only when
		// its baseline is another.
		h, err := srv.DesiredHash(ctx, d)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		if h == ru.snaps[t.Slug] {
			return nil
		}
		if baseline, err = srv.DesiredLive(ctx, d); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		if hash, err = baseline.Hash(); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	if hash == ru.snaps[t.Slug] {
		return nil
	}
	hcl, err := baseline.HCL()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	ddl, err := baseline.DDL()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	snap := state.Snapshot{Tenant: t.Slug, RunID: ru.id, Revision: ru.revision, Kind: state.SnapshotApplied,
		Engine: string(srv.Engine()), Hash: hash, HCL: string(hcl), DDL: string(ddl)}
	if err := ru.addSnapshot(ctx, snap); err != nil {
		return err
	}
	if len(dec.leave) == 0 {
		obs.baseline = &snap
	}
	return nil
}

// addSnapshot records snap as the tenant's new baseline and prunes its
// snapshots beyond the retention.
func (ru *run) addSnapshot(ctx context.Context, snap state.Snapshot) error {
	if _, err := ru.store.AddSnapshot(ctx, snap); err != nil {
		return err
	}
	ru.prune(ctx, snap.Tenant)
	return nil
}

// prune deletes the tenant's snapshots beyond the retention of
// landlord.yaml. A failure is logged: the reconcile succeeded.
func (ru *run) prune(ctx context.Context, slug string) {
	keep, days := ru.repo.Config.Snapshots.Keep, ru.repo.Config.Snapshots.MaxDays
	if keep <= 0 {
		keep = DefaultSnapshotKeep
	}
	if days <= 0 {
		days = DefaultSnapshotMaxDays
	}
	n, err := ru.store.PruneSnapshots(ctx, slug, state.Retention{Keep: keep, MaxAge: time.Duration(days) * 24 * time.Hour})
	if err != nil {
		ru.log.Error("prune snapshots", "tenant", slug, "err", err)
		return
	}
	if n > 0 {
		ru.log.Info("pruned snapshots", "tenant", slug, "deleted", n)
	}
}

// Snapshot retention defaults (landlord.yaml snapshots.keep and maxDays).
const (
	DefaultSnapshotKeep    = 10
	DefaultSnapshotMaxDays = 30
)

// recordDrift records the drift a reconcile found (or left) in the tenant;
// open drift that is not in found is resolved by this run.
func (ru *run) recordDrift(ctx context.Context, t *desired.Tenant, found []state.Drift) {
	if ru.store == nil || ru.id == 0 || (len(found) == 0 && ru.drifted[t.Slug].Open == 0) {
		return
	}
	if _, err := ru.store.RecordDrift(ctx, t.Slug, found, ru.id); err != nil {
		ru.log.Error("record drift", "tenant", t.Slug, "run_id", ru.id, "err", err)
	}
}

// recordPlanned records the plan's statements with status and returns their
// ids (nil when nothing is recorded).
func (ru *run) recordPlanned(ctx context.Context, t *desired.Tenant, p *schema.Plan, status string) ([]int64, error) {
	if ru.store == nil || ru.id == 0 || p.Empty() {
		return nil, nil
	}
	sts := make([]state.Statement, len(p.Statements))
	for i, s := range p.Statements {
		sts[i] = state.Statement{RunID: ru.id, Tenant: t.Slug, Seq: i + 1, Layer: s.Layer, File: s.File, Line: s.Line,
			SQL: s.SQL, Destructive: s.Destructive, Status: status}
	}
	if err := ru.store.AddStatements(ctx, sts); err != nil {
		ru.log.Error("record statements", "tenant", t.Slug, "run_id", ru.id, "err", err)
		return nil, err
	}
	ids := make([]int64, len(sts))
	for i, s := range sts {
		ids[i] = s.ID
	}
	return ids, nil
}

// progressing records that the tenant is being changed.
func (ru *run) progressing(ctx context.Context, t *desired.Tenant) error {
	if ru.store == nil || ru.id == 0 {
		return nil
	}
	rec := ru.record(t)
	rec.Health = state.Progressing
	rec.Sync = state.OutOfSync
	rec.LastAttemptedRevision = ru.revision
	if err := ru.store.SaveTenant(ctx, rec); err != nil {
		ru.log.Error("record tenant", "tenant", t.Slug, "err", err)
		return err
	}
	return nil
}

// record returns the tenant's record with the manifest's fields.
func (ru *run) record(t *desired.Tenant) state.Tenant {
	ru.mu.Lock()
	rec, ok := ru.records[t.Slug]
	ru.mu.Unlock()
	if !ok {
		rec = state.Tenant{Slug: t.Slug, Sync: state.Unknown, Health: state.Missing}
	}
	rec.Name, rec.Template, rec.Modules = t.Name, t.Template, t.Modules
	rec.TemplateVersion = ""
	if tpl := ru.repo.Templates[t.Template]; tpl != nil {
		rec.TemplateVersion = tpl.Version
	}
	rec.Server, rec.Database, rec.Domain, rec.Lifecycle = t.Server, t.Database, t.Domain, t.Lifecycle
	rec.RemovedAt = nil
	return rec
}

// finish records the tenant's outcome: its status and what the run did.
func (ru *run) finish(ctx context.Context, t *desired.Tenant, tr *TenantResult, start time.Time) {
	if ru.store == nil || ru.id == 0 {
		return
	}
	// A tenant whose slug is not valid is never recorded: it may be
	// anything, and it is not a tenant landlord manages.
	if !validSlug(t.Slug) {
		return
	}
	if ru.unrecorded.Load() != nil && tr.Applied == 0 {
		// The landlord database failed to record a plan in this run, and
		// this tenant changed nothing: its record would wait for the
		// landlord database as the plan's did. The next run records it.
		return
	}
	if tr.interrupted {
		ru.recordTenantRun(ctx, t, tr, start)
		return
	}
	rec := ru.record(t)
	now := time.Now().UTC()
	rec.LastRunID = ru.id
	if tr.Action != ActionSuspended && tr.Action != ActionPinned && tr.Action != ActionDecommissioning && tr.Action != ActionDropped {
		rec.LastAttemptedRevision = ru.revision
	}
	if tr.DesiredHash != "" {
		rec.DesiredHash = tr.DesiredHash
	}
	if tr.LiveHash != "" {
		rec.LiveHash = tr.LiveHash
	}
	rec.LastError = tr.Error
	switch tr.Action {
	case ActionCreate, ActionUpdate, ActionNoop:
		rec.Sync, rec.Health = state.Synced, state.Healthy
		if leftDrift(tr.Drift) {
			// The revision is applied, but drift the policy reports and
			// leaves keeps live from desired: out of sync until repaired
			// or adopted.
			rec.Sync = state.OutOfSync
		}
		rec.LastAppliedRevision = ru.revision
		rec.LastSyncedAt = &now
		// landlord applied the tenant's schema to this database: it
		// manages it (and may drop it once the tenant is decommissioned).
		rec.ManagedServer, rec.ManagedDatabase = t.Server, t.Database
		// A creation that spanned runs (the first was killed after
		// CREATE DATABASE, or after its last statement) is an update or
		// a no-op in the next: the database exists from then on, as far
		// as landlord knows.
		if rec.DatabaseCreatedAt == nil {
			rec.DatabaseCreatedAt = &now
		}
		if ru.mode == modeRollback && ru.pin != nil {
			pin := *ru.pin
			pin.Tenant, pin.RunID, pin.Actor = t.Slug, ru.id, ru.opts.Actor
			if err := ru.store.SetPin(ctx, pin); err != nil {
				ru.log.Error("pin tenant", "tenant", t.Slug, "run_id", ru.id, "err", err)
				rec.LastError = "the rollback applied but the pin was not recorded: " + err.Error()
			} else {
				rec.Sync = state.Pinned
			}
		}
	case ActionPinned:
		rec.Sync = state.Pinned
	case ActionBlocked:
		rec.Sync, rec.Health = state.OutOfSync, state.Healthy
	case ActionSuspended:
		rec.Health = state.SuspendedHealth
	case ActionDecommissioning:
		rec.Health = state.Decommissioning
		rec.LastError = ""
	case ActionDropped:
		rec.Sync, rec.Health, rec.LastError = state.Unknown, state.Missing, ""
	case ActionError:
		rec.Sync = state.Unknown
		if tr.Applied > 0 || rec.Health == state.Progressing {
			rec.Sync = state.OutOfSync
		}
		switch {
		case rec.Health == state.Missing || rec.Health == "":
			rec.Health = state.Missing
		default:
			rec.Health = state.Degraded
		}
	}
	ru.mu.Lock()
	ru.records[t.Slug] = rec
	ru.mu.Unlock()
	if tr.fast && ru.recordNoop(ctx, rec, ru.tenantRun(t, tr, start)) {
		return
	}
	if bs, ok := ru.store.(batchStore); ok {
		// The record and what the run did, in one transaction.
		if err := bs.SaveTenantRuns(ctx, []state.Tenant{rec}, []state.TenantRun{ru.tenantRun(t, tr, start)}); err != nil {
			ru.log.Error("record tenant", "tenant", t.Slug, "run_id", ru.id, "err", err)
		}
		return
	}
	if err := ru.store.SaveTenant(ctx, rec); err != nil {
		ru.log.Error("record tenant", "tenant", t.Slug, "run_id", ru.id, "err", err)
	}
	ru.recordTenantRun(ctx, t, tr, start)
}

// leftDrift reports whether a reconcile left drift in place.
func leftDrift(ds []DriftFinding) bool {
	for _, d := range ds {
		if d.Action == DriftLeft {
			return true
		}
	}
	return false
}

// recordTenantRun records what the run did to the tenant.
func (ru *run) recordTenantRun(ctx context.Context, t *desired.Tenant, tr *TenantResult, start time.Time) {
	if err := ru.store.RecordTenantRun(ctx, ru.tenantRun(t, tr, start)); err != nil {
		ru.log.Error("record tenant run", "tenant", t.Slug, "run_id", ru.id, "err", err)
	}
}

// tenantRun is what the run did to the tenant, as the landlord database
// records it.
func (ru *run) tenantRun(t *desired.Tenant, tr *TenantResult, start time.Time) state.TenantRun {
	outcome := state.OutcomeSucceeded
	switch tr.Action {
	case ActionError:
		outcome = state.OutcomeFailed
	case ActionBlocked:
		outcome = state.OutcomeBlocked
	case ActionSuspended, ActionPinned, ActionDecommissioning:
		outcome = state.OutcomeSkipped
	}
	return state.TenantRun{RunID: ru.id, Tenant: t.Slug, Revision: ru.revision, Action: string(tr.Action),
		Outcome: outcome, Statements: tr.Applied, Error: tr.Error, StartedAt: start, FinishedAt: time.Now()}
}

func validSlug(s string) bool {
	if len(s) < 2 || len(s) > 63 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
