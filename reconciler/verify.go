package reconciler

import (
	"context"
	"fmt"
	"strings"

	"github.com/landlord/landlord/desired"
)

// verify re-inspects the tenant after an apply: nothing may remain to plan
// and the live hash must equal the desired hash. A no-op was planned under
// the lock from this very inspection, or from that of a tenant alike
// (liveAlike), which the tenant's own fingerprint showed to be its schema,
// as it shows a fast no-op's: there is nothing to re-read. Drift
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
		return ru.explainHash(ctx, t, obs, tr)
	}
	return nil
}

// explainHash compares the live schema with the desired one as the server
// has it (the scratch database of the desired hash), table by table as
// SHOW CREATE TABLE shows them: the second line of defence behind the
// plan. A managed attribute that differs fails the verify, naming it with
// both values; attributes landlord does not manage are warnings.
func (ru *run) explainHash(ctx context.Context, t *desired.Tenant, obs *observation, tr *TenantResult) error {
	want, err := obs.srv.DesiredLive(ctx, obs.desired)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	diffs, err := obs.target.Compare(ctx, want.Without(obs.ignore), obs.live)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var managed []string
	for _, d := range diffs {
		what := fmt.Sprintf("%s %s: %s", d.Object, d.Change, d.Detail)
		if d.Unmanaged {
			tr.Warnings = append(tr.Warnings, "not managed, differs from git: "+what)
			continue
		}
		managed = append(managed, what)
	}
	switch {
	case len(managed) > 0:
		return fmt.Errorf("verify: the live schema differs from git where no statement was planned: %s", strings.Join(managed, "; "))
	case len(diffs) == 0:
		// The diff is authoritative; a hash that disagrees means the
		// database was created with other server defaults.
		ru.log.Warn("live hash differs from desired hash with no difference found", "tenant", t.Slug, "live_hash", tr.LiveHash, "desired_hash", tr.DesiredHash)
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
