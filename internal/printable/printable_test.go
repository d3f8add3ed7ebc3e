package printable

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, text, lines string }{
		{"members", "members", "members"},
		{"a b", "a b", "a b"},
		{"v\x1b[2J\rok", `v\x1b[2J\rok`, `v\x1b[2J\rok`},
		{"line\none\tx", `line\none\tx`, "line\none\tx"},
		{"exe\u202etxt.\u2066\u2069", `exe\u202etxt.\u2066\u2069`, `exe\u202etxt.\u2066\u2069`},
		{"c1\u009b31m", `c1\u009b31m`, `c1\u009b31m`},
		{"bad\xff", `bad\xff`, `bad\xff`},
		{"zero\u200bwidth", `zero\u200bwidth`, `zero\u200bwidth`},
		{"नेपाली", "नेपाली", "नेपाली"},
	} {
		if got := Text(tc.in); got != tc.text {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.text)
		}
		if got := Lines(tc.in); got != tc.lines {
			t.Errorf("Lines(%q) = %q, want %q", tc.in, got, tc.lines)
		}
	}
}

func TestJSON(t *testing.T) {
	in := map[string]string{"name": "tbl\u202eexe\x1b\U000e0001 नेपाली\u007f"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got := JSON(b)
	if want := `{"name":"tbl\u202eexe\u001b\udb40\udc01 नेपाली\u007f"}`; string(got) != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal(got, &back); err != nil || back["name"] != in["name"] {
		t.Errorf("decodes to %q (%v), want %q", back["name"], err, in["name"])
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := Writer(&b)
	if _, err := w.Write([]byte("a\tb\x1b[1A\n")); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "a\tb\\x1b[1A\n"; got != want {
		t.Errorf("Writer wrote %q, want %q", got, want)
	}
}

func TestSQL(t *testing.T) {
	in := "ALTER TABLE `t\nx`\n\tDROP COLUMN `a``b\x1b`, -- \u202e"
	want := "ALTER TABLE `t\\nx`\n\tDROP COLUMN `a``b\\x1b`, -- \\u202e"
	if got := SQL(in); got != want {
		t.Errorf("SQL(%q) = %q, want %q", in, got, want)
	}
}
