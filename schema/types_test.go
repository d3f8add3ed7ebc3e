package schema

import (
	"fmt"
	"testing"
)

// TestNormalTypeKept: normalType answers as normalizeType does, from its
// memory or not, and keeps at most maxNormalTypes spellings.
func TestNormalTypeKept(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"INT(11)": "int", "int(10) unsigned": "int unsigned", "BOOLEAN": "tinyint(1)", "integer": "int",
		"numeric(8)": "decimal(8,0)", "decimal": "decimal(10,0)", "bigint(20) zerofill": "bigint zerofill",
		"year(4)": "year", "varchar(64)": "varchar(64)", "double  precision": "double",
	} {
		for range 2 { // computed, then kept
			if got := normalType(in); got != want {
				t.Errorf("normalType(%q) = %q, want %q", in, got, want)
			}
		}
	}
	for i := range maxNormalTypes + 100 {
		s := fmt.Sprintf("varchar(%d)", i)
		if got := normalType(s); got != s {
			t.Fatalf("normalType(%q) = %q", s, got)
		}
	}
	normalTypes.RLock()
	n := len(normalTypes.m)
	normalTypes.RUnlock()
	if n > maxNormalTypes {
		t.Errorf("normalType keeps %d spellings, bound %d", n, maxNormalTypes)
	}
	if got := normalType("INT(11) UNSIGNED ZEROFILL"); got != "int(11) unsigned zerofill" {
		t.Errorf("beyond the bound: normalType = %q", got)
	}
}

// String literals in expressions compare by value: every spelling the
// server reads as the same string is equal, and no two strings are.
func TestNormExprLiterals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{`c <> 'it''s'`, "`c` <> 'it\\'s'", true},
		{`c <> "it's"`, "`c` <> 'it\\'s'", true},
		{`c <> "say ""hi"""`, `c <> 'say "hi"'`, true},
		{`c = 'a\nb'`, "c = 'a\nb'", true},
		{`c LIKE 'x\%'`, `c LIKE 'x\%'`, true},
		{`c LIKE 'x\%'`, `c LIKE 'x%'`, false},
		{`c = 'a\\b'`, `c = 'ab'`, false},
		{`c = 'it''s'`, `c = 'its'`, false},
		{`c = 'A'`, `c = 'a'`, false},
		{`c = 'a'`, `c = 'a`, false},
	} {
		if got := normExpr(tc.a) == normExpr(tc.b); got != tc.same {
			t.Errorf("%s and %s: same %v, want %v (%s, %s)", tc.a, tc.b, got, tc.same, normExpr(tc.a), normExpr(tc.b))
		}
	}
}
