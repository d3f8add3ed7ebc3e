package reconciler

import (
	"time"

	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// Actions: what a reconcile does, or would do, to a tenant.
const (
	ActionCreate    = "create"
	ActionUpdate    = "update"
	ActionNoop      = "noop"
	ActionBlocked   = "blocked"
	ActionError     = "error"
	ActionSuspended = "suspended"
	// ActionDecommissioning: a decommissioned tenant's database is held
	// (final backup taken) until its drop date, or for good.
	ActionDecommissioning = "decommissioning"
	// ActionDropped: a decommissioned tenant's database was dropped after
	// its hold.
	ActionDropped = "dropped"
	// ActionPinned: a rollback pinned the tenant; reconciles leave it.
	ActionPinned = "pinned"
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
	Slug     string   `json:"slug"`
	Server   string   `json:"server"`
	Database string   `json:"database"`
	Action   string   `json:"action"`
	Changes  []Change `json:"changes"`
	Error    string   `json:"error,omitempty"`
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

	// interrupted: the reconcile was cancelled before it changed anything;
	// the tenant's recorded status stays as it was. acting: the apply began.
	interrupted, acting bool
}

// Change is one planned statement with its provenance.
type Change struct {
	SQL         string   `json:"sql"`
	Layer       string   `json:"layer"`
	File        string   `json:"file"`
	Line        int      `json:"line,omitempty"`
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
		out[i] = Change{SQL: s.SQL, Layer: s.Layer, File: s.File, Line: s.Line, Destructive: s.Destructive, Reasons: s.Reasons}
	}
	return out
}
