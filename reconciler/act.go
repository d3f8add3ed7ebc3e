package reconciler

import (
	"context"
	"errors"
	"fmt"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// act applies the tenant's plan under its lock: the tenant is recorded as
// progressing, every statement pending, then each applied or failed as it
// runs; statements after a failure are recorded as skipped. ctx must not
// be cancellable: an apply runs to its end.
func (ru *run) act(ctx context.Context, t *desired.Tenant, target *schema.Target, p *schema.Plan, tr *TenantResult) error {
	// Nothing runs that the landlord database has not recorded: a plan
	// applied without its statements would leave a ledger that says
	// nothing happened.
	if first := ru.unrecorded.Load(); first != nil {
		return &unrecordedError{fmt.Errorf("it failed earlier in this run: %w", *first)}
	}
	if err := ru.progressing(ctx, t); err != nil {
		ru.unrecorded.CompareAndSwap(nil, &err)
		return &unrecordedError{err}
	}
	ids, err := ru.recordPlanned(ctx, t, p, state.StatementPending)
	if err != nil {
		ru.unrecorded.CompareAndSwap(nil, &err)
		return &unrecordedError{err}
	}
	tr.acting = true
	if ru.opts.Acting != nil {
		ru.opts.Acting(*tr)
	}
	// What destructive statements destroy is backed up first; without
	// the backup none of the plan runs.
	if m, err := ru.backupBeforeLoss(ctx, t, target, p, ids); err != nil {
		if ids != nil {
			ru.store.SetStatementsStatus(context.WithoutCancel(ctx), ru.id, t.Slug, state.StatementPending, state.StatementSkipped)
		}
		return fmt.Errorf("backup before destructive statements: %w", err)
	} else if m != nil {
		tr.Backup = m.ID
	}
	finished := 0 // statements recorded applied, failed or refused
	err = target.Apply(ctx, p, func(r schema.StatementResult) {
		tr.Applied += boolInt(r.Err == nil)
		if ids == nil {
			return
		}
		status, msg := state.StatementApplied, ""
		var refused *schema.RefusedError
		switch {
		case errors.As(r.Err, &refused):
			status, msg = state.StatementRefused, redact.Text(r.Err.Error())
			ru.log.Error("statement refused", "tenant", t.Slug, "run_id", ru.id, "err", redact.Text(refused.Reason))
		case r.Err != nil:
			status, msg = state.StatementFailed, redact.Text(r.Err.Error())
			if cause := context.Cause(ctx); errors.Is(cause, ErrAborted) {
				msg = "aborted on interrupt, killed on the server: " + msg
			}
		}
		// Record even when the apply was aborted.
		if err := ru.store.FinishStatement(context.WithoutCancel(ctx), ids[r.Index], status, r.Duration, msg); err != nil {
			ru.log.Error("record statement", "tenant", t.Slug, "run_id", ru.id, "err", err)
		} else {
			finished++
		}
	})
	// Statements still pending did not run: skipped.
	if ids != nil && finished < len(ids) {
		ru.store.SetStatementsStatus(context.WithoutCancel(ctx), ru.id, t.Slug, state.StatementPending, state.StatementSkipped)
	}
	if err != nil {
		if p.Create && ru.repo.Config.Database.CleanupOnFailure {
			ru.cleanupFailedCreate(ctx, t, target, tr)
		}
		if cause := context.Cause(ctx); errors.Is(cause, ErrAborted) {
			return fmt.Errorf("apply: %w (%v)", cause, err)
		}
		return fmt.Errorf("apply: %w", err)
	}
	return nil
}

// unrecordedError is why a plan did not run: the landlord database did
// not record it. The tenant is tried again on the next reconcile.
type unrecordedError struct{ err error }

func (e *unrecordedError) Error() string {
	return "not applied: the landlord database did not record the plan: " + e.err.Error()
}

func (e *unrecordedError) Unwrap() error { return e.err }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
