package reconciler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/refdata"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/seed"
	"github.com/landlord/landlord/state"
)

// TriggerSeed is the trigger of a seed's run.
const TriggerSeed = "seed"

// ErrProduction is returned for demo data asked of a tenant whose manifest
// does not mark it development or staging.
var ErrProduction = errors.New("a production tenant never receives demo data")

// SeedOptions describe one seed of demo data.
type SeedOptions struct {
	// Scale multiplies the rows per unit of scale (perScale) of each
	// table's generators.
	Scale float64
	// Seed draws every value: the same seed gives the same rows.
	Seed     uint64
	LockWait time.Duration
	Actor    string
}

// SeedTable is what a seed did to one table.
type SeedTable struct {
	Table    string `json:"table"`
	Deleted  int    `json:"deleted"`
	Inserted int    `json:"inserted"`
	// Kept are the table's rows that reference data declares: never
	// deleted.
	Kept int    `json:"kept"`
	File string `json:"file"`
}

// SeedResult is what a seed did to one tenant.
type SeedResult struct {
	Tenant     string        `json:"tenant"`
	Seed       uint64        `json:"seed"`
	Scale      float64       `json:"scale"`
	Tables     []SeedTable   `json:"tables"`
	Inserted   int           `json:"inserted"`
	Deleted    int           `json:"deleted"`
	Statements int           `json:"statements"`
	Duration   time.Duration `json:"-"`
	DurationMS int64         `json:"duration_ms"`
	RunID      int64         `json:"run_id,omitempty"`
}

// Seed fills the tables of one development or staging tenant with demo
// data drawn from the generators of its layers' demo.yaml: it first
// deletes every row of those tables that git does not declare as
// reference data (a previous seed's, or rows added by hand), then inserts
// the generated rows, all in one transaction under the tenant's lock. The
// same seed and scale on the same reference rows give the same rows. A
// production tenant is refused before anything is read or written.
// It is recorded as a run with trigger seed.
func (r *Reconciler) Seed(ctx context.Context, repo *desired.Repo, slug string, o SeedOptions) (res *SeedResult, err error) {
	t, err := SeedAllowed(repo, slug)
	if err != nil {
		return nil, err
	}
	if !(o.Scale >= 0) || math.IsInf(o.Scale, 0) {
		return nil, fmt.Errorf("scale %v: want a number from 0", o.Scale)
	}
	d, spec, err := demoSpec(repo, t, nil)
	if err != nil {
		return nil, err
	}
	if spec == nil {
		return nil, fmt.Errorf("tenant %s: no layer declares demo data (demo.yaml)", slug)
	}
	tables := d.SeedTables()
	declared, err := dataSet(t, d, "")
	if err != nil {
		return nil, err
	}
	_, target, err := r.lockExisting(ctx, repo, t, o.LockWait, "reconcile it first")
	if err != nil {
		return nil, err
	}
	defer target.Close()
	live, err := target.Inspect(ctx)
	if err != nil {
		return nil, err
	}
	db := target.Qualifier()
	reads := spec.Reads()
	for table, cols := range reads {
		have, ok := live.Columns(table)
		if !ok {
			return nil, fmt.Errorf("tenant %s has no table %s yet: reconcile it first", slug, table)
		}
		for _, c := range cols {
			if !slices.Contains(have, c) {
				return nil, fmt.Errorf("tenant %s: table %s has no column %s yet: reconcile it first", slug, table, c)
			}
		}
	}
	for _, table := range spec.Tables() {
		have, _ := live.Columns(table)
		for _, c := range tables {
			if c.Name != table {
				continue
			}
			for _, col := range c.Columns {
				if !slices.Contains(have, col.Name) {
					return nil, fmt.Errorf("tenant %s: table %s has no column %s yet: reconcile it first", slug, table, col.Name)
				}
			}
		}
	}
	// A table that references a generated table, and is not generated
	// itself, would lose its references when the generated rows go.
	for table, refs := range spec.Referencing() {
		if _, ok := live.Columns(table); !ok {
			continue
		}
		key := spec.Key(table)
		if len(key) == 0 {
			continue
		}
		var found bool
		if err := target.ReadRows(ctx, seed.Select(db, table, key[:1], nil)+" LIMIT 1", func([]*string) error { found = true; return nil }); err != nil {
			return nil, err
		}
		if found {
			return nil, fmt.Errorf("tenant %s: table %s has rows that reference %s, whose rows seed replaces: give %s generators in a demo.yaml (rows: 0 empties it)", slug, table, strings.Join(refs, ", "), table)
		}
	}
	// Read what the generators reference, and the rows of the generated
	// tables: those reference data declares are kept, the others deleted
	// (by key in a table that keeps some; else all at once, counted).
	existing := map[string]*seed.Existing{}
	deletes := map[string][][]string{}
	deleted := map[string]int{}
	kept := map[string]int{}
	generated := map[string]bool{}
	for _, n := range spec.Tables() {
		generated[n] = true
	}
	for table, cols := range reads {
		key := spec.Key(table)
		e := &seed.Existing{Columns: cols}
		pos := make([]int, len(key))
		for i, k := range key {
			pos[i] = slices.Index(cols, k)
		}
		err := target.ReadRows(ctx, seed.Select(db, table, cols, key), func(vals []*string) error {
			if generated[table] {
				k := make([]string, len(key))
				for i, p := range pos {
					if vals[p] != nil {
						k[i] = *vals[p]
					}
				}
				if !isDeclared(declared, table, k) {
					deleted[table]++
					if declared != nil && declared.Tables[table] != nil {
						deletes[table] = append(deletes[table], k)
					}
					return nil
				}
				kept[table]++
			}
			e.Rows = append(e.Rows, vals)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		existing[table] = e
	}
	start := time.Now()
	res = &SeedResult{Tenant: slug, Seed: o.Seed, Scale: o.Scale}
	order := spec.Tables()
	// The statements are made as they run, each table's rows drawn when
	// its inserts are due: what is held is the rows later tables
	// reference, and one batch of arguments.
	errStop := errors.New("stop")
	sts := func(yield func(schema.DataStatement, error) bool) {
		for i := len(order) - 1; i >= 0; i-- { // rows that reference first
			n := order[i]
			var clear []seed.Statement
			if kept[n] > 0 {
				clear = spec.Clear(db, n, deletes[n])
			} else {
				clear = spec.Empty(db, n, deleted[n])
			}
			for _, s := range clear {
				if !yield(seedStatement(s, spec.Origin(n)), nil) {
					return
				}
			}
		}
		err := spec.GenerateEach(o.Seed, o.Scale, existing, func(g *seed.Rows) error {
			res.Tables = append(res.Tables, SeedTable{Table: g.Table, Deleted: deleted[g.Table], Inserted: len(g.Rows), Kept: kept[g.Table], File: g.Origin.File})
			res.Inserted += len(g.Rows)
			res.Deleted += deleted[g.Table]
			for s := range seed.Inserts(db, g) {
				if !yield(seedStatement(s, g.Origin), nil) {
					return errStop
				}
			}
			return nil
		})
		if err != nil && err != errStop {
			yield(schema.DataStatement{}, err)
		}
	}
	ran := 0
	counted := func(schema.StatementResult) { ran++ }
	if r.store != nil {
		id, err := r.store.StartRun(ctx, TriggerSeed, o.Actor, repo.Revision)
		if err != nil {
			return nil, err
		}
		res.RunID = id
		defer func() { r.finishSeed(context.WithoutCancel(ctx), repo, res, start, err) }()
	}
	err = target.ApplyDataInTransaction(ctx, sts, counted)
	res.Statements = ran
	if err != nil {
		return res, fmt.Errorf("tenant %s: seed: %w (rolled back: nothing changed)", slug, err)
	}
	res.Duration = time.Since(start)
	res.DurationMS = res.Duration.Milliseconds()
	r.log.Info("seeded", "tenant", slug, "rows", res.Inserted, "deleted", res.Deleted, "duration_ms", res.Duration.Milliseconds())
	return res, nil
}

// demoSpec composes the demo data of t's layers against its tables, as
// the MySQL dialect types them: the same generators, and the same rows,
// on SQLite and MariaDB. d, when set, is t's desired schema already
// composed: used when it is of the MySQL dialect. The spec is nil when no
// layer has a demo.yaml.
func demoSpec(repo *desired.Repo, t *desired.Tenant, d *schema.Desired) (*schema.Desired, *seed.Spec, error) {
	var files []seed.File
	for _, l := range t.Layers {
		if l.Demo != nil {
			files = append(files, seed.File{Layer: l.Name, Path: l.Demo.Path, Data: l.Demo.Data})
		}
	}
	if len(files) == 0 {
		return nil, nil, nil
	}
	if d == nil || d.Engine() == schema.SQLite {
		var err error
		if d, err = compose(repo, schema.MariaDB, t); err != nil {
			return nil, nil, err
		}
	}
	spec, err := seed.Compose(files, d.SeedTables())
	if err != nil {
		return nil, nil, err
	}
	return d, spec, nil
}

// SeedAllowed returns the tenant slug when it may receive demo data: a
// valid, active tenant whose manifest marks it development or staging.
// It reads the repository only.
func SeedAllowed(repo *desired.Repo, slug string) (*desired.Tenant, error) {
	t, ok := repo.Tenant(slug)
	switch {
	case !ok:
		return nil, fmt.Errorf("no tenant %q in the repository", slug)
	case !t.Valid():
		return nil, fmt.Errorf("tenant %s: %w", slug, t.Errors)
	case t.Environment != desired.Development && t.Environment != desired.Staging:
		return nil, fmt.Errorf("tenant %s is %s (environment in %s): %w; set environment: development or staging there to seed it", slug, t.Environment, t.File, ErrProduction)
	case t.Lifecycle != desired.Active:
		return nil, fmt.Errorf("tenant %s is %s: only an active tenant is seeded", slug, t.Lifecycle)
	}
	return t, nil
}

// finishSeed records the end of a seed's run.
func (r *Reconciler) finishSeed(ctx context.Context, repo *desired.Repo, res *SeedResult, start time.Time, err error) {
	outcome, runOutcome, counts, errText := state.OutcomeSucceeded, state.RunSucceeded, state.Counts{Total: 1, Updated: 1}, ""
	applied := res.Statements
	if err != nil {
		outcome, runOutcome, counts, errText, applied = state.OutcomeFailed, state.RunFailed, state.Counts{Total: 1, Failed: 1}, redact.Text(err.Error()), 0
	}
	tr := state.TenantRun{RunID: res.RunID, Tenant: res.Tenant, Revision: repo.Revision, Action: TriggerSeed, Outcome: outcome,
		Statements: applied, Error: errText, StartedAt: start, FinishedAt: time.Now()}
	if rerr := r.store.RecordTenantRun(ctx, tr); rerr != nil {
		r.log.Error("record seed", "tenant", res.Tenant, "err", rerr)
	}
	if ferr := r.store.FinishRun(ctx, res.RunID, runOutcome, counts, applied, errText); ferr != nil {
		r.log.Error("record seed", "tenant", res.Tenant, "err", ferr)
	}
}

func seedStatement(s seed.Statement, o seed.Origin) schema.DataStatement {
	return schema.DataStatement{SQL: s.SQL, Args: s.Args, Table: s.Table, Names: s.Columns,
		Origin: schema.Origin{Layer: o.Layer, File: o.File, Line: o.Line}}
}

// isDeclared reports whether reference data declares the row of table
// with key.
func isDeclared(set *refdata.Set, table string, key []string) bool {
	if set == nil || set.Tables[table] == nil {
		return false
	}
	_, ok := set.Tables[table].Row(key)
	return ok
}
