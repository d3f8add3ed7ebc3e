package testenv

import "unicode/utf8"

// RawUnprintable returns the first character of s that is a control
// character (but a line break or a tab of the output's own layout), a
// bidirectional override, isolate or mark, or a byte that is not UTF-8,
// and false when there is none: for tests that check that output naming
// objects of a live database escapes them (internal/printable).
func RawUnprintable(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20, r >= 0x7f && r < 0xa0, r == utf8.RuneError:
			return r, true
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
			return r, true
		}
	}
	return 0, false
}
