package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/state"
)

// openBackups opens the backup storage landlord.yaml names (backups.location),
// by default .landlord/backups.
func openBackups(ctx context.Context, repo *desired.Repo) (*backup.Storage, error) {
	loc := repo.Config.Backups.Location
	if loc == "" {
		loc = backup.DefaultDir
	}
	return backup.Open(ctx, loc)
}

func newBackup(g *globals) *cobra.Command {
	var (
		rf          repoFlags
		dsn, output string
		all         bool
		lockTimeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "backup TENANT... | --all",
		Short: "Back up tenant databases",
		Long: `backup takes a consistent backup of each tenant's database: on MySQL and MariaDB
one consistent-snapshot transaction (the tenant keeps serving), every table
streamed as INSERT statements and compressed with zstd; on SQLite a VACUUM
INTO copy, compressed. Each backup has a manifest (row counts, checksums,
schema hash) written last, and is recorded in the landlord database. They are
kept where landlord.yaml's backups.location says (default .landlord/backups).
One tenant's failure does not stop the others; the exit code is then 1.`,
		Example: "  landlord backup acme\n  landlord backup --all -o json",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			if all == (len(args) > 0) {
				return &exitError{code: 2, msg: "name tenants or pass --all"}
			}
			rec, st, repo, err := openReconciler(cmd, g, &rf, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			defer rec.Close()
			bs, err := openBackups(cmd.Context(), repo)
			if err != nil {
				return err
			}
			defer bs.Close()
			rec.SetBackups(bs)
			slugs := args
			if all {
				for _, t := range repo.Tenants {
					slugs = append(slugs, t.Slug)
				}
			}
			type result struct {
				Tenant   string           `json:"tenant"`
				Manifest *backup.Manifest `json:"manifest,omitempty"`
				Error    string           `json:"error,omitempty"`
				Skipped  string           `json:"skipped,omitempty"`
			}
			var results []result
			failed := 0
			for _, slug := range slugs {
				m, err := rec.Backup(cmd.Context(), repo, slug, reconciler.BackupOptions{LockWait: lockTimeout})
				r := result{Tenant: slug, Manifest: m}
				switch {
				case all && errors.Is(err, reconciler.ErrNoDatabase):
					// --all: a tenant never provisioned has nothing to back up.
					r.Skipped = err.Error()
					err = nil
					if output == "text" {
						fmt.Fprintf(g.stdout, "%s: skipped: %s\n", slug, r.Skipped)
					}
					results = append(results, r)
					continue
				case err != nil:
					r.Error = err.Error()
					failed++
				}
				if m != nil {
					m.SchemaHCL = ""
				}
				results = append(results, r)
				if output == "text" {
					if err != nil {
						fmt.Fprintf(g.stdout, "%s: backup failed: %v\n", slug, err)
						continue
					}
					raw, stored := m.Sizes()
					fmt.Fprintf(g.stdout, "%s: backup %s: %d tables, %d rows, %s (%s compressed) in %s\n", slug, m.ID, len(m.Tables), m.Rows(),
						desired.FormatBytes(raw), desired.FormatBytes(stored), m.Finished.Sub(m.Started).Round(time.Millisecond))
				}
			}
			if output == "json" {
				if err := writeJSON(g.stdout, map[string]any{"backups": results}); err != nil {
					return err
				}
			}
			if failed > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	rf.register(cmd)
	stateFlag(cmd, &dsn)
	cmd.Flags().BoolVar(&all, "all", false, "back up every tenant of the repository")
	cmd.Flags().DurationVar(&lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for an apply to the tenant")
	outputFlag(cmd, &output, "text", "json")
	return cmd
}

func newBackups(g *globals) *cobra.Command {
	var (
		rf          repoFlags
		dsn, output string
	)
	cmd := &cobra.Command{
		Use:   "backups",
		Short: "List and show tenant backups",
		Args:  cobra.NoArgs,
	}
	with := func(cmd *cobra.Command, fn func(*state.Store, *backup.Storage) error) error {
		if err := checkOutput(output, "text", "json"); err != nil {
			return err
		}
		repo, err := rf.load(cmd)
		if err != nil {
			return err
		}
		st, err := state.OpenExisting(cmd.Context(), dsn)
		if err != nil {
			return err
		}
		defer st.Close()
		bs, err := openBackups(cmd.Context(), repo)
		if err != nil {
			return err
		}
		defer bs.Close()
		return fn(st, bs)
	}
	list := &cobra.Command{
		Use:   "list [TENANT]",
		Short: "List backups, newest first, and whether each is usable",
		Long: `list prints the backups recorded in the landlord database, newest first. A
backup is usable only when it completed and its manifest is in the storage: a
backup that was interrupted (its process killed) stays "running" in the
landlord database and is never usable.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tenant := ""
			if len(args) == 1 {
				tenant = args[0]
			}
			return with(cmd, func(st *state.Store, bs *backup.Storage) error {
				recs, err := st.Backups(cmd.Context(), tenant, 0)
				if err != nil {
					return err
				}
				complete, err := bs.List(cmd.Context(), tenant)
				if err != nil {
					return err
				}
				usable := map[string]bool{}
				for _, m := range complete {
					usable[m.ID] = true
				}
				type row struct {
					state.Backup
					Usable bool `json:"usable"`
				}
				rows := []row{}
				for _, b := range recs {
					rows = append(rows, row{b, b.Status == state.BackupComplete && usable[b.ID]})
				}
				if output == "json" {
					return writeJSON(g.stdout, map[string]any{"backups": rows})
				}
				if len(rows) == 0 {
					fmt.Fprintln(g.stdout, "no backups")
					return nil
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tUSABLE\tROWS\tSIZE\tSTORED\tTABLES")
				for _, r := range rows {
					u := "no"
					if r.Usable {
						u = "yes"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.Kind, r.Status, u, r.Rows, desired.FormatBytes(r.RawBytes), desired.FormatBytes(r.Stored),
						orDash(strings.Join(r.Tables, ",")))
				}
				return tw.Flush()
			})
		},
	}
	show := &cobra.Command{
		Use:   "show BACKUP",
		Short: "Print a backup's manifest",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return with(cmd, func(st *state.Store, bs *backup.Storage) error {
				m, err := bs.Manifest(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if output == "json" {
					return writeJSON(g.stdout, m)
				}
				raw, stored := m.Sizes()
				fmt.Fprintf(g.stdout, "backup %s\ntenant %s, database %s (%s %s)\nkind %s, revision %s, schema hash %s\ntaken %s to %s\n%d rows, %s, %s stored\n",
					m.ID, m.Tenant, m.Database, m.Engine, m.ServerVersion, m.Kind, orDash(shortRevision(m.Revision)), short(m.SchemaHash, 12),
					m.Started.Format(time.RFC3339), m.Finished.Format(time.RFC3339), m.Rows(), desired.FormatBytes(raw), desired.FormatBytes(stored))
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "TABLE\tROWS\tCHECKSUM\tCOLUMNS")
				for _, t := range m.Tables {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", t.Name, t.Rows, t.Checksum, orDash(strings.Join(t.Columns, ",")))
				}
				return tw.Flush()
			})
		},
	}
	for _, c := range []*cobra.Command{list, show} {
		rf.register(c)
	}
	cmd.PersistentFlags().StringVar(&dsn, "state", envOr("LANDLORD_STATE", defaultState), "landlord database: an SQLite file or mysql://user:pass@host:port/db (env LANDLORD_STATE)")
	cmd.PersistentFlags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.AddCommand(list, show)
	return cmd
}

func newRestore(g *globals) *cobra.Command {
	var (
		rf          repoFlags
		dsn, output string
		o           reconciler.RestoreOptions
		tables      []string
	)
	cmd := &cobra.Command{
		Use:   "restore TENANT --from BACKUP",
		Short: "Restore a tenant's backup, verified",
		Long: `restore restores backup BACKUP of TENANT table by table, then reads every
restored table back and compares its row count and checksum with the backup's
manifest, and for a whole database the schema hash. Into a new database
(--to-database) it needs nothing more. Into the tenant's own database it is
refused unless the database is empty, or --force is passed and the tenant is
suspended (lifecycle: suspended). A backup taken before a destructive
statement (kind beforeloss) holds columns with their primary keys: restoring
it fills those columns of the existing rows, after a rollback brought the
columns back. A restore cut short can be run again.`,
		Example: "  landlord restore acme --from acme/20261130T120000Z-0a1b2c3d --to-database acme_copy\n" +
			"  landlord restore acme --from acme/20261130T120000Z-0a1b2c3d --tables members --force",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			if o.From == "" {
				return &exitError{code: 2, msg: "--from BACKUP is required (landlord backups list " + args[0] + ")"}
			}
			rec, st, repo, err := openReconciler(cmd, g, &rf, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			defer rec.Close()
			bs, err := openBackups(cmd.Context(), repo)
			if err != nil {
				return err
			}
			defer bs.Close()
			rec.SetBackups(bs)
			o.Tenant = args[0]
			for _, t := range tables {
				if t = strings.TrimSpace(t); t != "" {
					o.Tables = append(o.Tables, t)
				}
			}
			if output == "text" {
				o.Progress = func(table string, rows int64) { fmt.Fprintf(g.stdout, "restored %s: %d rows\n", table, rows) }
			}
			res, err := rec.Restore(cmd.Context(), repo, o)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(g.stdout, res)
			}
			verified := "rows and checksums verified"
			if res.SchemaVerified {
				verified += ", schema hash verified"
			}
			fmt.Fprintf(g.stdout, "restored %s into %s: %d tables, %d rows; %s (run %d)\n", res.Backup, res.Database, res.Tables, res.Rows, verified, res.RunID)
			return nil
		},
	}
	rf.register(cmd)
	stateFlag(cmd, &dsn)
	cmd.Flags().StringVar(&o.From, "from", "", "the backup to restore: its ID (landlord backups list)")
	cmd.Flags().StringVar(&o.ToDatabase, "to-database", "", "restore into this new database of the tenant's server")
	cmd.Flags().StringSliceVar(&tables, "tables", nil, "restore only these tables (comma-separated)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace the tables of a suspended tenant's own database")
	cmd.Flags().DurationVar(&o.LockWait, "lock-timeout", 30*time.Second, "how long to wait for an apply to the tenant")
	outputFlag(cmd, &output, "text", "json")
	return cmd
}
