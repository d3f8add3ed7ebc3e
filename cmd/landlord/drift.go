package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/state"
)

type driftFlags struct {
	repoFlags
	state       string
	tenants     []string
	concurrency int
	lockTimeout time.Duration
	output      string
}

func newDrift(g *globals) *cobra.Command {
	f := &driftFlags{}
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Compare each tenant's live schema with its last snapshot and record the drift",
		Long: `drift inspects each tenant (or those named with --tenant) and compares its live
schema with its baseline: the snapshot recorded after its last apply. Every
table, column, index, foreign key and check added, removed or modified is a
finding with a severity (low: an index added; medium: a table, column, key
or check added, a column modified without loss; high: anything removed, a
type narrowed), recorded in the landlord database: seen again it updates its
record, gone it is resolved. Nothing in a tenant database changes.

Exit codes: 0 no drift, 2 drift found, 1 an error (a tenant could not be
checked).`,
		Args: none,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDrift(cmd, g, f) },
	}
	f.repoFlags.register(cmd)
	stateFlag(cmd, &f.state)
	cmd.Flags().StringArrayVar(&f.tenants, "tenant", nil, "check only this tenant (repeatable)")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 4, "tenants checked at once (each server also has its own limit)")
	cmd.Flags().DurationVar(&f.lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for an apply to the same tenant")
	outputFlag(cmd, &f.output, "text", "json")
	cmd.AddCommand(newDriftExport(g))
	return cmd
}

func runDrift(cmd *cobra.Command, g *globals, f *driftFlags) error {
	if err := checkOutput(f.output, "text", "json"); err != nil {
		return err
	}
	if f.concurrency < 1 {
		return fmt.Errorf("--concurrency %d: must be at least 1", f.concurrency)
	}
	rec, st, repo, err := openReconciler(cmd, g, &f.repoFlags, f.state)
	if err != nil {
		return err
	}
	defer st.Close()
	defer rec.Close()
	res, err := rec.Drift(cmd.Context(), repo, reconciler.DriftOptions{Tenants: f.tenants, Concurrency: f.concurrency, LockWait: f.lockTimeout})
	if err != nil {
		return err
	}
	if f.output == "json" {
		type tenantJSON struct {
			reconciler.TenantDrift
			DurationMS float64 `json:"duration_ms"`
		}
		out := struct {
			Revision   string                 `json:"revision"`
			Counts     reconciler.DriftCounts `json:"counts"`
			Tenants    []tenantJSON           `json:"tenants"`
			DurationMS float64                `json:"duration_ms"`
		}{Revision: res.Revision, Counts: res.Counts, Tenants: []tenantJSON{}, DurationMS: ms(res.Duration)}
		for _, t := range res.Tenants {
			out.Tenants = append(out.Tenants, tenantJSON{TenantDrift: t, DurationMS: ms(t.Duration)})
		}
		if err := writeJSON(g.stdout, out); err != nil {
			return err
		}
	} else {
		writeDrift(g.stdout, res)
	}
	switch {
	case res.Failed():
		return &exitError{code: 1}
	case res.Found():
		return &exitError{code: 2}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// writeDrift prints a drift check for people; names of the live databases
// are printed escaped (see writeResult).
func writeDrift(w io.Writer, res *reconciler.DriftResult) {
	w = printable.Writer(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tDATABASE\tSTATUS\tFINDINGS\tHIGHEST\tBASELINE")
	for _, t := range res.Tenants {
		var highest state.Severity
		for _, d := range t.Drift {
			if state.SeverityRank(d.Severity) > state.SeverityRank(highest) {
				highest = d.Severity
			}
		}
		base := "-"
		if t.Baseline != nil {
			base = fmt.Sprintf("snapshot %d (%s, %s)", t.Baseline.SnapshotID, shortRevision(t.Baseline.Revision), t.Baseline.TakenAt.Local().Format(time.DateTime))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", t.Slug, t.Database, t.Status, len(t.Drift), orDash(string(highest)), base)
	}
	tw.Flush()
	// A server that fails fails each of its tenants the same way: once.
	var serverErrs []string
	onServer := map[string][]string{}
	for _, t := range res.Tenants {
		if t.ServerFailed {
			if _, ok := onServer[t.Error]; !ok {
				serverErrs = append(serverErrs, t.Error)
			}
			onServer[t.Error] = append(onServer[t.Error], t.Slug)
		}
	}
	for _, e := range serverErrs {
		fmt.Fprintf(w, "\n%s (%d tenant(s): %s)\n", printable.Lines(e), len(onServer[e]), strings.Join(onServer[e], ", "))
	}
	for _, t := range res.Tenants {
		if len(t.Drift) == 0 && (t.Error == "" || t.ServerFailed) {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", t.Slug)
		if t.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", strings.ReplaceAll(printable.Lines(t.Error), "\n", "\n    "))
		}
		writeFindings(w, t.Drift, "  ")
	}
	c := res.Counts
	fmt.Fprintf(w, "\n%d tenant(s) checked in %s: %d drifted (%d finding(s)), %d clean, %d without a baseline, %d skipped, %d failed\n",
		c.Total, res.Duration.Round(time.Millisecond), c.Drifted, c.Findings, c.Clean, c.NoBaseline, c.Skipped, c.Failed)
}

// writeFindings prints drift records one a line, the names and details
// that come from a live database escaped: a line break in a name must
// not start a line of its own.
func writeFindings(w io.Writer, ds []state.Drift, indent string) {
	for _, d := range ds {
		line := fmt.Sprintf("%s%-6s  %s %s %s", indent, d.Severity, strings.ReplaceAll(d.Kind, "_", " "), printable.Text(d.Object), d.Change)
		if d.Detail != "" {
			line += ": " + printable.Text(d.Detail)
		}
		if d.FirstSeen != nil {
			line += fmt.Sprintf(" (since %s)", d.FirstSeen.Local().Format(time.DateTime))
		}
		fmt.Fprintln(w, line)
	}
}

type driftExportFlags struct {
	repoFlags
	state       string
	write       bool
	lockTimeout time.Duration
}

func newDriftExport(g *globals) *cobra.Command {
	f := &driftExportFlags{}
	cmd := &cobra.Command{
		Use:   "export TENANT",
		Short: "Write a tenant's drift as HCL for its custom layer",
		Long: `export writes the tables, columns, indexes, foreign keys and checks that drift
added to TENANT as Atlas HCL for its custom layer: tables whole, and the
other objects inside blocks that extend their tables. Commit it as
layers/custom/TENANT/drift.hcl (--write appends it there) and the desired
schema declares them: the tenant reconciles with nothing to do. Removed and
modified objects cannot be adopted by a layer; they are listed on stderr.
So are views, triggers, routines, events and sequences, which landlord
does not manage: they are named in the file's header, not exported.

Without --write the HCL goes to stdout.`,
		Args: positional("TENANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, st, repo, err := openReconciler(cmd, g, &f.repoFlags, f.state)
			if err != nil {
				return err
			}
			defer st.Close()
			defer rec.Close()
			ex, err := rec.ExportDrift(cmd.Context(), repo, args[0], f.lockTimeout)
			if err != nil {
				return err
			}
			for _, d := range ex.NotExported {
				fmt.Fprintf(g.stderr, "not exported: %s %s %s (%s): a layer cannot remove or redefine an object; change the layer that declares it, or landlord repair %s\n",
					strings.ReplaceAll(d.Kind, "_", " "), printable.Text(d.Object), d.Change, d.Severity, ex.Tenant)
			}
			for _, d := range ex.Unmanaged {
				fmt.Fprintf(g.stderr, "not exported: %s (%s): no layer can declare it\n", printable.Text(d.Detail), d.Severity)
			}
			if len(ex.HCL) == 0 {
				fmt.Fprintf(g.stderr, "%s: no added objects to export\n", ex.Tenant)
				return nil
			}
			if !f.write {
				_, err := g.stdout.Write(ex.HCL)
				return err
			}
			if desired.IsRemote(f.repo) {
				return errors.New("--write needs --repo to be a local directory")
			}
			// Written inside the repository only, as it is read: a symlink
			// out of it is an error, not a place to write.
			root, err := os.OpenRoot(f.repo)
			if err != nil {
				return err
			}
			defer root.Close()
			p := filepath.FromSlash(ex.Path)
			if err := root.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			// A FIFO or a device there would block the read or the write
			// for good (with --ref, Load never looked at the work tree).
			if st, err := root.Stat(p); err == nil && !st.Mode().IsRegular() {
				return fmt.Errorf("%s: not a regular file: drift export --write appends to regular files only", ex.Path)
			}
			data := ex.HCL
			if old, err := root.ReadFile(p); err == nil {
				// An earlier export is already there: the new objects go
				// after it (a layer may extend a table more than once).
				data = append(append(old, '\n'), ex.HCL...)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := root.WriteFile(p, data, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "wrote %s: %d object(s); commit it to adopt the drift\n", ex.Path, len(ex.Exported))
			return nil
		},
	}
	f.repoFlags.register(cmd)
	stateFlag(cmd, &f.state)
	cmd.Flags().BoolVar(&f.write, "write", false, "append the HCL to layers/custom/TENANT/drift.hcl in --repo instead of printing it")
	cmd.Flags().DurationVar(&f.lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for an apply to the tenant")
	return cmd
}

// openReconciler loads the repository and opens the landlord database and a
// reconciler recording into it.
func openReconciler(cmd *cobra.Command, g *globals, rf *repoFlags, dsn string) (*reconciler.Reconciler, *state.Store, *desired.Repo, error) {
	log, err := g.logger()
	if err != nil {
		return nil, nil, nil, err
	}
	repo, err := rf.load(cmd)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(repo.Errors) > 0 {
		return nil, nil, nil, fmt.Errorf("the repository is invalid; nothing was changed:\n%s", repo.Errors.Error())
	}
	st, err := state.Open(cmd.Context(), dsn)
	if err != nil {
		return nil, nil, nil, err
	}
	return reconciler.New(st, log), st, repo, nil
}
