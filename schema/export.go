package schema

import (
	"fmt"
	"sort"
	"strings"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// LayerHCL writes objects of the live schema as a layer file: a table in
// objects (kind table) whole, and the columns, indexes, foreign keys, checks
// and primary keys in objects inside a block that redeclares their table
// with only them, which a later layer may do to extend a table. Tables say
// schema = schema.<label>. Objects the live schema does not have are
// returned in missing: a layer can add, not remove.
func (l *Live) LayerHCL(objects []Object, label string) (out []byte, missing []Object, err error) {
	if !isMySQLFamily(l.engine) {
		return nil, nil, fmt.Errorf("layer files are written in the MySQL dialect: %s schemas cannot be exported", l.engine)
	}
	s := copySchema(l.schema, label)
	s.Realm = &atlas.Realm{Schemas: []*atlas.Schema{s}}
	src, err := mysql.MarshalHCL(s)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal schema: %w", err)
	}
	f, diags := hclwrite.ParseConfig(src, "live.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("read marshalled schema: %w", diags)
	}
	blocks := map[string]*hclwrite.Block{}
	for _, b := range f.Body().Blocks() {
		if b.Type() == "table" && len(b.Labels()) == 1 {
			blocks[b.Labels()[0]] = b
		}
	}
	whole := map[string]bool{}
	parts := map[string]map[Object]bool{}
	for _, o := range objects {
		switch o.Kind {
		case KindTable:
			whole[o.Table] = true
		case KindColumn, KindIndex, KindForeignKey, KindCheck, KindPrimaryKey:
			if parts[o.Table] == nil {
				parts[o.Table] = map[Object]bool{}
			}
			parts[o.Table][o] = true
		default:
			missing = append(missing, o)
		}
	}
	var tables []string
	for t := range whole {
		tables = append(tables, t)
	}
	for t := range parts {
		if !whole[t] {
			tables = append(tables, t)
		}
	}
	sort.Strings(tables)
	out2 := hclwrite.NewEmptyFile()
	body := out2.Body()
	for i, name := range tables {
		b, ok := blocks[name]
		if !ok {
			for o := range parts[name] {
				missing = append(missing, o)
			}
			if whole[name] {
				missing = append(missing, Object{Kind: KindTable, Table: name})
			}
			continue
		}
		if i > 0 {
			body.AppendNewline()
		}
		if whole[name] {
			body.AppendBlock(b)
			continue
		}
		nb := body.AppendNewBlock("table", []string{name})
		if a := b.Body().GetAttribute("schema"); a != nil {
			nb.Body().SetAttributeRaw("schema", a.Expr().BuildTokens(nil))
		}
		found := map[Object]bool{}
		for _, child := range b.Body().Blocks() {
			o := Object{Table: name, Kind: child.Type()}
			if len(child.Labels()) == 1 {
				o.Name = child.Labels()[0]
			}
			if parts[name][o] {
				nb.Body().AppendBlock(child)
				found[o] = true
			}
		}
		for o := range parts[name] {
			if !found[o] {
				missing = append(missing, o)
			}
		}
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].String() < missing[j].String() })
	return hclwrite.Format(out2.Bytes()), missing, nil
}

// LayerFiles writes the whole live schema as layer files: the schema
// block and the tables of the first layer in one file, the tables for
// which second reports true in another (a later layer may reference the
// first's tables, and the reverse). landlord's own attributes carry what
// Atlas's HCL cannot: type spellings (sql("int(10) unsigned zerofill")),
// invisible columns, table options and partitioning. It is how an existing
// database (or an application's install SQL applied to a scratch one)
// becomes layers.
func (l *Live) LayerFiles(label string, second func(table string) bool) (first, rest []byte, err error) {
	if !isMySQLFamily(l.engine) {
		return nil, nil, fmt.Errorf("layer files are written in the MySQL dialect: %s schemas cannot be exported", l.engine)
	}
	s := copySchema(l.schema, label)
	spelled := map[[2]string]string{}
	invisible := map[[2]string]bool{}
	for _, t := range s.Tables {
		for _, c := range t.Columns {
			if c.Type == nil || !isSpelled(c.Type.Type) {
				continue
			}
			name, _ := mysql.FormatType(c.Type.Type)
			if n, ok := strings.CutSuffix(name, " invisible"); ok {
				invisible[[2]string{t.Name, c.Name}] = true
				name = n
			}
			if p, err := mysql.FormatType(plainType(c.Type.Type)); err != nil || normalType(p) != normalType(name) {
				spelled[[2]string{t.Name, c.Name}] = name
			}
		}
	}
	src, err := l.marshal(s)
	if err != nil {
		return nil, nil, err
	}
	f, diags := hclwrite.ParseConfig(src, "live.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("read marshalled schema: %w", diags)
	}
	one, two := hclwrite.NewEmptyFile(), hclwrite.NewEmptyFile()
	for _, b := range f.Body().Blocks() {
		out := one
		if b.Type() == "table" && len(b.Labels()) == 1 {
			table := b.Labels()[0]
			t, _ := s.Table(table)
			if t != nil {
				if o := optionsOf(t); len(o) > 0 {
					vals := map[string]cty.Value{}
					for k, v := range o {
						vals[strings.ToLower(k)] = cty.StringVal(v)
					}
					b.Body().SetAttributeValue("options", cty.ObjectVal(vals))
				}
				if p := partitionOf(t); p != "" {
					b.Body().SetAttributeValue("partition", cty.StringVal(p))
				}
			}
			for _, cb := range b.Body().Blocks() {
				if cb.Type() != "column" || len(cb.Labels()) != 1 {
					continue
				}
				k := [2]string{table, cb.Labels()[0]}
				if sp, ok := spelled[k]; ok {
					cb.Body().SetAttributeRaw("type", hclwrite.Tokens{{Type: hclsyntax.TokenIdent, Bytes: []byte(fmt.Sprintf("sql(%q)", sp))}})
					cb.Body().RemoveAttribute("unsigned")
				}
				if invisible[k] {
					cb.Body().SetAttributeValue("invisible", cty.True)
				}
			}
			if second != nil && second(table) {
				out = two
			}
		}
		out.Body().AppendBlock(b)
		out.Body().AppendNewline()
	}
	return hclwrite.Format(one.Bytes()), hclwrite.Format(two.Bytes()), nil
}
