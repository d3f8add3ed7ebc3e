package schema

import (
	"fmt"
	"sort"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
)

// Engine is a database engine landlord plans for.
type Engine string

// The engines landlord knows.
const (
	MySQL   Engine = "mysql"
	MariaDB Engine = "mariadb"
	SQLite  Engine = "sqlite"
)

// Options are the engine defaults that a composition applies where the layer
// files say nothing.
type Options struct {
	// Charset and Collation of the schema on MySQL and MariaDB.
	Charset, Collation string
}

// placeholder is the schema name a Desired schema carries until it is
// retargeted to a tenant's database, and the name hashes are computed under,
// so that a hash never depends on the database name.
const placeholder = "tenant"

// Desired is the schema that an ordered list of layers composes to, for one
// engine, with the origin of each of its objects. It is immutable: plans work
// on copies, because Atlas's diff mutates its inputs.
type Desired struct {
	engine       Engine
	schema       *atlas.Schema
	origins      map[objectKey]Origin
	schemaOrigin Origin
	schemaLabel  string
	order        map[string]int
	// removed are the origins, in an earlier revision, of the objects this
	// schema no longer declares (Since).
	removed map[objectKey]Origin
}

// Since returns d with the provenance of what it removed from prev, the
// desired schema of the same tenant at revision: a statement that drops an
// object prev declared is attributed to the layer and file that declared
// it there (the file whose change removed it), not to its table's layer.
// d is not changed.
func (d *Desired) Since(prev *Desired, revision string) *Desired {
	if prev == nil {
		return d
	}
	out := *d
	out.removed = map[objectKey]Origin{}
	for k, o := range prev.origins {
		if _, ok := d.origins[k]; !ok {
			o.Revision = revision
			out.removed[k] = o
		}
	}
	return &out
}

// Compose merges the layers in order and evaluates them for engine. Errors
// are SourceErrors naming file and line.
func Compose(engine Engine, layers []Layer, opts Options) (*Desired, error) {
	c, err := compose(layers)
	if err != nil {
		return nil, err
	}
	// The layer files are written in Atlas's MySQL dialect for every engine;
	// SQLite gets an adapted copy below (adaptSQLite).
	var realm atlas.Realm
	if err := mysql.EvalHCL.Eval(c.parser, &realm, nil); err != nil {
		return nil, evalError(err, layers)
	}
	if len(realm.Schemas) != 1 {
		return nil, SourceErrors{{File: c.schemaOrigin.File, Line: c.schemaOrigin.Line,
			Msg: fmt.Sprintf("the layers declare %d schemas; exactly one is expected", len(realm.Schemas))}}
	}
	s := realm.Schemas[0]
	s.Name = placeholder
	d := &Desired{engine: engine, schema: s, origins: c.origins, schemaOrigin: c.schemaOrigin, schemaLabel: c.schemaLabel, order: c.order}
	if err := c.ext.apply(s, d.origin); err != nil {
		return nil, err
	}
	if errs := checkEvaluated(s, d.origin, c.attrPos); len(errs) > 0 {
		return nil, errs
	}
	switch engine {
	case MySQL, MariaDB:
		if opts.Charset != "" && !hasAttr[*atlas.Charset](s.Attrs) {
			s.Attrs = append(s.Attrs, &atlas.Charset{V: opts.Charset})
		}
		if opts.Collation != "" && !hasAttr[*atlas.Collation](s.Attrs) {
			s.Attrs = append(s.Attrs, &atlas.Collation{V: opts.Collation})
		}
	case SQLite:
		if err := d.adaptSQLite(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown engine %q", engine)
	}
	return d, nil
}

// SchemaLabel returns the label of the layers' schema block: tables refer
// to it as schema.<label>.
func (d *Desired) SchemaLabel() string { return d.schemaLabel }

// Engine returns the engine the schema was composed for.
func (d *Desired) Engine() Engine { return d.engine }

// Tables returns the names of the desired tables, sorted.
func (d *Desired) Tables() []string {
	names := make([]string, len(d.schema.Tables))
	for i, t := range d.schema.Tables {
		names[i] = t.Name
	}
	sort.Strings(names)
	return names
}

// TableOrigin returns where table is first defined.
func (d *Desired) TableOrigin(table string) (Origin, bool) {
	o, ok := d.origins[objectKey{Kind: "table", Table: table}]
	return o, ok
}

// ColumnOrigin returns where a column of table is defined.
func (d *Desired) ColumnOrigin(table, column string) (Origin, bool) {
	o, ok := d.origins[objectKey{Kind: "column", Table: table, Name: column}]
	return o, ok
}

// origin returns where an object is defined, falling back to its table and
// then to the schema block.
func (d *Desired) origin(k objectKey) Origin {
	if o, ok := d.origins[k]; ok {
		return o
	}
	if o, ok := d.removed[k]; ok {
		return o
	}
	if o, ok := d.origins[objectKey{Kind: "table", Table: k.Table}]; ok {
		return o
	}
	return d.schemaOrigin
}

// copyFor returns a deep copy of the desired schema named name.
func (d *Desired) copyFor(name string) *atlas.Schema {
	return copySchema(d.schema, name)
}

func hasAttr[T atlas.Attr](attrs []atlas.Attr) bool {
	for _, a := range attrs {
		if _, ok := a.(T); ok {
			return true
		}
	}
	return false
}
