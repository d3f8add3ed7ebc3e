package schema

import (
	"slices"

	atlas "ariga.io/atlas/sql/schema"
)

// Loss is the data a destructive statement can destroy: the rows of a
// whole table, or the values of some of its columns.
type Loss struct {
	Table string
	// Columns whose values can be lost; empty when the whole table can.
	Columns []string
}

// Loss returns what the statement can destroy, and false when it destroys
// no data (a dropped index or foreign key, a dropped ON UPDATE).
func (s Statement) Loss() (Loss, bool) {
	if !s.Destructive {
		return Loss{}, false
	}
	switch c := s.source.(type) {
	case *atlas.DropTable:
		return Loss{Table: c.T.Name}, true
	case *atlas.ModifyTable:
		l := Loss{Table: c.T.Name}
		for _, sc := range c.Changes {
			switch sc := sc.(type) {
			case *atlas.DropColumn:
				l.Columns = append(l.Columns, sc.C.Name)
			case *atlas.ModifyColumn:
				if lossyColumn(sc) && !slices.Contains(l.Columns, sc.From.Name) {
					l.Columns = append(l.Columns, sc.From.Name)
				}
			case *atlas.DropPrimaryKey, *atlas.ModifyPrimaryKey, *atlas.AddPrimaryKey:
				// Rows may collide or be rekeyed: keep them all.
				return Loss{Table: c.T.Name}, true
			}
		}
		return l, len(l.Columns) > 0
	}
	return Loss{}, false
}

// lossyColumn reports whether a column change can lose values (not only
// attributes such as ON UPDATE).
func lossyColumn(c *atlas.ModifyColumn) bool {
	for _, why := range destructiveReasons(c) {
		if len(why) >= 7 && why[:7] == "changes" {
			return true
		}
	}
	return false
}

// Server returns the server of the target.
func (t *Target) Server() *Server { return t.server }
