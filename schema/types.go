package schema

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
)

// Atlas's MySQL model keeps of a column type only what it plans with:
// mysql.ParseType drops display widths, zerofill, the scale of float(M,D),
// the unsigned of tinyint(1) (it becomes bool) and column compression, and
// mysql.FormatType writes a type from its name and Unsigned only. landlord
// keeps the whole spelling, as the server shows it, in the type's name
// (T): FormatType writes it back verbatim, so CREATE TABLE, ADD COLUMN and
// MODIFY COLUMN carry every attribute, and landlord's own comparison
// (typeSpelling) decides whether a type changed. Such a type is "spelled".

// spelledType returns the type of a column whose server spelling is
// spelling (lower case, as SHOW CREATE TABLE writes it after the name,
// with "compressed" for MariaDB's compressed columns), and invisible when
// the column is. It returns nil when Atlas's own model of it is exact.
func spelledType(spelling string, invisible bool) (atlas.Type, error) {
	spelling = strings.Join(strings.Fields(strings.ToLower(spelling)), " ")
	if spelling == "" {
		return nil, nil
	}
	base := strings.TrimSpace(strings.TrimSuffix(spelling, " compressed"))
	t, err := mysql.ParseType(base)
	if err != nil {
		return nil, fmt.Errorf("type %q: %w", spelling, err)
	}
	if !invisible && base == spelling {
		if f, err := mysql.FormatType(t); err == nil && normalType(f) == normalType(spelling) {
			return nil, nil
		}
	}
	full := spelling
	if invisible {
		full += " invisible"
	}
	switch t := t.(type) {
	case *atlas.IntegerType:
		return &atlas.IntegerType{T: full}, nil
	case *atlas.BoolType:
		return &atlas.IntegerType{T: full}, nil
	case *atlas.FloatType:
		return &atlas.FloatType{T: full, Precision: t.Precision}, nil
	case *atlas.DecimalType:
		// FormatType refuses any other name than decimal or numeric:
		// a zerofill decimal is seen by the DDL comparison only.
		return nil, nil
	case *atlas.StringType:
		return &atlas.StringType{T: full, Size: t.Size}, nil
	case *atlas.BinaryType:
		return &atlas.BinaryType{T: full, Size: t.Size}, nil
	case *atlas.EnumType, *mysql.SetType:
		// FormatType writes enums and sets from their values alone: an
		// invisible one cannot be spelled (the DDL comparison still sees
		// it).
		return nil, nil
	case *atlas.TimeType:
		// The precision is in the spelling.
		return &atlas.TimeType{T: full}, nil
	case *atlas.JSONType:
		return &atlas.JSONType{T: full}, nil
	case *atlas.SpatialType:
		return &atlas.SpatialType{T: full}, nil
	}
	return nil, nil
}

// isSpelled reports whether a type carries a landlord spelling.
func isSpelled(t atlas.Type) bool {
	switch t := t.(type) {
	case *atlas.IntegerType:
		return strings.ContainsAny(t.T, "( ")
	case *atlas.FloatType:
		return strings.ContainsAny(t.T, "( ")
	case *atlas.StringType:
		return strings.Contains(t.T, " ") || strings.Contains(t.T, "(")
	case *atlas.BinaryType:
		return strings.Contains(t.T, " ") || strings.Contains(t.T, "(")
	case *atlas.TimeType:
		return strings.Contains(t.T, " ")
	case *atlas.JSONType:
		return strings.Contains(t.T, " ")
	case *atlas.SpatialType:
		return strings.Contains(t.T, " ")
	}
	return false
}

// typeSpelling returns how the server spells a column type, normalized so
// that two spellings of one type compare equal: lower case, default
// display widths dropped (int(11) is int), bool is tinyint(1), decimal(M)
// is decimal(M,0). Display widths are compared only where the server keeps
// them (MariaDB; MySQL 8 drops them but for tinyint(1) and zerofill).
func typeSpelling(engine Engine, t atlas.Type) string {
	s, err := mysql.FormatType(t)
	if err != nil {
		return fmt.Sprintf("%T", t)
	}
	s = normalType(s)
	if engine == MySQL && !strings.Contains(s, "zerofill") {
		s = intWidth.ReplaceAllStringFunc(s, func(m string) string {
			if m == "tinyint(1)" {
				return m
			}
			return m[:strings.Index(m, "(")]
		})
	}
	return s
}

var (
	intWidth     = regexp.MustCompile(`\b(tinyint|smallint|mediumint|int|bigint)\(\d+\)`)
	defaultWidth = map[string][2]int{ // signed, unsigned
		"tinyint": {4, 3}, "smallint": {6, 5}, "mediumint": {9, 8}, "int": {11, 10}, "bigint": {20, 20},
	}
)

// normalType normalizes a type spelling for comparison. Plans and
// comparisons normalize every column's type of both schemas, the same few
// dozen spellings over a fleet: the results are kept, up to
// maxNormalTypes spellings (beyond, normalType computes without keeping).
func normalType(s string) string {
	normalTypes.RLock()
	n, ok := normalTypes.m[s]
	normalTypes.RUnlock()
	if ok {
		return n
	}
	n = normalizeType(s)
	normalTypes.Lock()
	if normalTypes.m == nil {
		normalTypes.m = map[string]string{}
	}
	if len(normalTypes.m) < maxNormalTypes {
		normalTypes.m[s] = n
	}
	normalTypes.Unlock()
	return n
}

// normalTypes are the spellings normalType has normalized.
var normalTypes struct {
	sync.RWMutex
	m map[string]string
}

// maxNormalTypes bounds normalTypes.
const maxNormalTypes = 4096

// normalizeType is normalType without its memory.
func normalizeType(s string) string {
	s = strings.Join(strings.Fields(strings.ToLower(s)), " ")
	switch {
	case s == "bool" || s == "boolean":
		return "tinyint(1)"
	case strings.HasPrefix(s, "integer"):
		s = "int" + strings.TrimPrefix(s, "integer")
	case strings.HasPrefix(s, "numeric"):
		s = "decimal" + strings.TrimPrefix(s, "numeric")
	case strings.HasPrefix(s, "double precision"):
		s = "double" + strings.TrimPrefix(s, "double precision")
	case s == "year(4)":
		return "year"
	}
	unsigned := strings.Contains(s, " unsigned") || strings.Contains(s, " zerofill")
	if m := intWidth.FindStringSubmatchIndex(s); m != nil {
		name := s[m[2]:m[3]]
		var w int
		fmt.Sscanf(s[m[3]+1:], "%d", &w)
		def := defaultWidth[name][0]
		if unsigned {
			def = defaultWidth[name][1]
		}
		if w == def {
			s = s[:m[3]] + s[m[1]:]
		}
	}
	if rest, ok := strings.CutPrefix(s, "decimal("); ok && !strings.Contains(strings.SplitN(rest, ")", 2)[0], ",") {
		p, tail, _ := strings.Cut(rest, ")")
		s = "decimal(" + p + ",0)" + tail
	} else if s == "decimal" || strings.HasPrefix(s, "decimal ") {
		s = "decimal(10,0)" + strings.TrimPrefix(s, "decimal")
	}
	return s
}

// plainType returns the type Atlas's model has for a possibly spelled
// type: what its comparisons of kinds (narrowing, SQLite types) read.
func plainType(t atlas.Type) atlas.Type {
	if !isSpelled(t) {
		return t
	}
	spelling, err := mysql.FormatType(t)
	if err != nil {
		return t
	}
	spelling = strings.TrimSuffix(spelling, " invisible")
	spelling = strings.TrimSuffix(spelling, " compressed")
	p, err := mysql.ParseType(spelling)
	if err != nil {
		return t
	}
	return p
}
