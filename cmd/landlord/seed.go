package main

import (
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/state"
)

func newSeed(g *globals) *cobra.Command {
	var (
		rf          repoFlags
		dsn, output string
		demo        bool
		scale       float64
		seedValue   uint64
		lockTimeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "seed TENANT... --demo",
		Short: "Fill development tenants with generated demo data",
		Long: `seed --demo fills each tenant's tables with demo data drawn from the
generators its layers declare in demo.yaml: members with Nepali names, their
wards and districts, committees, events and the rest, every foreign key
referencing an existing row (reference data included) and every unique key
unique. The same --seed and --scale give the same rows.

Only a tenant whose manifest says environment: development or staging is
seeded; a production tenant (the default) is refused before anything is read
or written. A seed replaces the tables it generates: in one transaction
under the tenant's lock it deletes their rows that git does not declare as
reference data, then inserts the generated rows, so running it again with
the same seed gives the same data. Reference rows are never touched. Each
seed is recorded in the landlord database as a run with trigger seed.
One tenant's failure does not stop the others; the exit code is then 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			if !demo {
				return &exitError{code: 2, msg: "seed writes generated demo data only: pass --demo"}
			}
			if !(scale >= 0) || math.IsInf(scale, 0) {
				return &exitError{code: 2, msg: fmt.Sprintf("--scale %v: want a number from 0", scale)}
			}
			repo, err := rf.load(cmd)
			if err != nil {
				return err
			}
			if len(repo.Errors) > 0 {
				return fmt.Errorf("the repository is invalid; nothing was changed:\n%s", repo.Errors.Error())
			}
			type result struct {
				*reconciler.SeedResult
				Tenant     string  `json:"tenant"`
				RowsPerSec float64 `json:"rows_per_second,omitempty"`
				Error      string  `json:"error,omitempty"`
			}
			var (
				results []result
				allowed []string
			)
			failed := 0
			// A tenant that may not be seeded is refused before the
			// landlord database is even opened: a refusal changes nothing.
			for _, slug := range args {
				if _, err := reconciler.SeedAllowed(repo, slug); err != nil {
					failed++
					results = append(results, result{Tenant: slug, Error: err.Error()})
					if output == "text" {
						fmt.Fprintf(g.stdout, "%s: refused: %v\n", slug, err)
					}
					continue
				}
				allowed = append(allowed, slug)
			}
			if len(allowed) > 0 {
				st, err := state.Open(cmd.Context(), dsn)
				if err != nil {
					return err
				}
				defer st.Close()
				rec := reconciler.New(st, g.log)
				defer rec.Close()
				for _, slug := range allowed {
					res, err := rec.Seed(cmd.Context(), repo, slug, reconciler.SeedOptions{Scale: scale, Seed: seedValue, LockWait: lockTimeout, Actor: actor()})
					r := result{Tenant: slug}
					if err != nil {
						failed++
						r.Error = err.Error()
						results = append(results, r)
						if output == "text" {
							fmt.Fprintf(g.stdout, "%s: seed failed: %v\n", slug, err)
						}
						continue
					}
					r.SeedResult = res
					if res.Duration > 0 {
						r.RowsPerSec = float64(res.Inserted) / res.Duration.Seconds()
					}
					results = append(results, r)
					if output == "text" {
						fmt.Fprintf(g.stdout, "%s: seeded %d rows in %d tables (replaced %d) with seed %d at scale %v in %s: %.0f rows/s\n",
							slug, res.Inserted, len(res.Tables), res.Deleted, res.Seed, res.Scale, res.Duration.Round(time.Millisecond), r.RowsPerSec)
						for _, t := range res.Tables {
							fmt.Fprintf(g.stdout, "  %-24s %8d rows  (%s)\n", t.Table, t.Inserted, t.File)
						}
					}
				}
			}
			if output == "json" {
				if err := writeJSON(g.stdout, map[string]any{"seeds": results}); err != nil {
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
	cmd.Flags().BoolVar(&demo, "demo", false, "generate demo data from the layers' demo.yaml (required)")
	cmd.Flags().Float64Var(&scale, "scale", 100, "the rows of each table per unit of scale (perScale) are multiplied by this")
	cmd.Flags().Uint64Var(&seedValue, "seed", 1, "the seed every value is drawn from: the same seed gives the same rows")
	cmd.Flags().DurationVar(&lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for an apply to the tenant")
	outputFlag(cmd, &output, "text", "json")
	return cmd
}
