package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/reconciler"
)

// tenantOpFlags are the flags of repair and rollback.
type tenantOpFlags struct {
	repoFlags
	state            string
	plan             bool
	allowDestructive bool
	lockTimeout      time.Duration
	output           string
}

func (f *tenantOpFlags) register(cmd *cobra.Command) {
	f.repoFlags.register(cmd)
	stateFlag(cmd, &f.state)
	cmd.Flags().BoolVar(&f.plan, "plan", false, "show the plan, change nothing")
	cmd.Flags().BoolVar(&f.allowDestructive, "allow-destructive", false, "apply destructive statements (drops, narrowing type changes)")
	cmd.Flags().DurationVar(&f.lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for another apply to the tenant")
	outputFlag(cmd, &f.output, "text", "json")
}

func (f *tenantOpFlags) options(tenant string) reconciler.TenantOptions {
	return reconciler.TenantOptions{Tenant: tenant, Plan: f.plan, AllowDestructive: f.allowDestructive, LockWait: f.lockTimeout, Actor: actor()}
}

// report prints the result of a repair or rollback and maps it to the exit
// code: 1 when the tenant failed or was blocked.
func (f *tenantOpFlags) report(g *globals, res *reconciler.Result) error {
	if f.output == "json" {
		if err := writeJSON(g.stdout, resultJSON(res)); err != nil {
			return err
		}
	} else {
		if !res.Plan {
			// What was applied, statement by statement (writeResult lists
			// the statements of plans only).
			for _, t := range res.Tenants {
				if len(t.Changes) > 0 {
					fmt.Fprintf(g.stdout, "%s %s (%s on %s): %d statement(s)\n", t.Action, t.Slug, t.Database, t.Server, len(t.Changes))
					writeChanges(g.stdout, t.Changes)
					fmt.Fprintln(g.stdout)
				}
			}
		}
		writeResult(g.stdout, res)
	}
	if res.Failed() {
		return &exitError{code: 1}
	}
	return nil
}

func newRepair(g *globals) *cobra.Command {
	f := &tenantOpFlags{}
	cmd := &cobra.Command{
		Use:   "repair TENANT",
		Short: "Restore a tenant's desired schema, drift included",
		Long: `repair plans TENANT from its live schema to the repository's desired schema,
whatever its drift policy: drift is restored like any other difference.
With --plan it only shows the plan; otherwise it applies it under the same
rules as reconcile (destructive statements need --allow-destructive or the
tenant's policy) and records a run with trigger repair. A pinned tenant is
not repaired: unpin it first.

Exit codes: 0 repaired (or nothing to do), 1 an error, or blocked.`,
		Args: positional("TENANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(f.output, "text", "json"); err != nil {
				return err
			}
			rec, st, repo, err := openReconciler(cmd, g, &f.repoFlags, f.state)
			if err != nil {
				return err
			}
			defer st.Close()
			defer rec.Close()
			res, err := rec.Repair(cmd.Context(), repo, f.options(args[0]))
			if err != nil {
				return err
			}
			return f.report(g, res)
		},
	}
	f.register(cmd)
	return cmd
}

func newRollback(g *globals) *cobra.Command {
	f := &tenantOpFlags{}
	var to string
	cmd := &cobra.Command{
		Use:   "rollback TENANT --to REVISION|RUN_ID",
		Short: "Apply an earlier revision (or a run's snapshot) to a tenant and pin it there",
		Long: `rollback applies to TENANT the desired schema of an earlier revision of the
repository (--to a commit, branch or tag, read from --repo), or the snapshot
of TENANT that a run recorded (--to a run id: a number that names a run is a
run). Destructive statements need --allow-destructive or the tenant's policy.
The tenant is then pinned: reconcile leaves it alone (status Pinned, with the
revision) until landlord unpin TENANT. Recorded as a run with trigger
rollback. The tenant keeps the server and database of its current manifest.

Exit codes: 0 rolled back (or nothing to do), 1 an error, or blocked.`,
		Args: positional("TENANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(f.output, "text", "json"); err != nil {
				return err
			}
			if to == "" {
				return fmt.Errorf("--to is required: a revision or a run id")
			}
			rec, st, repo, err := openReconciler(cmd, g, &f.repoFlags, f.state)
			if err != nil {
				return err
			}
			defer st.Close()
			defer rec.Close()
			load := func(_ context.Context, ref string) (*desired.Repo, error) { return f.loadAt(cmd, ref) }
			res, err := rec.Rollback(cmd.Context(), repo, reconciler.RollbackOptions{TenantOptions: f.options(args[0]), To: to, Load: load})
			if err != nil {
				return err
			}
			return f.report(g, res)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&to, "to", "", "the revision (commit, branch, tag) or run id to roll back to")
	return cmd
}

func newUnpin(g *globals) *cobra.Command {
	var dsn string
	cmd := &cobra.Command{
		Use:   "unpin TENANT",
		Short: "Release a tenant pinned by a rollback",
		Long: `unpin releases TENANT: the next reconcile brings it to the repository's
desired schema again.`,
		Args: positional("TENANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			st, err := openExisting(cmd, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			rec := reconciler.New(st, log)
			defer rec.Close()
			pin, err := rec.Unpin(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s unpinned (was pinned to %s); the next reconcile brings it to the repository's revision\n", args[0], shortRevision(pin.Revision))
			return nil
		},
	}
	stateFlag(cmd, &dsn)
	return cmd
}
