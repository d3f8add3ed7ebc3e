package schema

import (
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
)

// hashVersion starts every hash's input: a hash is comparable only with a
// hash of the same encoding. It changes whenever the encoding does.
const hashVersion = "landlord schema hash 2\n"

// writeCanonical writes s, sorted by sortSchema, to w as stable text: the
// schema's attributes, then each table with every field of Atlas's model
// (columns, types, defaults, indexes and their parts, primary key, foreign
// keys, checks, comments, charsets, collations, options and whatever
// driver-specific attribute inspection put there), walked by reflection so
// that no attribute is left out. Pointers to other objects of the schema
// (a foreign key's tables and columns, an index part's column) are written
// as their names. Attributes are written sorted, so their order does not
// count; AUTO_INCREMENT counters are data and left out.
//
// It replaces a marshal to HCL, which spends most of its time formatting
// text that only a hash reads.
func writeCanonical(w io.Writer, s *atlas.Schema) {
	e := &canonical{}
	e.str("schema")
	e.attrs(s.Attrs, false)
	for _, t := range s.Tables {
		e.str("\ntable ")
		e.str(strconv.Quote(t.Name))
		e.attrs(t.Attrs, true)
		for _, c := range t.Columns {
			e.str("\n column ")
			e.str(strconv.Quote(c.Name))
			if c.Type != nil {
				e.str(" null=")
				e.str(strconv.FormatBool(c.Type.Null))
				e.str(" raw=")
				e.str(strconv.Quote(c.Type.Raw))
				e.str(" type=")
				e.value(reflect.ValueOf(&c.Type.Type).Elem())
			}
			e.str(" default=")
			e.value(reflect.ValueOf(&c.Default).Elem())
			e.attrs(c.Attrs, false)
		}
		if t.PrimaryKey != nil {
			e.str("\n primary")
			e.index(t.PrimaryKey)
		}
		for _, idx := range t.Indexes {
			e.str("\n index")
			e.index(idx)
		}
		for _, fk := range t.ForeignKeys {
			e.str("\n fk ")
			e.str(strconv.Quote(fk.Symbol))
			e.str(" (")
			for _, c := range fk.Columns {
				e.ref(c)
			}
			e.str(") ")
			e.ref(fk.RefTable)
			e.str(" (")
			for _, c := range fk.RefColumns {
				e.ref(c)
			}
			e.str(") update=")
			e.str(string(fk.OnUpdate))
			e.str(" delete=")
			e.str(string(fk.OnDelete))
			e.attrs(fk.Attrs, false)
		}
	}
	w.Write(e.b)
}

type canonical struct {
	b     []byte
	depth int
}

func (e *canonical) str(s string) { e.b = append(e.b, s...) }

func (e *canonical) index(idx *atlas.Index) {
	e.str(" ")
	e.str(strconv.Quote(idx.Name))
	e.str(" unique=")
	e.str(strconv.FormatBool(idx.Unique))
	e.attrs(idx.Attrs, false)
	for _, p := range idx.Parts {
		e.str(" part(")
		e.str(strconv.Itoa(p.SeqNo))
		if p.Desc {
			e.str(" desc")
		}
		if p.C != nil {
			e.str(" ")
			e.ref(p.C)
		}
		if p.X != nil {
			e.str(" x=")
			e.value(reflect.ValueOf(&p.X).Elem())
		}
		e.attrs(p.Attrs, false)
		e.str(")")
	}
}

// ref writes the name of an object of the schema.
func (e *canonical) ref(v any) {
	switch v := v.(type) {
	case *atlas.Column:
		if v != nil {
			e.str(strconv.Quote(v.Name))
			return
		}
	case *atlas.Table:
		if v != nil {
			e.str(strconv.Quote(v.Name))
			return
		}
	}
	e.str("nil")
}

// attrs writes attributes sorted by their text. AUTO_INCREMENT counters
// are left out.
func (e *canonical) attrs(attrs []atlas.Attr, table bool) {
	if len(attrs) == 0 {
		return
	}
	texts := make([]string, 0, len(attrs))
	for _, a := range attrs {
		switch a.(type) {
		case *mysql.AutoIncrement, *sqlite.AutoIncrement:
			// On a column it says AUTO_INCREMENT; its value, there and
			// on the table, is the counter: data.
			if !table {
				texts = append(texts, reflect.TypeOf(a).String())
			}
			continue
		case *sqlite.File:
			continue // where the database is, not what it is
		}
		sub := canonical{}
		sub.value(reflect.ValueOf(&a).Elem())
		texts = append(texts, string(sub.b))
	}
	sort.Strings(texts)
	e.str(" attrs[")
	e.str(strings.Join(texts, " "))
	e.str("]")
}

// refTypes are the objects written as references by name.
var refTypes = map[reflect.Type]bool{
	reflect.TypeOf(atlas.Realm{}):      true,
	reflect.TypeOf(atlas.Schema{}):     true,
	reflect.TypeOf(atlas.Table{}):      true,
	reflect.TypeOf(atlas.View{}):       true,
	reflect.TypeOf(atlas.Column{}):     true,
	reflect.TypeOf(atlas.Index{}):      true,
	reflect.TypeOf(atlas.ForeignKey{}): true,
	reflect.TypeOf(atlas.Trigger{}):    true,
}

// value writes any value of Atlas's model (a type, an expression, an
// attribute) with its type's name and every field.
func (e *canonical) value(v reflect.Value) {
	if e.depth > 32 {
		e.str("…") // no value of the model nests this deep: a cycle
		return
	}
	e.depth++
	defer func() { e.depth-- }()
	switch v.Kind() {
	case reflect.Invalid:
		e.str("nil")
	case reflect.Interface:
		if v.IsNil() {
			e.str("nil")
			return
		}
		e.value(v.Elem())
	case reflect.Pointer:
		if v.IsNil() {
			e.str("nil")
			return
		}
		if refTypes[v.Type().Elem()] {
			e.str("&")
			if n := v.Elem().FieldByName("Name"); n.IsValid() && n.Kind() == reflect.String {
				e.str(strconv.Quote(n.String()))
			} else if n := v.Elem().FieldByName("Symbol"); n.IsValid() && n.Kind() == reflect.String {
				e.str(strconv.Quote(n.String()))
			}
			return
		}
		e.value(v.Elem())
	case reflect.Struct:
		t := v.Type()
		e.str(t.String())
		e.str("{")
		for i := 0; i < v.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Interface && v.Field(i).IsNil() {
				continue // an embedded marker interface (schema.Attr, schema.Expr)
			}
			e.str(f.Name)
			e.str(":")
			e.value(v.Field(i))
			e.str(" ")
		}
		e.str("}")
	case reflect.Slice, reflect.Array:
		e.str("[")
		for i := 0; i < v.Len(); i++ {
			e.value(v.Index(i))
			e.str(",")
		}
		e.str("]")
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		vals := map[string]reflect.Value{}
		for it := v.MapRange(); it.Next(); {
			k := canonical{}
			k.value(it.Key())
			keys = append(keys, string(k.b))
			vals[string(k.b)] = it.Value()
		}
		sort.Strings(keys)
		e.str("map[")
		for _, k := range keys {
			e.str(k)
			e.str(":")
			e.value(vals[k])
			e.str(",")
		}
		e.str("]")
	case reflect.String:
		e.str(strconv.Quote(v.String()))
	case reflect.Bool:
		e.str(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.str(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.str(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		e.str(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	default:
		// Funcs and channels carry no schema.
		e.str(v.Kind().String())
	}
}
