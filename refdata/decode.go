package refdata

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml reads a YAML data file as a stream of rows. The file is a list of
// rows, one item per row at the left margin ("- column: value", its
// other columns indented below), optionally after a header document that
// declares the key the rows are keyed by:
//
//	key: code        # or [a, b]; without a header, the primary key
//	---
//	- code: NP-P1
//	  name_en: Koshi
//
// Each item is decoded on its own, at most MaxRowBytes of text, so a file
// of any number of rows is never one tree in memory. Anchors, aliases and
// tags other than YAML's own scalar tags are refused: a row is plain text.
func (d *decoder) yaml(data []byte) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxRowBytes)
	var (
		line      int
		head      []byte // text before the first item or ---
		headLine  int    // its first line with content
		headers   int
		rows      bool   // past the first item
		chunk     []byte // items read, not yet decoded
		chunkLine int    // the line of chunk's first item
		itemAt    int    // where the last item starts in chunk
		itemLine  int
		skip      bool // the last item is too long: skip to the next
	)
	// Items are decoded a few at a time: one parse per batch costs far
	// less than one per row, and a batch is bounded all the same.
	flush := func() {
		if len(chunk) > 0 {
			d.item(chunk, chunkLine)
		}
		chunk, skip = chunk[:0], false
	}
	start := func(text []byte) {
		if len(chunk) >= batchBytes {
			flush()
		}
		if len(chunk) == 0 {
			chunkLine = line
		}
		skip, itemAt, itemLine = false, len(chunk), line
		chunk = append(append(chunk, text...), '\n')
	}
	for sc.Scan() && !d.failed {
		line++
		text := sc.Bytes()
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\ufeff"))
		}
		item := len(text) > 0 && text[0] == '-' && (len(text) == 1 || text[1] == ' ' || text[1] == '\t')
		marker := bytes.Equal(text, []byte("---")) || bytes.HasPrefix(text, []byte("--- ")) || bytes.Equal(text, []byte("..."))
		content := len(bytes.TrimSpace(text)) > 0 && bytes.TrimSpace(text)[0] != '#'
		switch {
		case !rows && len(text) > 0 && text[0] == '%':
			d.fail(line, 1, "a YAML directive: data files have none")
			return
		case !rows && marker && text[0] == '-':
			if headLine > 0 {
				if headers++; headers > 1 {
					d.fail(headLine, 1, "a second header document: a data file has one (key: ...) before its rows")
					return
				}
				d.header(head, headLine)
			}
			head, headLine = nil, 0
		case !rows && item:
			if headLine > 0 {
				d.fail(headLine, 1, "want a list of rows (- column: value), one item per row at the left margin; a header (key: ...) ends with ---")
				return
			}
			if !d.keyed && !d.setKey(nil, line, 1) {
				return
			}
			rows = true
			start(text)
		case !rows:
			if content && headLine == 0 {
				headLine = line
			}
			if headLine > 0 {
				if len(head)+len(text) > MaxRowBytes {
					d.fail(headLine, 1, "want a list of rows (- column: value), one item per row at the left margin: this text before the first row is longer than %d bytes", MaxRowBytes)
					return
				}
				head = append(append(head, text...), '\n')
			}
		case marker:
			flush()
			d.fail(line, 1, "a second document: a data file holds one list of rows")
			return
		case item:
			start(text)
		case content && text[0] != ' ' && text[0] != '\t':
			flush()
			d.fail(line, 1, "want a row of the list (- column: value) at the left margin, its other columns indented")
			return
		case skip:
		case len(chunk)-itemAt+len(text) > MaxRowBytes:
			d.fail(itemLine, 1, "a row of more than %d bytes", MaxRowBytes)
			chunk, skip = chunk[:itemAt], true
		default:
			chunk = append(append(chunk, text...), '\n')
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			d.fail(line+1, 1, "a line of more than %d bytes", MaxRowBytes)
		} else {
			d.fail(line+1, 0, "%v", err)
		}
		return
	}
	if d.failed {
		return
	}
	if rows {
		flush()
		return
	}
	if headLine > 0 {
		// No item at the left margin: an empty list, a flow list, or not
		// a list at all.
		var root yaml.Node
		if err := yaml.Unmarshal(head, &root); err != nil {
			d.yamlError(err, headLine-1)
			return
		}
		if !d.plain(&root, headLine-1) {
			return
		}
		if len(root.Content) == 0 {
			return
		}
		doc := root.Content[0]
		if doc.Kind != yaml.SequenceNode {
			d.fail(doc.Line+headLine-1, doc.Column, "want a list of rows (- column: value), one item per row at the left margin")
			return
		}
		for _, n := range doc.Content {
			if !d.keyed && !d.setKey(nil, n.Line+headLine-1, n.Column) {
				return
			}
			d.row(n, headLine-1)
		}
	}
}

// header reads a header document: key, the columns the rows are keyed by.
func (d *decoder) header(text []byte, first int) {
	var root yaml.Node
	if err := yaml.Unmarshal(text, &root); err != nil {
		d.yamlError(err, first-1)
		d.failed = true
		return
	}
	if !d.plain(&root, first-1) {
		d.failed = true
		return
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		d.fail(doc.Line+first-1, doc.Column, "a header is a mapping (key: column)")
		d.failed = true
		return
	}
	var key []string
	line, col := doc.Line+first-1, doc.Column
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Value != "key" {
			d.fail(k.Line+first-1, k.Column, "unknown header field %q: a header declares key only", k.Value)
			d.failed = true
			return
		}
		line, col = v.Line+first-1, v.Column
		switch {
		case v.Kind == yaml.ScalarNode:
			key = []string{v.Value}
		case v.Kind == yaml.SequenceNode:
			for _, c := range v.Content {
				key = append(key, c.Value)
			}
		}
		for _, c := range key {
			if _, ok := d.tr.pos[c]; !ok || !identPattern.MatchString(c) {
				d.fail(line, col, "key: unknown column %q of table %s", c, d.tr.Name)
				d.failed = true
				return
			}
		}
	}
	if len(key) == 0 {
		d.fail(line, col, "key: want a column or a list of columns")
		d.failed = true
		return
	}
	d.setKey(key, line, col)
}

// batchBytes is the text of the list's items decoded in one parse.
const batchBytes = 32 << 10

// item decodes items of the list: their text, from line first.
func (d *decoder) item(text []byte, first int) {
	var root yaml.Node
	if err := yaml.Unmarshal(text, &root); err != nil {
		d.yamlError(err, first-1)
		return
	}
	if !d.plain(&root, first-1) || len(root.Content) == 0 {
		return
	}
	for _, n := range root.Content[0].Content {
		d.row(n, first-1)
	}
}

// row takes one item node, its lines off by off.
func (d *decoder) row(n *yaml.Node, off int) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line+off, n.Column, "a row must be a mapping of column: value")
		return
	}
	fields := make([]field, 0, len(n.Content)/2)
	bad := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.fail(k.Line+off, k.Column, "a column name must be a name")
			bad = true
			continue
		case v.Kind != yaml.ScalarNode:
			d.fail(v.Line+off, v.Column, "column %s: want a single value", k.Value)
			bad = true
			continue
		}
		fields = append(fields, field{name: k.Value, val: scalar(v, d.src, k.Line+off), line: k.Line + off, column: k.Column, vline: v.Line + off, vcol: v.Column})
	}
	if !bad {
		d.add(fields, n.Line+off, n.Column)
	}
}

// plain refuses anchors, aliases and tags other than YAML's scalar
// tags in a node tree; the tree is one row's, so it is small.
func (d *decoder) plain(n *yaml.Node, off int) bool {
	switch {
	case n.Kind == yaml.AliasNode || n.Anchor != "":
		d.fail(n.Line+off, n.Column, "anchors and aliases are not read in data files: write each row out")
		return false
	case n.Kind == yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp":
		default:
			d.fail(n.Line+off, n.Column, "tag %s is not read in data files", n.Tag)
			return false
		}
	}
	for _, c := range n.Content {
		if !d.plain(c, off) {
			return false
		}
	}
	return true
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlError reports a YAML syntax error at its line in the file.
func (d *decoder) yamlError(err error, off int) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		d.fail(n+off, 0, "%s", strings.TrimPrefix(msg, m[0]))
		return
	}
	d.fail(off+1, 0, "%s", strings.TrimPrefix(msg, "yaml: "))
}

func scalar(v *yaml.Node, src *Source, line int) Value {
	val := Value{S: v.Value, Src: src, Line: int32(line), Set: true}
	switch v.ShortTag() {
	case "!!null":
		val.S, val.Null = "", true
	case "!!bool":
		var b bool
		if v.Decode(&b) == nil {
			val.S = "0"
			if b {
				val.S = "1"
			}
		}
	}
	return val
}

// csvKey is the comment of a CSV file that declares its key.
var csvKey = regexp.MustCompile(`^#\s*key:\s*(.*?)\s*$`)

// csvNull is the value that stands for NULL in a CSV file, as MySQL's
// LOAD DATA writes it; an empty field is the empty string.
const csvNull = `\N`

// csv reads a CSV data file as a stream of records: a header row of
// column names, then one row per record. Lines starting with # are
// comments; one of them before the header may declare the key the rows
// are keyed by ("# key: code" or "# key: a, b"), else the rows are keyed
// by the primary key. \N is NULL.
func (d *decoder) csv(data []byte) {
	// A line is bounded first, so that no record holds more fields than
	// a line of MaxRowBytes can: encoding/csv bounds neither.
	for line, rest := 1, data; len(rest) > 0; line++ {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			i = len(rest)
		}
		if i > MaxRowBytes {
			d.fail(line, 1, "a line of more than %d bytes", MaxRowBytes)
			return
		}
		rest = rest[min(i+1, len(rest)):]
	}
	var key []string
	keyLine := 0
	for line, rest := 1, data; len(rest) > 0 && rest[0] == '#'; line++ {
		text, after, _ := bytes.Cut(rest, []byte("\n"))
		rest = after
		if m := csvKey.FindSubmatch(bytes.TrimRight(text, "\r")); m != nil {
			if keyLine > 0 {
				d.fail(line, 1, "key declared twice (first at line %d)", keyLine)
				return
			}
			keyLine = line
			for _, c := range strings.Split(string(m[1]), ",") {
				c = strings.TrimSpace(c)
				if _, ok := d.tr.pos[c]; !ok || !identPattern.MatchString(c) {
					d.fail(line, 1, "key: unknown column %q of table %s%s", c, d.tr.Name, suggest(c, d.tr.Def.Columns))
					return
				}
				key = append(key, c)
			}
		}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return
	}
	if err != nil {
		d.csvError(err)
		return
	}
	header = append([]string(nil), header...)
	hline, _ := r.FieldPos(0)
	seen := map[string]int{}
	for i, c := range header {
		_, col := r.FieldPos(i)
		if _, ok := d.tr.pos[c]; !ok || !identPattern.MatchString(c) {
			d.fail(hline, col, "unknown column %q of table %s%s", c, d.tr.Name, suggest(c, d.tr.Def.Columns))
			continue
		}
		if first, dup := seen[c]; dup {
			d.fail(hline, col, "column %s given twice in the header (first at column %d)", c, first)
			continue
		}
		seen[c] = col
	}
	if len(d.errs) > 0 {
		return
	}
	if keyLine == 0 {
		keyLine = hline
	}
	if !d.setKey(key, keyLine, 1) {
		return
	}
	fields := make([]field, len(header))
	for !d.failed {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			d.csvError(err)
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue
			}
			return
		}
		line, _ := r.FieldPos(0)
		size := 0
		for i, v := range rec {
			size += len(v)
			l, col := r.FieldPos(i)
			val := Value{S: v, Src: d.src, Line: int32(line), Set: true}
			if v == csvNull {
				val.S, val.Null = "", true
			}
			fields[i] = field{name: header[i], val: val, line: l, column: col, vline: l, vcol: col}
		}
		if size > MaxRowBytes {
			d.fail(line, 1, "a row of more than %d bytes", MaxRowBytes)
			continue
		}
		d.add(fields, line, 1)
	}
}

func (d *decoder) csvError(err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		d.fail(pe.Line, pe.Column, "%v", pe.Err)
		return
	}
	d.fail(0, 0, "%v", err)
}
