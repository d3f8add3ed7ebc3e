// Package printable renders text that landlord did not write itself (names
// of a live database, messages quoting a repository) so that it cannot
// rewrite a terminal or a log: every character that is not printable is
// written as its Go escape.
//
// What is not printable: C0 and C1 control characters (terminal escapes
// start with ESC, U+001B, or CSI, U+009B), line breaks and carriage
// returns, bidirectional overrides and isolates (U+202A to U+202E, U+2066
// to U+2069), zero-width and other format characters, and bytes that are
// not UTF-8: everything strconv.IsPrint refuses but the space. Printed
// raw, such a name could hide a line, forge one ("no changes"), or read
// backwards.
//
// It imports nothing of landlord.
package printable

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Text is s with every character that is not printable written as its Go
// escape: \x1b, \r, \n, \u202e, and \xff for a byte that is not UTF-8. A
// printable s is returned as it is. A backslash of s stays as it is: the
// escapes are for a reader, not to be parsed back.
func Text(s string) string { return escape(s, false) }

// Lines is Text but for the line breaks and tabs of s, which stay: for
// text of several lines that landlord lays out itself, such as an error
// whose lines it indents.
func Lines(s string) string { return escape(s, true) }

// SQL is the statement s with Text applied to what it quotes in
// backquotes (names, whose line breaks are escaped) and Lines to the rest
// (the statement's own line breaks and tabs stay). A doubled backquote in
// a name ends and starts a quote at once, so it stays inside.
func SQL(s string) string {
	parts := strings.Split(s, "`")
	for i, p := range parts {
		if i%2 == 1 {
			parts[i] = Text(p)
		} else {
			parts[i] = Lines(p)
		}
	}
	return strings.Join(parts, "`")
}

func unprintable(r rune, lines bool) bool {
	if lines && (r == '\n' || r == '\t') {
		return false
	}
	return r != ' ' && !strconv.IsPrint(r)
}

func escape(s string, lines bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		bad := r == utf8.RuneError && n == 1
		if !bad && !unprintable(r, lines) {
			if b.Len() > 0 {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s) + 8)
			b.WriteString(s[:i])
		}
		if bad {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		} else {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}

// JSON is the JSON text b with every character that is not printable and
// not ASCII written as a \u escape (a pair of them beyond U+FFFF), and
// DEL as \u007f. encoding/json escapes the other control characters but
// writes bidirectional overrides raw; outside its strings JSON holds only
// ASCII, so the escapes change no value the text decodes to. b is
// returned as it is when there is nothing to escape.
func JSON(b []byte) []byte {
	needs := func(r rune) bool { return r >= 0x7f && r != utf8.RuneError && !strconv.IsPrint(r) }
	i := strings.IndexFunc(string(b), needs)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+12)
	out = append(out, b[:i]...)
	for rest := b[i:]; len(rest) > 0; {
		r, n := utf8.DecodeRune(rest)
		switch {
		case needs(r) && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		case needs(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, rest[:n]...)
		}
		rest = rest[n:]
	}
	return out
}

// Writer returns a writer that writes to w what it is given, with Lines
// applied to each write: a last guard for text output, whose own line
// breaks and tabs pass. A character split between two writes is written
// as the escapes of its bytes.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (w writer) Write(p []byte) (int, error) {
	s := Lines(string(p))
	if _, err := io.WriteString(w.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// JSONWriter returns a writer that writes to w what it is given, with
// JSON applied to each write: for a stream of JSON texts, one per write,
// such as slog's JSONHandler writes.
func JSONWriter(w io.Writer) io.Writer { return jsonWriter{w} }

type jsonWriter struct{ w io.Writer }

func (w jsonWriter) Write(p []byte) (int, error) {
	if _, err := w.w.Write(JSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
