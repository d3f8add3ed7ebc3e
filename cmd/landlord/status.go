package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlord/landlord/state"
)

type statusFlags struct {
	state  string
	output string
}

func newStatus(g *globals) *cobra.Command {
	f := &statusFlags{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each tenant's recorded sync and health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(f.output, "text", "json"); err != nil {
				return err
			}
			st, err := state.OpenExisting(cmd.Context(), f.state)
			if err != nil {
				return err
			}
			defer st.Close()
			tenants, err := st.Tenants(cmd.Context())
			if err != nil {
				return err
			}
			if f.output == "json" {
				if tenants == nil {
					tenants = []state.Tenant{}
				}
				return writeJSON(g.stdout, map[string]any{"tenants": tenants})
			}
			if len(tenants) == 0 {
				fmt.Fprintln(g.stdout, "no tenants recorded yet: run landlord reconcile")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "TENANT\tSYNC\tHEALTH\tAPPLIED REVISION\tLIVE HASH\tLAST SYNCED\tLAST ERROR")
			for _, t := range tenants {
				synced := "-"
				if t.LastSyncedAt != nil {
					synced = t.LastSyncedAt.Local().Format(time.DateTime)
				}
				health := t.Health
				if t.RemovedAt != nil {
					health += " (removed from repo)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Sync, health, orDash(shortRevision(t.LastAppliedRevision)),
					orDash(short(t.LiveHash, 12)), synced, oneLine(t.LastError, 60))
			}
			return tw.Flush()
		},
	}
	stateFlag(cmd, &f.state)
	outputFlag(cmd, &f.output, "text", "json")
	return cmd
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
