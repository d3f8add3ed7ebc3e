package schema

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Offline plans without a database server: against a schema read back from
// a snapshot (LiveFromHCL), or between two desired schemas (LiveFrom). Atlas
// diffs and plans in memory; its MySQL driver only asks the server for its
// version and defaults, which Offline answers itself.
type Offline struct {
	engine Engine
	drv    migrate.Driver
	env    *env
	close  func()
}

// OpenOffline returns an offline planner for engine. version is the server
// version to plan for; empty means MariaDB 10.11 or MySQL 8.0.
func OpenOffline(engine Engine, version string) (*Offline, error) {
	o := &Offline{engine: engine}
	switch engine {
	case SQLite:
		mem, closeMem, err := memoryDriver(context.Background())
		if err != nil {
			return nil, err
		}
		o.drv, o.close = mem, closeMem
		o.env = &env{drv: mem, engine: engine}
	case MySQL, MariaDB:
		if version == "" {
			version = "8.0.36"
			if engine == MariaDB {
				version = "10.11.0-MariaDB"
			}
		}
		db, err := sql.Open("sqlite", "file::memory:")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		// The server's defaults decide which clauses Atlas writes (a
		// CREATE DATABASE names the collation only when it is not the
		// server's). Offline, assume the packaged defaults: utf8mb4 with
		// MySQL 8's utf8mb4_0900_ai_ci, or MariaDB's utf8mb4_general_ci
		// (Debian and Ubuntu builds), so a plan for a new database matches
		// what the server would be asked.
		collation := "utf8mb4_0900_ai_ci"
		if engine == MariaDB || strings.Contains(strings.ToLower(version), "mariadb") {
			collation = "utf8mb4_general_ci"
		}
		drv, err := mysql.Open(&variablesOnly{db: db, version: version, collation: collation})
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("offline %s planner: %w", engine, err)
		}
		o.drv, o.close = drv, func() { db.Close() }
		o.env = &env{drv: drv, engine: engine, cs: builtinCharsets(engine, version)}
	default:
		return nil, fmt.Errorf("unknown engine %q", engine)
	}
	return o, nil
}

// Close releases the planner.
func (o *Offline) Close() { o.close() }

// Plan returns the statements that turn live into d, for database.
func (o *Offline) Plan(ctx context.Context, live *Live, d *Desired, database string) (*Plan, error) {
	return o.PlanLeaving(ctx, live, d, database, nil)
}

// PlanLeaving is Plan that leaves the objects in leave as they are in live.
func (o *Offline) PlanLeaving(ctx context.Context, live *Live, d *Desired, database string, leave []Object) (*Plan, error) {
	name := database
	if o.engine == SQLite {
		name = "main"
	}
	p, err := plan(ctx, o.env, name, live, d, objectSet(leave))
	if err != nil {
		return nil, err
	}
	p.Database = database
	return p, nil
}

// variablesOnly answers the one query Atlas's MySQL driver sends when it
// opens (the server's version and defaults) and refuses anything else, so
// an offline plan can never reach for a database.
type variablesOnly struct {
	db        *sql.DB
	version   string
	collation string
}

func (v *variablesOnly) QueryContext(ctx context.Context, q string, _ ...any) (*sql.Rows, error) {
	if strings.Contains(q, "@@version") {
		return v.db.QueryContext(ctx, "SELECT ?, ?, 'utf8mb4', 0", v.version, v.collation)
	}
	return nil, errors.New("offline planner: no database to query")
}

func (v *variablesOnly) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, errors.New("offline planner: no database to change")
}

// LiveFromHCL reads a schema written by Live.HCL (a snapshot) back into a
// Live for engine, as if inspected.
func LiveFromHCL(engine Engine, hcl []byte) (*Live, error) {
	return LiveFromSnapshot(engine, hcl, nil)
}

// LiveFromSnapshot reads a snapshot back: its HCL (Live.HCL) and, on
// MySQL and MariaDB, its tables' DDL (Live.DDL; nil for snapshots taken
// before landlord kept it), which restores what Atlas's model does not
// hold and lets drift be compared attribute by attribute.
func LiveFromSnapshot(engine Engine, hcl, ddl []byte) (*Live, error) {
	l, err := liveFromHCL(engine, hcl)
	if err != nil || len(ddl) == 0 {
		return l, err
	}
	var tables []*TableDDL
	if err := json.Unmarshal(ddl, &tables); err != nil {
		return nil, fmt.Errorf("read snapshot ddl: %w", err)
	}
	l.ddl = make(map[string]*TableDDL, len(tables))
	for _, t := range tables {
		l.ddl[t.Name] = t
	}
	if err := enrichFromDDL(l.schema, l.ddl); err != nil {
		return nil, fmt.Errorf("read snapshot ddl: %w", err)
	}
	return l, nil
}

func liveFromHCL(engine Engine, hcl []byte) (*Live, error) {
	if e := checkNesting(File{Path: "snapshot.hcl", Data: hcl}); e != nil {
		return nil, fmt.Errorf("read snapshot: %w", e)
	}
	p := hclparse.NewParser()
	if _, diags := p.ParseHCL(hcl, "snapshot.hcl"); diags.HasErrors() {
		return nil, fmt.Errorf("read snapshot: %w", diags)
	}
	var (
		realm atlas.Realm
		err   error
	)
	if engine == SQLite {
		err = sqlite.EvalHCL.Eval(p, &realm, nil)
	} else {
		err = mysql.EvalHCL.Eval(p, &realm, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot as %s: %w", engine, err)
	}
	if len(realm.Schemas) != 1 {
		return nil, fmt.Errorf("read snapshot: %d schemas, want 1", len(realm.Schemas))
	}
	return &Live{engine: engine, exists: true, schema: realm.Schemas[0]}, nil
}

// LiveFrom returns the desired schema as a Live: the starting point of a
// plan from one revision's desired schema to another's. A nil d is a
// database that does not exist yet.
func LiveFrom(engine Engine, d *Desired) *Live {
	if d == nil {
		return &Live{engine: engine, schema: &atlas.Schema{Name: placeholder}}
	}
	return &Live{engine: engine, exists: true, schema: copySchema(d.schema, placeholder)}
}
