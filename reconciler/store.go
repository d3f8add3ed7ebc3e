package reconciler

import (
	"context"
	"time"

	"github.com/landlord/landlord/state"
)

// SnapshotSource is where plans against the landlord database read each
// tenant's last recorded schema and status.
type SnapshotSource interface {
	// LatestSnapshot returns the tenant's newest snapshot with its HCL; ok
	// is false when it has none.
	LatestSnapshot(ctx context.Context, tenant string) (snap state.Snapshot, ok bool, err error)
	// Tenant returns the tenant's record; ok is false when there is none.
	Tenant(ctx context.Context, slug string) (t state.Tenant, ok bool, err error)
}

// Store is what the reconciler records into: the landlord database.
type Store interface {
	StartRun(ctx context.Context, trigger, actor, revision string) (int64, error)
	FinishRun(ctx context.Context, id int64, outcome state.Outcome, c state.Counts, applied int, runErr string) error
	Tenants(ctx context.Context) ([]state.Tenant, error)
	SaveTenant(ctx context.Context, t state.Tenant) error
	MarkRemoved(ctx context.Context, keep []string) error
	RecordTenantRun(ctx context.Context, tr state.TenantRun) error
	AddStatements(ctx context.Context, sts []state.Statement) error
	FinishStatement(ctx context.Context, id int64, status string, d time.Duration, errText string) error
	SetStatementsStatus(ctx context.Context, runID int64, tenant, from, to string) error
	AddSnapshot(ctx context.Context, snap state.Snapshot) (int64, error)
	LatestSnapshotHashes(ctx context.Context) (map[string]string, error)
	PruneSnapshots(ctx context.Context, tenant string, r state.Retention) (int, error)
	Baseline(ctx context.Context, tenant string) (state.Snapshot, bool, error)
	BaselineInfo(ctx context.Context, tenant string) (state.Snapshot, bool, error)
	RecordDrift(ctx context.Context, tenant string, found []state.Drift, runID int64) ([]state.Drift, error)
	DriftSummaries(ctx context.Context) (map[string]state.DriftSummary, error)
	Pins(ctx context.Context) (map[string]state.Pin, error)
	SetPin(ctx context.Context, p state.Pin) error
	Unpin(ctx context.Context, tenant string) (bool, error)
	Tenant(ctx context.Context, slug string) (state.Tenant, bool, error)
	GetRun(ctx context.Context, id int64) (state.Run, bool, error)
	RunSnapshot(ctx context.Context, tenant string, runID int64) (state.Snapshot, bool, error)
	GetSnapshot(ctx context.Context, tenant string, id int64) (state.Snapshot, bool, error)
}
