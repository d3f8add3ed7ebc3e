package reconciler

import (
	"fmt"
	"strings"

	"github.com/landlord/landlord/desired"
)

// decide sets the action and changes of a planned tenant.
func (ru *run) decide(t *desired.Tenant, dec *decision, tr *TenantResult) {
	p := dec.plan
	tr.Changes = changes(p)
	tr.Data = dec.dataChanges
	tr.Drift = dec.drift
	switch {
	case p.Empty():
		tr.Action = ActionNoop
	case dec.foreign != "":
		tr.Action, tr.Class = ActionBlocked, Stalled
		tr.Error = "blocked: " + dec.foreign
		notRestored(tr)
	case len(p.Destructive()) > 0 && !(t.AllowDestructive || ru.opts.AllowDestructive):
		tr.Action, tr.Class = ActionBlocked, Stalled
		var what []string
		for _, s := range p.Destructive() {
			what = append(what, s.Reasons...)
		}
		tr.Error = fmt.Sprintf("blocked: %d destructive statement(s) (%s); allow with --allow-destructive or policy.allowDestructive", len(p.Destructive()), strings.Join(what, "; "))
		notRestored(tr)
	case p.Create:
		tr.Action = ActionCreate
	default:
		tr.Action = ActionUpdate
	}
}

// notRestored marks the drift a plan would have restored as not restored:
// the plan was blocked, or it failed.
func notRestored(tr *TenantResult) {
	for i := range tr.Drift {
		if tr.Drift[i].Action == DriftRestored {
			tr.Drift[i].Action = DriftNotRestored
		}
	}
}
