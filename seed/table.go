package seed

import "strings"

// Kind is the kind of value a column takes.
type Kind int

// The kinds of columns seed generates values for.
const (
	Other Kind = iota
	Int
	Bool
	Decimal
	Float
	String
	Text
	Date
	DateTime
	Time
	Enum
	JSON
)

// Column is what seed knows of a column of a table.
type Column struct {
	Name string
	Kind Kind
	// Size bounds a string's characters (0: no bound known).
	Size int
	// Min and Max bound an integer column.
	Min, Max int64
	// Precision and Scale of a decimal column.
	Precision, Scale int
	// Values of an enum column.
	Values        []string
	Nullable      bool
	AutoIncrement bool
	// Default is the column's literal default, if it has one.
	Default *string
}

// ForeignKey is a foreign key of a table.
type ForeignKey struct {
	Columns    []string
	RefTable   string
	RefColumns []string
}

// Table is what seed knows of a table the desired schema declares.
type Table struct {
	Name        string
	Columns     []Column
	Key         []string
	Unique      [][]string
	ForeignKeys []ForeignKey
}

func (t *Table) column(name string) (*Column, bool) {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i], true
		}
	}
	return nil, false
}

// fkOf returns the foreign key a column is part of, if any.
func (t *Table) fkOf(col string) (*ForeignKey, bool) {
	for i := range t.ForeignKeys {
		for _, c := range t.ForeignKeys[i].Columns {
			if c == col {
				return &t.ForeignKeys[i], true
			}
		}
	}
	return nil, false
}

// keyed reports whether cols is the table's primary key or one of its
// unique keys (so a value of them names one row).
func (t *Table) keyed(cols []string) bool {
	sig := strings.Join(cols, ",")
	if strings.Join(t.Key, ",") == sig {
		return true
	}
	for _, u := range t.Unique {
		if strings.Join(u, ",") == sig {
			return true
		}
	}
	return false
}
