package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/state"
)

type statusFlags struct {
	state  string
	output string
}

func newStatus(g *globals) *cobra.Command {
	f := &statusFlags{}
	cmd := &cobra.Command{
		Use:   "status [TENANT]",
		Short: "Show the recorded sync and health of each tenant, or everything about one",
		Long: `status shows each tenant's recorded sync and health, pin and open drift. With
TENANT it shows everything recorded about it: sync and health, template and
version, modules, database, server, created at, last synced at, last
attempted and applied revision, desired and live hash, pin, open drift,
snapshot count, and the last run's outcome and error.`,
		Args: optional("TENANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(f.output, "text", "json"); err != nil {
				return err
			}
			st, err := state.OpenExisting(cmd.Context(), f.state)
			if err != nil {
				return err
			}
			defer st.Close()
			if len(args) == 1 {
				s, ok, err := st.Status(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("tenant %s is not recorded: run landlord reconcile", args[0])
				}
				if f.output == "json" {
					return writeJSON(g.stdout, s)
				}
				writeTenantStatus(g.stdout, s)
				return nil
			}
			all, err := st.Statuses(cmd.Context())
			if err != nil {
				return err
			}
			return writeStatuses(g.stdout, all, f.output)
		},
	}
	stateFlag(cmd, &f.state)
	outputFlag(cmd, &f.output, "text", "json")
	return cmd
}

// writeStatuses prints every tenant's status: a table, or JSON (docs/cli.md,
// "JSON").
func writeStatuses(w io.Writer, all []state.Status, output string) error {
	if output == "json" {
		if all == nil {
			all = []state.Status{}
		}
		return writeJSON(w, map[string]any{"tenants": all})
	}
	w = printable.Writer(w)
	if len(all) == 0 {
		fmt.Fprintln(w, "no tenants recorded yet: run landlord reconcile")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tSYNC\tHEALTH\tAPPLIED REVISION\tLIVE HASH\tDRIFT\tLAST SYNCED\tLAST ERROR")
	for _, t := range all {
		health := string(t.Health)
		if t.RemovedAt != nil {
			health += " (removed from repo)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Slug, syncText(t), health, orDash(shortRevision(t.LastAppliedRevision)),
			orDash(short(t.LiveHash, 12)), driftText(t.Drift), when(t.LastSyncedAt), oneLine(t.LastError, 60))
	}
	return tw.Flush()
}

func syncText(s state.Status) string {
	if s.Pin != nil {
		return fmt.Sprintf("%s (%s)", state.Pinned, shortRevision(s.Pin.Revision))
	}
	return string(s.Sync)
}

func driftText(d state.DriftSummary) string {
	if d.Open == 0 {
		return "-"
	}
	return fmt.Sprintf("%d (%s)", d.Open, d.Highest)
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

// writeTenantStatus prints everything recorded about one tenant.
func writeTenantStatus(w io.Writer, s state.Status) {
	w = printable.Writer(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("tenant", s.Slug+" ("+orDash(s.Name)+")")
	row("sync", syncText(s))
	row("health", string(s.Health))
	row("lifecycle", s.Lifecycle)
	tpl := orDash(s.Template)
	if s.TemplateVersion != "" {
		tpl += " " + s.TemplateVersion
	}
	row("template", tpl)
	row("modules", orDash(strings.Join(s.Modules, ", ")))
	row("database", s.Database+" on "+s.Server)
	if s.Domain != "" {
		row("domain", s.Domain)
	}
	row("created at", when(s.DatabaseCreatedAt))
	row("last synced at", when(s.LastSyncedAt))
	row("last attempted revision", orDash(s.LastAttemptedRevision))
	row("last applied revision", orDash(s.LastAppliedRevision))
	row("desired hash", orDash(s.DesiredHash))
	row("live hash", orDash(s.LiveHash))
	if s.Pin != nil {
		pin := fmt.Sprintf("%s, since %s by run %d", orDash(s.Pin.Revision), s.Pin.PinnedAt.Local().Format(time.DateTime), s.Pin.RunID)
		if s.Pin.SourceRunID != 0 {
			pin += fmt.Sprintf(" (snapshot %d of run %d)", s.Pin.SnapshotID, s.Pin.SourceRunID)
		}
		row("pinned to", pin)
	} else {
		row("pinned to", "-")
	}
	row("open drift", driftText(s.Drift))
	row("snapshots", fmt.Sprint(s.Snapshots))
	if r := s.LastRun; r != nil {
		row("last run", fmt.Sprintf("%d (%s): %s, %s, %d statement(s), %s", r.RunID, r.Trigger, r.Action, r.Outcome, r.Statements,
			r.FinishedAt.Local().Format(time.DateTime)))
	} else {
		row("last run", "-")
	}
	row("last error", orDash(oneLine(s.LastError, 200)))
	if s.RemovedAt != nil {
		row("removed from repo", when(s.RemovedAt))
	}
	tw.Flush()
	if len(s.OpenDrift) > 0 {
		fmt.Fprintln(w, "\nopen drift:")
		writeFindings(w, s.OpenDrift, "  ")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
