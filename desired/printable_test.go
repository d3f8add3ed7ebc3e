package desired

import (
	"strconv"
	"strings"
	"testing"
)

// TestProblemsArePrintable: a message that quotes the repository — a
// mapping key, a server name, a template or module that does not exist —
// holds no terminal escape, line break, bidirectional override or
// zero-width character: each is written as its Go escape, in Field and
// Msg (which validate's JSON, markdown and the landlord database read) as
// in Error. Printed raw, "\x1b[2J" cleared the terminal of whoever ran
// landlord validate, and a line break forged a second error line.
func TestProblemsArePrintable(t *testing.T) {
	r := load(t, repoFS(map[string]string{
		"landlord.yaml":     "servers:\n  primary:\n    url: sqlite://tenants\n  \"ev\\e[2Jil\\u202e\":\n    url: sqlite://x\n\"po\\e[31mlicy\": 1\n",
		"tenants/acme.yaml": "slug: acme\ntemplate: \"pa\\nrty\"\nmodules: [election, \"x\\e]0;pwned\\ay\", \"z\\u200bw\"]\n",
		"tenants/beta.yaml": "slug: beta\ntemplate: party\nmodules: [election]\n\"k\\e[1mey\": 2\n",
	}), LoadOptions{})
	problems := r.Problems()
	if len(problems) < 5 {
		t.Fatalf("%d problems, want one for each hostile text: %s", len(problems), problems)
	}
	bad := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && !strconv.IsPrint(r) })
	}
	for _, e := range problems {
		if bad(e.Field) || bad(e.Msg) || bad(e.Error()) {
			t.Errorf("%s:%d: field %q, message %q: not printable", e.File, e.Line, e.Field, e.Msg)
		}
	}
	for _, want := range []string{`servers.ev\x1b[2Jil\u202e: server name`, `po\x1b[31mlicy: unknown field`, `k\x1b[1mey: unknown field`,
		`(no layers/templates/pa\nrty/template.yaml)`, `(no layers/modules/x\x1b]0;pwned\ay/module.yaml)`, `(no layers/modules/z\u200bw/module.yaml)`} {
		if !strings.Contains(problems.Error(), want) {
			t.Errorf("errors:\n%s\nwant %s", problems.Error(), want)
		}
	}
}
