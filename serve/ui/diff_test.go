package ui

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineDiff(t *testing.T) {
	ops := func(rows []diffRow) string {
		var b strings.Builder
		for _, r := range rows {
			b.WriteString(r.Op[:1])
		}
		return b.String()
	}
	for _, c := range []struct{ name, a, b, want string }{
		{"same", "a\nb", "a\nb", "ss"},
		{"removed", "a\nx\nb", "a\nb", "sds"},
		{"added", "a\nb", "a\nx\nb", "sas"},
		{"changed", "a\nx\nb", "a\ny\nb", "sms"},
		{"more removed than added", "a\nx\ny\nb", "a\nz\nb", "smds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(ops(lineDiff(c.a, c.b)), c.want); diff != "" {
				t.Error(diff)
			}
		})
	}
	rows := lineDiff("x\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10")
	got := fold(rows)
	if ops(got) != "dssssf" || got[5].Skipped != 6 {
		t.Errorf("folded %s (%+v), want one removal, 4 lines of context, then 6 lines folded", ops(got), got[len(got)-1])
	}
}
