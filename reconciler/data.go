package reconciler

import (
	"context"
	"fmt"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/refdata"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// dataSet composes the reference data of t's layers against the tables
// of d, qualified for target. It returns nil when no layer declares rows.
func dataSet(t *desired.Tenant, d *schema.Desired, qualifier string) (*refdata.Set, error) {
	var files []refdata.File
	for _, l := range t.Layers {
		for _, f := range l.Data {
			files = append(files, refdata.File{Layer: l.Name, Path: f.Path, Data: f.Data})
		}
	}
	if len(files) == 0 {
		return nil, nil
	}
	tables := map[string]refdata.Table{}
	for _, name := range d.Tables() {
		cols, key, _ := d.TableColumns(name)
		ints, enums := d.ColumnValues(name)
		tables[name] = refdata.Table{Columns: cols, Key: key, Uniques: d.TableUniques(name), Refs: d.TableReferences(name), Integers: ints, Enums: enums}
	}
	set, err := refdata.Compose(files, tables)
	if err != nil {
		return nil, err
	}
	set.Database = qualifier
	return set, nil
}

// planData adds the data statements to the decision's plan, after the
// schema's: the rows t's layers declare, compared with the rows live holds
// (a table the plan creates holds none). The rows the revision last
// applied declared tell the rows git removed (deleted, destructive) from
// the rows it never declared (the tenant's, left alone), and declared rows
// changed out of band (drift: left under policy report, restored by heal
// and repair).
func (ru *run) planData(ctx context.Context, t *desired.Tenant, target *schema.Target, live *schema.Live, d *schema.Desired, dec *decision) error {
	set, err := dataSet(t, d, target.Qualifier())
	if err != nil {
		return err
	}
	prev, err := ru.previousData(ctx, t, d, set, target.Qualifier())
	if err != nil {
		return err
	}
	if prev != nil && prev != set {
		// A table the desired schema no longer has is dropped with its
		// rows (a destructive change of the schema's): no DELETE for it.
		kept := &refdata.Set{Tables: map[string]*refdata.TableRows{}, Database: prev.Database}
		for name, tr := range prev.Tables {
			if _, _, ok := d.TableColumns(name); ok {
				kept.Tables[name] = tr
			}
		}
		prev = kept
	}
	if set == nil {
		if prev == nil {
			return nil
		}
		set = &refdata.Set{Tables: map[string]*refdata.TableRows{}, Database: target.Qualifier()}
	}
	dec.data = set
	rows := liveTables(ctx, target, live, set, prev)
	leave := ru.mode == modeReconcile && t.DriftPolicy != desired.DriftHeal
	sts, found, err := refdata.Plan(set, prev, rows, leave)
	if err != nil {
		return err
	}
	dec.plan.AddData(dataStatements(sts))
	dec.dataChanges = refdata.Summarise(sts)
	for _, f := range found {
		df := DriftFinding{Drift: rowDrift(f), Action: DriftRestored}
		if f.Left {
			df.Action = DriftLeft
			dec.dataLeft = true
		}
		dec.drift = append(dec.drift, df)
	}
	return nil
}

// dataStatements are refdata's statements as a plan carries them.
func dataStatements(sts []refdata.Statement) []schema.DataStatement {
	add := make([]schema.DataStatement, len(sts))
	for i, s := range sts {
		add[i] = schema.DataStatement{SQL: s.SQL, Args: s.Args, Table: s.Table, Names: s.Columns,
			Origin:      schema.Origin{Layer: s.Layer, File: s.File, Line: s.Line},
			Destructive: s.Destructive, Reason: s.Reason}
	}
	return add
}

// rowDrift is a declared row changed or deleted out of band, as a drift
// record: severity medium (the tenant's data, not its schema).
func rowDrift(f refdata.Finding) state.Drift {
	name := f.Key
	if f.Column != "" {
		name += " " + f.Column
	}
	return state.Drift{Object: f.Table + "." + name, Kind: "row", Table: f.Table, Name: name,
		Change: f.Change, Severity: state.SeverityMedium, Detail: f.Detail}
}

// liveTables are the live tables set or prev declare rows for, each
// read as refdata.Plan streams it (a set's table first: its columns are
// the ones compared).
func liveTables(ctx context.Context, target *schema.Target, live *schema.Live, sets ...*refdata.Set) map[string]*refdata.Live {
	out := map[string]*refdata.Live{}
	for _, set := range sets {
		if set == nil {
			continue
		}
		for _, name := range set.Names() {
			if out[name] == nil {
				out[name] = liveTable(ctx, target, live, set.Tables[name])
			}
		}
	}
	return out
}

// liveTable is the live table of tr's rows: its rows stream from the
// database each time they are read, the declared columns in the order
// of tr.Columns, nil for a column the live table lacks.
func liveTable(ctx context.Context, target *schema.Target, live *schema.Live, tr *refdata.TableRows) *refdata.Live {
	lv := &refdata.Live{Absent: map[string]bool{}}
	have, exists := live.Columns(tr.Name)
	if !exists {
		return lv
	}
	lv.Exists = true
	haveSet := map[string]bool{}
	for _, c := range have {
		haveSet[c] = true
	}
	cols := tr.Columns()
	for _, c := range cols {
		if !haveSet[c] {
			lv.Absent[c] = true
		}
	}
	for _, k := range tr.Def.Key {
		if !haveSet[k] {
			return lv // the key changes with the schema: every row is new
		}
	}
	query, read := tr.ReadQuery(func(c string) bool { return haveSet[c] })
	pos := make([]int, len(read)) // the column of cols each read column fills
	for i, c := range read {
		for j, cc := range cols {
			if c == cc {
				pos[i] = j
			}
		}
	}
	lv.Each = func(fn func([]*string) error) error {
		row := make([]*string, len(cols))
		err := target.ReadRows(ctx, query, func(vals []*string) error {
			for i, v := range vals {
				row[pos[i]] = v
			}
			return fn(row)
		})
		if err != nil {
			return fmt.Errorf("%s: %w", tr.Name, err)
		}
		return nil
	}
	return lv
}

// previousData is the reference data the revision last applied to t
// declared: set itself when that revision is this one, nil when it is
// unknown (no landlord database, never applied, not readable).
func (ru *run) previousData(ctx context.Context, t *desired.Tenant, d *schema.Desired, set *refdata.Set, qualifier string) (*refdata.Set, error) {
	ru.mu.Lock()
	rev := ru.records[t.Slug].LastAppliedRevision
	ru.mu.Unlock()
	switch {
	case rev == "" || ru.target != nil:
		return nil, nil
	case rev == ru.revision:
		return set, nil
	}
	repo := ru.previousRepo(ctx, t, rev)
	if repo == nil {
		return nil, nil
	}
	pt, ok := repo.Tenant(t.Slug)
	if !ok || !pt.Valid() {
		return nil, nil
	}
	prevD, err := compose(repo, d.Engine(), pt)
	if err != nil {
		return nil, nil
	}
	prev, err := dataSet(pt, prevD, qualifier)
	if err != nil {
		return nil, nil // the revision last applied had bad data: nothing is known of it
	}
	return prev, nil
}

// verifyData checks that every declared row is as declared, table by
// table, by checksum. Drift the policy leaves alone is left out.
func (ru *run) verifyData(ctx context.Context, obs *observation, dec *decision, tr *TenantResult) error {
	if dec.data == nil || dec.dataLeft || tr.Action == ActionNoop {
		return nil
	}
	for _, name := range dec.data.Names() {
		rows := dec.data.Tables[name]
		got, err := rows.LiveChecksum(liveTable(ctx, obs.target, obs.live, rows).Each)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if want := rows.Checksum(); got != want {
			return fmt.Errorf("verify: the rows of %s are not as declared after apply (checksum %.12s, declared %.12s)", name, got, want)
		}
	}
	return nil
}

// scanRows returns the declared rows of t changed or deleted out of band,
// when the revision last applied to t is this one (else a difference may
// be git's, not yet applied: the reconcile tells).
func (ru *run) scanRows(ctx context.Context, t *desired.Tenant, target *schema.Target, live *schema.Live, d *schema.Desired) ([]refdata.Finding, error) {
	rec, ok, err := ru.store.Tenant(ctx, t.Slug)
	if err != nil || !ok || rec.LastAppliedRevision != ru.revision || !live.Exists() {
		return nil, err
	}
	set, err := dataSet(t, d, target.Qualifier())
	if err != nil || set == nil {
		return nil, err
	}
	_, found, err := refdata.Plan(set, set, liveTables(ctx, target, live, set), true)
	return found, err
}
