package schema

import (
	"fmt"
	"testing"
)

// TestNormalTypeKept: normalType answers as normalizeType does, from its
// memory or not, and keeps at most maxNormalTypes spellings.
func TestNormalTypeKept(t *testing.T) {
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
