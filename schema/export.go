package schema

import (
	"fmt"
	"sort"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
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
