package schema

import (
	"testing"

	atlas "ariga.io/atlas/sql/schema"
)

// A diff rewrites integer types in place (mysql's typeChanged strips the
// display width): a copy must not share them with the original, which
// other tenants' plans read at the same time.
func TestCopySchemaCopiesTypes(t *testing.T) {
	t.Parallel()
	it := &atlas.IntegerType{T: "int(11)"}
	s := &atlas.Schema{Name: "tenant"}
	s.Tables = []*atlas.Table{{Name: "t", Schema: s, Columns: []*atlas.Column{{Name: "n", Type: &atlas.ColumnType{Type: it}}}}}
	c := copySchema(s, "other")
	got, ok := c.Tables[0].Columns[0].Type.Type.(*atlas.IntegerType)
	if !ok || got == it || got.T != "int(11)" {
		t.Fatalf("copied type %#v: want an equal IntegerType of its own", c.Tables[0].Columns[0].Type.Type)
	}
	got.T = "int"
	if it.T != "int(11)" {
		t.Errorf("changing the copy's type changed the original: %q", it.T)
	}
}
