package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/reconciler"
)

type diffFlags struct {
	repoFlags
	base     string
	head     string
	detailed bool
	output   string
}

func newDiff(g *globals) *cobra.Command {
	f := &diffFlags{}
	cmd := &cobra.Command{
		Use:   "diff --base REF [--head REF]",
		Short: "Show which tenants' desired schemas differ between two git revisions, and how",
		Long: `diff compares two revisions of the desired-state repository without any
database: for every tenant in either revision it composes both desired
schemas for the engine of the tenant's server and plans, offline, the
statements from base to head. Tenants only in head are added (their
databases would be created), tenants only in base are removed (their
databases are never dropped); a tenant whose manifest is gone while a new
slug names the same database on the same server is renamed. --head defaults
to the files on disk.

Exit codes: 0 compared; 1 an error, or a tenant of head is invalid;
with --detailed-exitcode: 0 no differences, 2 differences.`,
		Args: none,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(f.output, "text", "json"); err != nil {
				return err
			}
			if f.base == "" {
				return fmt.Errorf("--base is required: a branch, tag or commit")
			}
			base, err := f.loadAt(cmd, f.base)
			if err != nil {
				return fmt.Errorf("base %s: %w", f.base, err)
			}
			head, err := f.loadAt(cmd, f.head)
			if err != nil {
				return fmt.Errorf("head: %w", err)
			}
			res, err := reconciler.Diff(cmd.Context(), base, head)
			if err != nil {
				return err
			}
			if f.output == "json" {
				if err := writeJSON(g.stdout, res); err != nil {
					return err
				}
			} else {
				writeDiff(g.stdout, res)
			}
			switch {
			case res.Invalid():
				return &exitError{code: 1}
			case f.detailed && res.Differs():
				return &exitError{code: 2}
			}
			return nil
		},
	}
	f.repoFlags.register(cmd)
	cmd.Flags().Lookup("ref").Hidden = true
	cmd.Flags().StringVar(&f.base, "base", "", "the revision to compare from: branch, tag or commit")
	cmd.Flags().StringVar(&f.head, "head", "", "the revision to compare to (default: the files on disk)")
	cmd.Flags().BoolVar(&f.detailed, "detailed-exitcode", false, "exit 2 when tenants differ, 0 when none")
	outputFlag(cmd, &f.output, "text", "json")
	return cmd
}

// writeDiff prints a revision diff: tenants with the same change grouped,
// then unchanged tenants and the counts.
func writeDiff(w io.Writer, res *reconciler.DiffResult) {
	w = printable.Writer(w)
	fmt.Fprintf(w, "diff %s → %s\n\n", shortRevision(res.Base), shortRevision(res.Head))
	as := make([]reconciler.TenantResult, len(res.Tenants))
	for i, t := range res.Tenants {
		as[i] = reconciler.TenantResult{Slug: t.Slug, Server: t.Server, Engine: t.Engine, Database: t.Database, Action: reconciler.Action(t.Status), Changes: t.Changes}
	}
	grouped := map[string]bool{}
	for _, g := range reconciler.GroupPlans(as) {
		fmt.Fprintf(w, "%s %s: %d statement(s)\n", g.Action, strings.Join(tenantNames(g), ", "), len(g.Changes))
		for _, t := range g.Tenants {
			grouped[t.Slug] = true
		}
		writeDiffNotes(w, res, g.Slugs())
		writeChanges(w, g.Changes)
		fmt.Fprintln(w)
	}
	var unchanged []string
	for _, t := range res.Tenants {
		switch {
		case grouped[t.Slug]:
		case t.Status == reconciler.DiffUnchanged:
			unchanged = append(unchanged, t.Slug)
		default:
			fmt.Fprintf(w, "%s %s (%s on %s)\n", t.Status, t.Slug, t.Database, t.Server)
			writeDiffNotes(w, res, []string{t.Slug})
			if t.Error != "" {
				fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(printable.Lines(t.Error), "\n", "\n  "))
			}
			fmt.Fprintln(w)
		}
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(w, "unchanged: %s\n\n", strings.Join(unchanged, ", "))
	}
	c := res.Counts
	fmt.Fprintf(w, "%d added, %d removed, %d renamed, %d moved, %d changed, %d unchanged, %d invalid\n",
		c[reconciler.DiffAdded], c[reconciler.DiffRemoved], c[reconciler.DiffRenamed], c[reconciler.DiffMoved],
		c[reconciler.DiffChanged], c[reconciler.DiffUnchanged], c[reconciler.DiffInvalid])
}

func writeDiffNotes(w io.Writer, res *reconciler.DiffResult, slugs []string) {
	for _, t := range res.Tenants {
		if !slices.Contains(slugs, t.Slug) {
			continue
		}
		if t.RenamedFrom != "" {
			fmt.Fprintf(w, "  %s: renamed from %s\n", t.Slug, t.RenamedFrom)
		}
		for _, n := range t.Notes {
			fmt.Fprintf(w, "  %s: %s\n", t.Slug, n)
		}
	}
}
