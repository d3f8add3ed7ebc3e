package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/state"
)

func newSnapshot(g *globals) *cobra.Command {
	var (
		rf          repoFlags
		dsn, output string
		lockTimeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "snapshot TENANT",
		Short: "Record a snapshot of a tenant's live schema now",
		Long: `snapshot records TENANT's live schema as Atlas HCL in the landlord database
(kind manual). Manual snapshots are history: drift is always measured against
the snapshot recorded after the tenant's last apply. Snapshots beyond the
retention of landlord.yaml (snapshots.keep, default 10, and
snapshots.maxDays, default 30) are deleted, never the newest.`,
		Args: positional("TENANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			rec, st, repo, err := openReconciler(cmd, g, &rf, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			defer rec.Close()
			snap, err := rec.Snapshot(cmd.Context(), repo, args[0], lockTimeout)
			if err != nil {
				return err
			}
			if output == "json" {
				snap.HCL = ""
				return writeJSON(g.stdout, snap)
			}
			fmt.Fprintf(g.stdout, "snapshot %d of %s: hash %s\n", snap.ID, snap.Tenant, short(snap.Hash, 12))
			return nil
		},
	}
	rf.register(cmd)
	stateFlag(cmd, &dsn)
	cmd.Flags().DurationVar(&lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for an apply to the tenant")
	outputFlag(cmd, &output, "text", "json")
	return cmd
}

func newSnapshots(g *globals) *cobra.Command {
	var dsn, output string
	cmd := &cobra.Command{
		Use:   "snapshots",
		Short: "List, show and compare a tenant's schema snapshots",
		Args:  cobra.ArbitraryArgs,
		RunE:  unknownSubcommand,
	}
	cmd.PersistentFlags().StringVar(&dsn, "state", envOr("LANDLORD_STATE", defaultState), "landlord database: an SQLite file or mysql://user:pass@host:port/db (env LANDLORD_STATE)")
	cmd.PersistentFlags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	withStore := func(cmd *cobra.Command, fn func(*state.Store) error) error {
		if err := checkOutput(output, "text", "json"); err != nil {
			return err
		}
		st, err := state.OpenExisting(cmd.Context(), dsn)
		if err != nil {
			return err
		}
		defer st.Close()
		return fn(st)
	}
	list := &cobra.Command{
		Use:   "list TENANT",
		Short: "List a tenant's snapshots, newest first",
		Args:  positional("TENANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, func(st *state.Store) error {
				snaps, err := st.Snapshots(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if output == "json" {
					if snaps == nil {
						snaps = []state.Snapshot{}
					}
					return writeJSON(g.stdout, map[string]any{"tenant": args[0], "snapshots": snaps})
				}
				if len(snaps) == 0 {
					fmt.Fprintf(g.stdout, "no snapshots of %s\n", args[0])
					return nil
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tTAKEN\tKIND\tRUN\tREVISION\tHASH")
				for _, s := range snaps {
					run := "-"
					if s.RunID != 0 {
						run = strconv.FormatInt(s.RunID, 10)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.CreatedAt.Local().Format(time.DateTime), s.Kind, run,
						orDash(shortRevision(s.Revision)), short(s.Hash, 12))
				}
				return tw.Flush()
			})
		},
	}
	show := &cobra.Command{
		Use:   "show TENANT ID",
		Short: "Print a snapshot's schema as Atlas HCL",
		Args:  positional("TENANT", "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := snapshotID(args[1])
			if err != nil {
				return err
			}
			return withStore(cmd, func(st *state.Store) error {
				snap, ok, err := st.GetSnapshot(cmd.Context(), args[0], id)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("tenant %s has no snapshot %d", args[0], id)
				}
				if output == "json" {
					return writeJSON(g.stdout, snap)
				}
				_, err = fmt.Fprint(g.stdout, snap.HCL)
				return err
			})
		},
	}
	diff := &cobra.Command{
		Use:   "diff TENANT A B",
		Short: "Print the statements that turn snapshot A into snapshot B",
		Args:  positional("TENANT", "A", "B"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := snapshotID(args[1])
			if err != nil {
				return err
			}
			b, err := snapshotID(args[2])
			if err != nil {
				return err
			}
			return withStore(cmd, func(st *state.Store) error {
				rec := reconciler.New(st, g.log)
				defer rec.Close()
				d, err := rec.DiffSnapshots(cmd.Context(), args[0], a, b)
				if err != nil {
					return err
				}
				if output == "json" {
					if d.Changes == nil {
						d.Changes = []reconciler.Change{}
					}
					return writeJSON(g.stdout, d)
				}
				if len(d.Changes) == 0 {
					fmt.Fprintf(g.stdout, "-- snapshots %d and %d of %s have the same schema\n", a, b, args[0])
					return nil
				}
				fmt.Fprintf(g.stdout, "-- %s: snapshot %d → snapshot %d, %d statement(s)\n", args[0], a, b, len(d.Changes))
				for _, c := range d.Changes {
					mark := ""
					if c.Destructive {
						mark = "-- destructive: " + strings.Join(c.Reasons, "; ") + "\n"
					}
					fmt.Fprintf(g.stdout, "%s%s;\n", mark, c.SQL)
				}
				return nil
			})
		},
	}
	cmd.AddCommand(list, show, diff)
	return cmd
}

func snapshotID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("snapshot id %q: want a number from landlord snapshots list", s)
	}
	return id, nil
}
