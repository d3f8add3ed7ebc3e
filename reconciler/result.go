package reconciler

import (
	"time"

	"github.com/landlord/landlord/refdata"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// Action is what a reconcile does, or would do, to a tenant.
type Action string

// The actions.
const (
	ActionCreate    Action = "create"
	ActionUpdate    Action = "update"
	ActionNoop      Action = "noop"
	ActionBlocked   Action = "blocked"
	ActionError     Action = "error"
	ActionSuspended Action = "suspended"
	// ActionDecommissioning: a decommissioned tenant's database is held
	// (final backup taken) until its drop date, or for good.
	ActionDecommissioning Action = "decommissioning"
	// ActionDropped: a decommissioned tenant's database was dropped after
	// its hold.
	ActionDropped Action = "dropped"
	// ActionPinned: a rollback pinned the tenant; reconciles leave it.
	ActionPinned Action = "pinned"
)

// Result is the outcome of one reconcile.
type Result struct {
	RunID    int64
	Revision string
	Plan     bool
	// Against is what the plans start from: AgainstLive or AgainstState.
	Against string
	Tenants []TenantResult
	Counts  state.Counts
	// Applied is the number of statements applied.
	Applied int
	// Composed is the number of desired schemas composed: one per distinct
	// layer set (and engine), shared by every tenant that has it.
	Composed int
	Warnings []string
	Duration time.Duration
}

// Report is the JSON of a reconcile: what `landlord reconcile --output
// json` prints and what the API's POST /api/v1/reconcile answers, one
// contract for both (docs/cli.md, "JSON").
type Report struct {
	Revision string `json:"revision"`
	Plan     bool   `json:"plan"`
	// Against is set for a plan: AgainstLive or AgainstState.
	Against    string         `json:"against,omitempty"`
	RunID      int64          `json:"run_id,omitempty"`
	Counts     state.Counts   `json:"counts"`
	Applied    int            `json:"statements_applied"`
	DurationMS int64          `json:"duration_ms"`
	Tenants    []TenantResult `json:"tenants"`
	Warnings   []string       `json:"warnings,omitempty"`
}

// Report returns the JSON form of the result: lists empty, never null.
func (r *Result) Report() Report {
	out := Report{Revision: r.Revision, Plan: r.Plan, RunID: r.RunID, Counts: r.Counts, Applied: r.Applied,
		DurationMS: r.Duration.Milliseconds(), Tenants: r.Tenants, Warnings: r.Warnings}
	if r.Plan {
		out.Against = r.Against
	}
	if out.Tenants == nil {
		out.Tenants = []TenantResult{}
	}
	out.Tenants = append([]TenantResult(nil), out.Tenants...)
	for i := range out.Tenants {
		if out.Tenants[i].Changes == nil {
			out.Tenants[i].Changes = []Change{}
		}
	}
	return out
}

// Failed reports whether any tenant failed or was blocked.
func (r *Result) Failed() bool { return r.Counts.Failed > 0 || r.Counts.Blocked > 0 }

// Changed reports whether any tenant has (or had) changes.
func (r *Result) Changed() bool {
	for _, t := range r.Tenants {
		if len(t.Changes) > 0 {
			return true
		}
	}
	return false
}

// TenantResult is what a reconcile did, or would do, to one tenant.
type TenantResult struct {
	Slug   string `json:"slug"`
	Server string `json:"server"`
	// Engine is the engine of the tenant's server, as landlord.yaml
	// declares it or its URL names it: what the statements are written for.
	Engine   string   `json:"engine,omitempty"`
	Database string   `json:"database"`
	Action   Action   `json:"action"`
	Changes  []Change `json:"changes"`
	// Data counts the rows the changes insert, update and delete, per
	// table, with the first rows of each kind.
	Data  []refdata.TableChanges `json:"data,omitempty"`
	Error string                 `json:"error,omitempty"`
	// PinnedTo is the revision a pinned tenant is held at.
	PinnedTo string `json:"pinned_to,omitempty"`
	// Drift is how the live schema differed from the tenant's baseline
	// snapshot before the reconcile acted, each object with what the
	// reconcile did about it.
	Drift []DriftFinding `json:"drift,omitempty"`
	// Snapshot is the snapshot a plan against the landlord database
	// starts from; nil there when the tenant has none (planned as new).
	Snapshot *SnapshotRef `json:"snapshot,omitempty"`
	// Warnings say what may make the plan differ from what an apply
	// would do.
	Warnings []string `json:"warnings,omitempty"`
	// Backup is the backup taken before the apply's destructive
	// statements: it holds what they destroyed.
	Backup string `json:"backup,omitempty"`

	// Applied statements, for an apply.
	Applied     int           `json:"-"`
	DesiredHash string        `json:"-"`
	LiveHash    string        `json:"-"`
	Duration    time.Duration `json:"-"`
	// Class of the error, for retries (serve).
	Class Class `json:"-"`
	// Unreachable: the tenant failed because its server could not be
	// reached; it waits for the server rather than a retry backoff.
	Unreachable bool `json:"-"`
	// ServerFailed is set when Error is a failure of the tenant's whole
	// server (a *ServerError): every tenant on it has the same one.
	ServerFailed bool `json:"-"`

	// interrupted: the reconcile was cancelled before it changed anything;
	// the tenant's recorded status stays as it was. acting: the apply began.
	interrupted, acting bool
	// fast: a no-op by the tenant's fingerprint (its records are
	// written with the run's other such tenants, in one transaction).
	fast bool
	// alike: changed and verified by the fingerprint of a tenant the run
	// changed to the same schema and verified by inspection.
	alike bool
	// alikeTables: verified so by the fingerprint of the tables its plan
	// changed (verifiedTouched).
	alikeTables bool
	// observedAlike: planned from the live schema of a tenant of the same
	// fingerprint and baseline, inspected in this run (liveAlike).
	observedAlike bool
}

// Change is one planned statement with its provenance.
type Change struct {
	SQL   string `json:"sql"`
	Layer string `json:"layer"`
	File  string `json:"file"`
	Line  int    `json:"line,omitempty"`
	// Revision is set when the statement drops what the desired schema no
	// longer declares: the earlier revision where Layer, File and Line
	// declared it (the file whose change removed it).
	Revision    string   `json:"revision,omitempty"`
	Destructive bool     `json:"destructive"`
	Reasons     []string `json:"reasons,omitempty"`
}

// SnapshotRef names the snapshot a plan is based on.
type SnapshotRef struct {
	ID        int64     `json:"id"`
	RunID     int64     `json:"run_id,omitempty"`
	Revision  string    `json:"revision"`
	CreatedAt time.Time `json:"created_at"`
}

func changes(p *schema.Plan) []Change {
	out := make([]Change, len(p.Statements))
	for i, s := range p.Statements {
		out[i] = Change{SQL: s.SQL, Layer: s.Layer, File: s.File, Line: s.Line, Revision: s.Revision, Destructive: s.Destructive, Reasons: s.Reasons}
	}
	return out
}
