package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"

	"github.com/landlord/landlord/seed"
)

// SeedTables describes every table of the desired schema as seed needs
// it: each column's kind of value and its bounds, the primary, unique and
// foreign keys. It reads the MySQL dialect's types (enums, widths,
// signedness), which SQLite's adaptation drops: compose for MySQL or
// MariaDB to describe a tenant for either engine.
func (d *Desired) SeedTables() []seed.Table {
	out := make([]seed.Table, 0, len(d.schema.Tables))
	for _, t := range d.schema.Tables {
		st := seed.Table{Name: t.Name}
		for _, c := range t.Columns {
			st.Columns = append(st.Columns, seedColumn(c))
		}
		if t.PrimaryKey != nil {
			st.Key = partNames(t.PrimaryKey.Parts)
		}
		for _, idx := range t.Indexes {
			if idx.Unique {
				if cols := partNames(idx.Parts); len(cols) == len(idx.Parts) {
					st.Unique = append(st.Unique, cols)
				}
			}
		}
		for _, fk := range t.ForeignKeys {
			if fk.RefTable == nil {
				continue
			}
			f := seed.ForeignKey{RefTable: fk.RefTable.Name}
			for _, c := range fk.Columns {
				f.Columns = append(f.Columns, c.Name)
			}
			for _, c := range fk.RefColumns {
				f.RefColumns = append(f.RefColumns, c.Name)
			}
			st.ForeignKeys = append(st.ForeignKeys, f)
		}
		out = append(out, st)
	}
	return out
}

func partNames(parts []*atlas.IndexPart) []string {
	var out []string
	for _, p := range parts {
		if p.C != nil {
			out = append(out, p.C.Name)
		}
	}
	return out
}

func seedColumn(c *atlas.Column) seed.Column {
	sc := seed.Column{Name: c.Name, Kind: seed.Other}
	if c.Type == nil {
		return sc
	}
	sc.Nullable = c.Type.Null
	sc.AutoIncrement = hasAttr[*mysql.AutoIncrement](c.Attrs)
	switch ty := plainType(c.Type.Type).(type) {
	case *atlas.IntegerType:
		sc.Kind = seed.Int
		bits := map[string]uint{"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}[strings.ToLower(ty.T)]
		if bits == 0 {
			bits = 64
		}
		switch {
		case ty.Unsigned && bits == 64:
			sc.Min, sc.Max = 0, math.MaxInt64 // what a Go int64 holds
		case ty.Unsigned:
			sc.Min, sc.Max = 0, 1<<bits-1
		default:
			sc.Min, sc.Max = -1<<(bits-1), 1<<(bits-1)-1
		}
	case *atlas.BoolType:
		sc.Kind, sc.Min, sc.Max = seed.Bool, 0, 1
	case *atlas.DecimalType:
		sc.Kind, sc.Precision, sc.Scale = seed.Decimal, ty.Precision, ty.Scale
	case *atlas.FloatType:
		sc.Kind = seed.Float
	case *atlas.StringType:
		switch strings.ToLower(ty.T) {
		case "varchar", "char":
			sc.Kind, sc.Size = seed.String, ty.Size
		default:
			sc.Kind = seed.Text
		}
	case *atlas.TimeType:
		switch strings.ToLower(ty.T) {
		case "date":
			sc.Kind = seed.Date
		case "datetime", "timestamp":
			sc.Kind = seed.DateTime
		case "time":
			sc.Kind = seed.Time
		}
	case *atlas.EnumType:
		sc.Kind, sc.Values = seed.Enum, ty.Values
	case *atlas.JSONType:
		sc.Kind = seed.JSON
	}
	if lit, ok := c.Default.(*atlas.Literal); ok {
		v := lit.V
		switch {
		case len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0]:
			v = strings.ReplaceAll(v[1:len(v)-1], string(v[0])+string(v[0]), string(v[0]))
		case strings.EqualFold(v, "true"):
			v = "1"
		case strings.EqualFold(v, "false"):
			v = "0"
		}
		sc.Default = &v
	}
	return sc
}

// ApplyDataInTransaction runs data statements (values bound, names
// intended as AddData intends them) in one transaction on the target,
// which must come from Lock. The statements come one at a time, so that
// a large seed is never held whole as statements: each is parsed back
// before it runs (a refused one rolls back those before it), each runs
// under the server's statement timeout, and any failure, or an error
// from sts in place of a statement, rolls the transaction back, so the
// database is as it was. done, when set, is called after each statement.
func (t *Target) ApplyDataInTransaction(ctx context.Context, sts iter.Seq2[DataStatement, error], done func(StatementResult)) (err error) {
	if t.drv == nil {
		return errors.New("apply needs a locked target")
	}
	var exec interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	} = t.w
	if t.db != nil {
		conn, err := t.db.Conn(ctx) // one connection: the transaction's
		if err != nil {
			return err
		}
		defer conn.Close()
		exec = conn
	}
	timeout := t.server.opts.StatementTimeout
	if timeout <= 0 {
		timeout = DefaultStatementTimeout
	}
	run := func(ctx context.Context, q string, args ...any) error {
		sctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		_, err := exec.ExecContext(sctx, q, args...)
		if err != nil && sctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return fmt.Errorf("%w: after %s", ErrStatementTimeout, timeout)
		}
		return err
	}
	if err := run(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.server.killTimeout())
			defer cancel()
			if rerr := run(rctx, "ROLLBACK"); rerr != nil {
				err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
			}
		}
	}()
	i := 0
	for ds, err := range sts {
		if err != nil {
			return err
		}
		p := &Plan{Database: t.database}
		p.AddData([]DataStatement{ds})
		st := p.Statements[0]
		if _, err := p.check(t.server.engine); err != nil {
			return &ApplyError{Index: i, SQL: st.SQL, Err: err}
		}
		start := time.Now()
		err := run(ctx, st.SQL, st.args...)
		if done != nil {
			done(StatementResult{Index: i, Duration: time.Since(start), Err: err})
		}
		if err != nil {
			return &ApplyError{Index: i, SQL: st.SQL, Err: err}
		}
		i++
	}
	if err := run(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
