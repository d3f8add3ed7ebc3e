package schema

import (
	"bytes"
	"fmt"
	"unicode"
)

// MaxFileSize bounds one layer file. HCL's parser keeps every token of a
// file, a few hundred bytes each, so a file of 1 MiB can cost it half a
// gigabyte; the schemas of real applications take tens of kilobytes.
const MaxFileSize = 512 << 10

// MaxNesting bounds how deeply a layer file may nest brackets, blocks,
// template interpolations, unary operators and conditionals. HCL's parser
// descends recursively, and a Go stack overflow is fatal, not an error that
// can be recovered: a file of a few hundred kilobytes of "(" would crash
// every command that parses it. Real schemas nest 4 or 5 levels deep.
const MaxNesting = 64

// MaxChain bounds the operators, traversals, indexes, splats and calls of
// one expression. The parser recurses into a chain of splats, and the
// evaluator into a chain of binary operators, one frame each: a file of
// a[*][*][*]… overflows the stack as surely as one of parentheses. Real
// expressions (column.id, sql("…"), [column.a, column.b]) have a few.
const MaxChain = 256

// CheckLimits checks a layer file against MaxFileSize, MaxNesting and
// MaxChain without parsing it, in constant memory and without recursion.
// Every function of this package that parses HCL calls it first.
func CheckLimits(f File) *SourceError {
	if len(f.Data) > MaxFileSize {
		return &SourceError{File: f.Path, Line: 1, Column: 1,
			Msg: fmt.Sprintf("file of %d bytes: a layer file may hold at most %d bytes", len(f.Data), MaxFileSize)}
	}
	return checkNesting(f)
}

// checkNesting reports the first place where f nests deeper than
// MaxNesting or chains more than MaxChain in one expression. It scans the
// bytes itself, in constant memory: HCL's own scanner keeps every token of
// the file, some hundreds of bytes each. It over-counts rather than
// under-counts (a "-" is counted as a unary operator either way).
func checkNesting(f File) *SourceError {
	type level struct {
		kind    byte // '(', '[', '{' (also ${ and %{), '"', 'H' (heredoc)
		pending int  // unary operators and conditionals since the last separator
		chain   int  // operators, traversals, indexes and calls since the last separator
		heredoc []byte
	}
	var (
		stack      = []level{{kind: '{'}}
		directives int
		total      int
		line, col  = 1, 1
		src        = f.Data
	)
	tooDeep := func() *SourceError {
		return &SourceError{File: f.Path, Line: line, Column: col,
			Msg: fmt.Sprintf("nested more than %d levels deep (brackets, blocks, interpolations, operators): a schema does not need this", MaxNesting)}
	}
	push := func(kind byte) {
		stack = append(stack, level{kind: kind})
		total++
	}
	pop := func() {
		if len(stack) > 1 {
			total -= stack[len(stack)-1].pending + 1
			stack = stack[:len(stack)-1]
		}
	}
	reset := func() {
		top := &stack[len(stack)-1]
		total -= top.pending
		top.pending, top.chain = 0, 0
	}
	lineStart := true
	for i := 0; i < len(src); i++ {
		c := src[i]
		top := &stack[len(stack)-1]
		startOfLine := lineStart
		lineStart = false
		switch top.kind {
		case '"':
			switch {
			case c == '\\' && i+1 < len(src):
				i++
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				top.chain++ // each part of a template is one more to evaluate
				push('{')
				i++
				if c == '%' {
					directives = max(0, directives+directive(src[i+1:]))
				}
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == c:
				i++ // $${ and %%{ are literal
			case c == '"':
				pop()
			}
		case 'H':
			if startOfLine {
				rest := bytes.TrimLeft(src[i:], " \t")
				if bytes.HasPrefix(rest, top.heredoc) {
					end := len(top.heredoc)
					if end == len(rest) || rest[end] == '\n' || rest[end] == '\r' {
						pop()
						break
					}
				}
			}
			if (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{' {
				top.chain++ // each part of a template is one more to evaluate
				push('{')
				i++
				if c == '%' {
					directives = max(0, directives+directive(src[i+1:]))
				}
			}
		default:
			switch c {
			case '#':
				i = skipTo(src, i, "\n") - 1
				continue
			case '/':
				if i+1 < len(src) && src[i+1] == '/' {
					i = skipTo(src, i, "\n") - 1
					continue
				}
				if i+1 < len(src) && src[i+1] == '*' {
					end := skipTo(src, i+2, "*/") + 2
					for _, b := range src[i:min(end, len(src))] {
						if b == '\n' {
							line, col = line+1, 0
						}
					}
					i = min(end, len(src)) - 1
					continue
				}
				top.chain++
			case '"':
				push('"')
			case '(', '[':
				top.chain++
				push(c)
			case '{':
				push(c)
			case ')', ']', '}':
				pop()
			case '<':
				if name, n := heredocStart(src[i:]); n > 0 {
					push('H')
					stack[len(stack)-1].heredoc = name
					i += n - 1
				} else {
					top.chain++
				}
			case '!', '-', '?':
				top.pending++
				total++
			case '.', '+', '*', '%', '&', '|', '>', '=':
				top.chain++
			case ',':
				reset()
			case '\n':
				if top.kind == '{' {
					reset()
				}
			}
		}
		if c == '\n' {
			line, col, lineStart = line+1, 1, true
		} else if c&0xC0 != 0x80 {
			col++
		}
		if total+directives > MaxNesting {
			col-- // at the character just read
			return tooDeep()
		}
		if top := stack[len(stack)-1]; top.chain > MaxChain {
			col--
			return &SourceError{File: f.Path, Line: line, Column: col,
				Msg: fmt.Sprintf("an expression of more than %d operators, traversals, indexes and calls: a schema does not need this", MaxChain)}
		}
	}
	return nil
}

// directive is 1 when a template directive that opens a nesting (%{if},
// %{for}) starts src, -1 when one closes it, else 0.
func directive(src []byte) int {
	src = bytes.TrimLeft(src, "~ \t")
	word := src[:len(src)-len(bytes.TrimLeft(src, "abcdefghijklmnopqrstuvwxyz"))]
	switch string(word) {
	case "if", "for":
		return 1
	case "endif", "endfor":
		return -1
	}
	return 0
}

// heredocStart returns the terminator of the heredoc that starts src
// ("<<EOT\n" or "<<-EOT\n") and the bytes of its introducer, or 0.
func heredocStart(src []byte) ([]byte, int) {
	if !bytes.HasPrefix(src, []byte("<<")) {
		return nil, 0
	}
	n := 2
	if n < len(src) && src[n] == '-' {
		n++
	}
	start := n
	for n < len(src) && (src[n] == '_' || src[n] == '-' || unicode.IsLetter(rune(src[n])) || unicode.IsDigit(rune(src[n]))) {
		n++
	}
	if n == start || n >= len(src) || (src[n] != '\n' && src[n] != '\r') {
		return nil, 0
	}
	return src[start:n], n
}

// skipTo returns the index of the first sep in src at or after i, or
// len(src).
func skipTo(src []byte, i int, sep string) int {
	if j := bytes.Index(src[i:], []byte(sep)); j >= 0 {
		return i + j
	}
	return len(src)
}
