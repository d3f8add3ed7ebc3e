package schema

import (
	"fmt"
	"sort"
	"strings"
)

// AttrDiff is one attribute of one object that differs between two
// tables' DDL: a base (the desired schema, or the baseline snapshot) and
// live.
type AttrDiff struct {
	Object
	// Change is Added (the object is only live), Removed (only in base)
	// or Modified.
	Change string `json:"change"`
	// Attribute that differs ("type", "default", "ROW_FORMAT", "order",
	// ...); empty for a whole object added or removed.
	Attribute string `json:"attribute,omitempty"`
	// From is the base value, To the live one ("" when not set).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Managed is false for attributes landlord neither plans nor heals
	// (see the README's table): they are reported as warnings.
	Managed bool `json:"managed"`
}

func (d AttrDiff) String() string {
	switch {
	case d.Attribute == "" && d.Change == Added:
		return fmt.Sprintf("%s: only live: %s", d.Object, d.To)
	case d.Attribute == "" && d.Change == Removed:
		return fmt.Sprintf("%s: missing live: %s", d.Object, d.From)
	}
	return fmt.Sprintf("%s: %s %s → %s", d.Object, d.Attribute, orNone(d.From), orNone(d.To))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// unmanagedOptions are the table options landlord does not plan: they
// name places on one server (directories, tablespaces, remote servers) or
// MERGE tables' members. Every other option the server shows is managed
// through a table's options attribute.
var unmanagedOptions = map[string]bool{
	"DATA DIRECTORY": true, "INDEX DIRECTORY": true, "TABLESPACE": true, "UNION": true, "CONNECTION": true,
	"STORAGE": true, "WITH": true, "SYSTEM": true, "VERSIONING": true, "ENGINE_ATTRIBUTE": true,
	"SECONDARY_ENGINE_ATTRIBUTE": true,
}

// unmanagedElementAttrs are the attributes of columns and keys landlord
// does not plan: an index's own KEY_BLOCK_SIZE, whether it is IGNORED
// (MariaDB) or INVISIBLE (MySQL), and any word the parser does not know.
var unmanagedElementAttrs = map[string]bool{"key_block_size": true, "ignored": true, "other": true}

// CompareDDL returns how live differs from base, attribute by attribute.
// Column order is compared too (attribute "order", not managed: columns a
// later revision adds are appended live).
func CompareDDL(base, live *TableDDL) []AttrDiff {
	var out []AttrDiff
	table := base.Name
	elements := func(es []Element) map[string]Element {
		m := make(map[string]Element, len(es))
		for _, e := range es {
			m[e.Kind+"\x00"+e.Name] = e
		}
		return m
	}
	for _, pair := range [][2][]Element{{base.Columns, live.Columns}, {base.Keys, live.Keys}, {base.Constraints, live.Constraints}} {
		b, l := elements(pair[0]), elements(pair[1])
		for _, k := range sortedKeys(b, l) {
			be, inBase := b[k]
			le, inLive := l[k]
			obj := elementObject(table, be, le)
			switch {
			case !inLive:
				out = append(out, AttrDiff{Object: obj, Change: Removed, From: be.Def, Managed: true})
			case !inBase:
				out = append(out, AttrDiff{Object: obj, Change: Added, To: le.Def, Managed: true})
			case be.Def != le.Def:
				for _, a := range sortedKeys(be.Attrs, le.Attrs) {
					if be.Attrs[a] != le.Attrs[a] {
						out = append(out, AttrDiff{Object: obj, Change: Modified, Attribute: a, From: be.Attrs[a], To: le.Attrs[a], Managed: !unmanagedElementAttrs[a]})
					}
				}
			}
		}
	}
	if bo, lo := columnOrder(base, live); bo != lo {
		out = append(out, AttrDiff{Object: Object{Kind: KindTable, Table: table}, Change: Modified, Attribute: "order", From: bo, To: lo})
	}
	for _, k := range sortedKeys(base.Options, live.Options) {
		bv, inBase := base.Options[k]
		lv, inLive := live.Options[k]
		if bv == lv && inBase == inLive {
			continue
		}
		out = append(out, AttrDiff{Object: Object{Kind: KindTable, Table: table}, Change: Modified, Attribute: k, From: bv, To: lv, Managed: !unmanagedOptions[k]})
	}
	if base.Partition != live.Partition {
		out = append(out, AttrDiff{Object: Object{Kind: KindTable, Table: table}, Change: Modified, Attribute: "partition", From: base.Partition, To: live.Partition, Managed: true})
	}
	return out
}

// columnOrder returns the order of the columns both tables have, in each.
func columnOrder(base, live *TableDDL) (string, string) {
	in := func(t *TableDDL) map[string]bool {
		m := map[string]bool{}
		for _, c := range t.Columns {
			m[c.Name] = true
		}
		return m
	}
	bin, lin := in(base), in(live)
	var b, l []string
	for _, c := range base.Columns {
		if lin[c.Name] {
			b = append(b, c.Name)
		}
	}
	for _, c := range live.Columns {
		if bin[c.Name] {
			l = append(l, c.Name)
		}
	}
	return strings.Join(b, ", "), strings.Join(l, ", ")
}

func elementObject(table string, a, b Element) Object {
	e := a
	if e.Kind == "" {
		e = b
	}
	o := Object{Kind: e.Kind, Table: table, Name: e.Name}
	if e.Kind == KindPrimaryKey {
		o.Name = ""
	}
	return o
}

func sortedKeys[V any](ms ...map[string]V) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}
