package reconciler

import (
	"context"
	"fmt"
	"strings"

	"github.com/landlord/landlord/desired"
)

// verify re-inspects the tenant after an apply: nothing may remain to plan
// and the live hash must equal the desired hash. A no-op was planned under
// the lock from this very inspection: there is nothing to re-read. Drift
// the policy leaves alone stays, so it is left out of the check, and the
// live hash cannot equal the desired one. It sets tr.LiveHash and obs.live
// to what it verified.
func (ru *run) verify(ctx context.Context, t *desired.Tenant, obs *observation, dec *decision, tr *TenantResult) error {
	if tr.Action != ActionNoop {
		live, err := obs.target.Inspect(ctx)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		obs.live = live.Without(obs.ignore)
		after, err := obs.target.PlanLeaving(ctx, obs.live, obs.desired, dec.leave)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if !after.Empty() {
			return fmt.Errorf("verify: %d statements still pending after apply, first: %s", len(after.Statements), firstLine(after.Statements[0].SQL))
		}
	}
	if tr.Action == ActionNoop && dec.liveHash != "" {
		// The schema compute hashed is the one verified.
		tr.LiveHash = dec.liveHash
	} else {
		var err error
		if tr.LiveHash, err = obs.live.Hash(); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
	}
	if tr.LiveHash != tr.DesiredHash && len(dec.leave) == 0 {
		if tr.Action != ActionNoop {
			return fmt.Errorf("verify: live schema hash %.12s differs from desired hash %.12s", tr.LiveHash, tr.DesiredHash)
		}
		// The diff is authoritative; a hash that disagrees means the
		// database was created with other server defaults.
		ru.log.Warn("live hash differs from desired hash with no changes pending", "tenant", t.Slug, "live_hash", tr.LiveHash, "desired_hash", tr.DesiredHash)
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 160 {
		l = l[:160] + "…"
	}
	return l
}
