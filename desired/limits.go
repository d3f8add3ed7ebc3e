package desired

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Limits on what a repository may hold. The repository is not trusted: a
// pull request may hold anything, and none of it may exhaust memory or
// crash landlord. Each limit passed is a ManifestError at the file (and
// line) where it was passed.
const (
	// MaxManifestSize bounds landlord.yaml and every template, module and
	// tenant manifest.
	MaxManifestSize = 256 << 10
	// MaxLayerFileSize bounds one layer (.hcl) file; schema refuses larger
	// ones too, and nests them at most schema.MaxNesting deep.
	MaxLayerFileSize = 512 << 10
	// MaxDataFileSize bounds one reference data file of a layer
	// (data/<table>.yaml or .csv). refdata reads its rows as a stream and
	// bounds each row on its own (refdata.MaxRowBytes, MaxValueLength).
	MaxDataFileSize = 32 << 20
	// MaxYAMLDepth bounds the nesting of a manifest's mappings and lists.
	MaxYAMLDepth = 16
	// MaxYAMLNodes bounds the nodes of a manifest with every alias
	// expanded, so that a few lines of anchors cannot stand for millions
	// of values.
	MaxYAMLNodes = 20_000
	// MaxValueLength bounds any one value of a manifest, in bytes.
	MaxValueLength = 4096
	// MaxNameLength bounds a tenant's display name, in characters.
	MaxNameLength = 200
	// MaxDomainLength is the longest DNS name.
	MaxDomainLength = 253
	// MaxRepositorySize bounds the manifests, layer files and data files
	// of one revision together, as Load keeps them all in memory.
	MaxRepositorySize = 64 << 20
)

// IsDataFile reports whether p, a path of the repository, names a layer's
// reference data file: data/<table>.yaml or data/<table>.csv.
func IsDataFile(p string) bool {
	if path.Base(path.Dir(p)) != "data" {
		return false
	}
	switch path.Ext(p) {
	case ".yaml", ".csv":
		return true
	}
	return false
}

// ErrOutsideRepository is the error of a file that is a symlink to a place
// outside the repository's directory.
var ErrOutsideRepository = errors.New("a symlink to a file outside the repository: landlord reads the repository's own files only")

// ErrRepositoryTooLarge is the error of a file read after the repository's
// files reached MaxRepositorySize.
var ErrRepositoryTooLarge = fmt.Errorf("the repository's manifests and layer files hold more than %d bytes together: landlord reads no more of them", MaxRepositorySize)

// readFile reads file from fsys, at most limit bytes, and counts them
// against MaxRepositorySize. A larger file, one past the repository's
// bound, or a symlink out of the repository, is a ManifestError; any other
// failure to read is an error.
func (r *Repo) readFile(fsys fs.FS, file string, limit int64) ([]byte, *ManifestError, error) {
	if !fileNamePattern.MatchString(path.Base(file)) {
		// The name is shown in plans, logs and pull-request comments:
		// none that could hold markup or terminal control characters.
		return nil, &ManifestError{File: printableName(file),
			Msg: "landlord reads files named with ASCII letters, digits and . _ - + @ only (the other characters of this one are shown as ?)"}, nil
	}
	f, err := fsys.Open(file)
	var tooLarge *FileTooLargeError
	if errors.As(err, &tooLarge) {
		// A git blob known too large from its header, never read: larger
		// than limit too, as limit is at most fileLimit(file).
		return nil, &ManifestError{File: file, Line: 1, Column: 1, Msg: (&FileTooLargeError{Size: tooLarge.Size, Limit: limit}).Error()}, nil
	}
	if err != nil {
		for _, known := range []error{ErrOutsideRepository, ErrRepositoryTooLarge} {
			if errors.Is(err, known) {
				return nil, &ManifestError{File: file, Msg: known.Error()}, nil
			}
		}
		// A symlink loop, a directory named like a file, a FIFO, a file
		// landlord may not read: a problem of that file, not of the whole
		// load.
		var pe *fs.PathError
		if errors.As(err, &pe) && !errors.Is(err, fs.ErrNotExist) {
			return nil, &ManifestError{File: file, Msg: "cannot be read: " + pe.Err.Error()}, nil
		}
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > limit {
		return nil, &ManifestError{File: file, Line: 1, Column: 1, Msg: (&FileTooLargeError{Limit: limit}).Error()}, nil
	}
	if r.read += int64(len(data)); r.read > MaxRepositorySize {
		return nil, &ManifestError{File: file, Msg: ErrRepositoryTooLarge.Error()}, nil
	}
	return data, nil, nil
}

var fileNamePattern = regexp.MustCompile(`^[A-Za-z0-9._][A-Za-z0-9._+@-]*$`)

// printableName is name with every byte a file name may not hold (but
// the slashes between its directories) replaced by ?.
func printableName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c != '/' && !fileNamePattern.Match([]byte{'_', c}) {
			b[i] = '?'
		}
	}
	return string(b)
}

// danglingLink is the error of a file that a directory lists but that
// cannot be opened: a symlink to nothing.
func danglingLink(file string) *ManifestError {
	return &ManifestError{File: file, Msg: "listed but cannot be opened: a symlink to a file that does not exist"}
}

// ErrNotRegular is the error of a file of the repository that is neither a
// regular file nor a directory: a FIFO, a socket or a device. landlord
// never opens one: a FIFO blocks its reader until a writer comes.
var ErrNotRegular = errors.New("not a regular file")

// rootFS reads a directory confined to it, as os.Root does: a symlink may
// point anywhere inside the directory, never out of it. Each call opens the
// root afresh, so the FS holds no file descriptor between calls.
type rootFS string

// Open opens name inside the directory; a symlink that leaves it is an
// error wrapping ErrOutsideRepository, and anything but a regular file or
// a directory one wrapping ErrNotRegular.
func (dir rootFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := dir.open(name)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrNotRegular) && dir.escapes(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrOutsideRepository}
	}
	// os.Root's errors name the path inside the root; keep them so.
	return nil, err
}

// open opens name inside the directory if it is a regular file or a
// directory. The type is checked through the root before the open, so a
// FIFO or a device is never opened, and again on what was opened, as the
// file may have been replaced in between: O_NONBLOCK keeps that open of a
// FIFO from blocking (it changes nothing for a regular file).
func (dir rootFS) open(name string) (*os.File, error) {
	root, err := os.OpenRoot(string(dir))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	st, err := root.Stat(name)
	if err != nil {
		return nil, err
	}
	if err := regular(name, st); err != nil {
		return nil, err
	}
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if st, err = f.Stat(); err == nil {
		err = regular(name, st)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// regular returns an error wrapping ErrNotRegular unless st is a regular
// file or a directory.
func regular(name string, st fs.FileInfo) error {
	if st.Mode().IsRegular() || st.IsDir() {
		return nil
	}
	kind := "a special file"
	switch t := st.Mode().Type(); {
	case t&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		kind = "a socket"
	case t&fs.ModeDevice != 0:
		kind = "a device"
	}
	return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w but %s: landlord reads regular files only", ErrNotRegular, kind)}
}

// escapes reports whether name resolves to a place outside the directory.
func (dir rootFS) escapes(name string) bool {
	root, err := filepath.EvalSymlinks(string(dir))
	if err != nil {
		return false
	}
	target, err := filepath.EvalSymlinks(filepath.Join(string(dir), filepath.FromSlash(name)))
	if err != nil {
		// A dangling link: where it points decides.
		target, err = filepath.Abs(filepath.Join(string(dir), filepath.FromSlash(name)))
		if err != nil {
			return true
		}
		if link, lerr := os.Readlink(target); lerr == nil {
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(target), link)
			}
			target = link
		}
	}
	rel, err := filepath.Rel(root, target)
	return err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel)
}

// checkShape reports a manifest whose node tree nests deeper than
// MaxYAMLDepth, expands its aliases into more than MaxYAMLNodes nodes, or
// holds a value longer than MaxValueLength.
// plainTags are the YAML tags a value may carry explicitly: they read it
// as it is written.
var plainTags = map[string]bool{"!!str": true, "!!int": true, "!!bool": true, "!!float": true, "!!null": true, "!!seq": true, "!!map": true}

func checkShape(file string, root *yaml.Node) *ManifestError {
	sizes := map[*yaml.Node]int{}
	var walk func(n *yaml.Node, depth int) (int, *ManifestError)
	walk = func(n *yaml.Node, depth int) (int, *ManifestError) {
		if depth > MaxYAMLDepth {
			return 0, &ManifestError{File: file, Line: n.Line, Column: n.Column,
				Msg: fmt.Sprintf("nested more than %d levels deep: a manifest does not need this", MaxYAMLDepth)}
		}
		if s, ok := sizes[n]; ok {
			return s, nil
		}
		if len(n.Value) > MaxValueLength {
			return 0, &ManifestError{File: file, Line: n.Line, Column: n.Column,
				Msg: fmt.Sprintf("a value of %d bytes: at most %d", len(n.Value), MaxValueLength)}
		}
		if n.Style&yaml.TaggedStyle != 0 && !plainTags[n.Tag] {
			// !!binary dA== reads as "t": a value must read as written.
			return 0, &ManifestError{File: file, Line: n.Line, Column: n.Column,
				Msg: fmt.Sprintf("the tag %q: a manifest's values are written as they are read, without tags", n.Tag)}
		}
		size := 1
		children := n.Content
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			children = []*yaml.Node{n.Alias}
		}
		for _, c := range children {
			s, err := walk(c, depth+1)
			if err != nil {
				return 0, err
			}
			if size += s; size > MaxYAMLNodes {
				return 0, &ManifestError{File: file, Line: n.Line, Column: n.Column,
					Msg: fmt.Sprintf("more than %d values once its aliases are expanded", MaxYAMLNodes)}
			}
		}
		sizes[n] = size
		return size, nil
	}
	_, err := walk(root, 0)
	return err
}

// checkText reports a display text that is too long or holds control
// characters.
func checkText(s string, max int) string {
	switch {
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("%d characters: at most %d", utf8.RuneCountInString(s), max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "holds a control character"
	case strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }) >= 0:
		// U+202E and its kin reorder the rest of a line wherever the name
		// is shown (status, plans, pull-request comments); the joiners
		// that Devanagari needs (U+200C, U+200D) are not among them.
		return "holds a bidirectional control character (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C)"
	}
	return ""
}

// checkNesting reports YAML whose collections nest deeper than checkShape
// allows, from its bytes, before any YAML parser sees them: yaml.v3 bounds
// the nesting only at 10,000 levels, and goccy/go-yaml, which yamlError
// asks where a syntax error is, takes time and memory quadratic in it.
// It counts the flow collections ([ and {) and the block collections
// (indented mappings and sequences, "- - -" on one line too) open at each
// point, skipping comments, quoted and block scalars and the continuation
// lines of plain ones, where brackets are text. The bound is one level
// more than MaxYAMLDepth, as the outermost collection is at depth 0 there:
// checkShape reports the rest, at the node.
func checkNesting(file string, data []byte) *ManifestError {
	const limit = MaxYAMLDepth + 1
	var (
		indents   []int // columns of the open block collections
		flow      int   // open flow collections
		flowCol   int   // column of the outermost open flow collection
		line      = 1
		lineStart int
		i         int
		lineHead  = true // at the start of a line in block context
		plainOpen bool   // a plain scalar ended the last line: more indented lines continue it
		literal   bool   // a block scalar header (| or >) ended the last line
		afterJSON bool   // in flow context, after a quoted scalar or a collection: ':' is an indicator
	)
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		i = 3
		lineStart = 3
	}
	top := func() int {
		if len(indents) == 0 {
			return -1
		}
		return indents[len(indents)-1]
	}
	tooDeep := func(at int) *ManifestError {
		return &ManifestError{File: file, Line: line, Column: utf8.RuneCount(data[lineStart:at]) + 1,
			Msg: fmt.Sprintf("nested more than %d levels deep: a manifest does not need this", MaxYAMLDepth)}
	}
	// open notes a block collection at column col, if it starts one.
	open := func(col, at int) *ManifestError {
		if col > top() {
			indents = append(indents, col)
			if len(indents)+flow > limit {
				return tooDeep(at)
			}
		}
		return nil
	}
	space := func(j int) bool {
		return j >= len(data) || data[j] == ' ' || data[j] == '\t' || data[j] == '\r' || data[j] == '\n'
	}
	flowIndicator := func(j int) bool {
		return j < len(data) && strings.IndexByte(",[]{}", data[j]) >= 0
	}
	// key reports whether a node that ended before j is a mapping key.
	key := func(j int) bool {
		for j < len(data) && (data[j] == ' ' || data[j] == '\t') {
			j++
		}
		return j < len(data) && data[j] == ':' && (space(j+1) || (flow > 0 && flowIndicator(j+1)))
	}
	skipLine := func() {
		for i < len(data) && data[i] != '\n' {
			i++
		}
	}
	for i < len(data) {
		if lineHead {
			j := i
			for j < len(data) && data[j] == ' ' {
				j++
			}
			ind := j - i
			k := j
			for k < len(data) && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r') {
				k++
			}
			if literal && ind > top() && k < len(data) && data[k] != '\n' {
				// Text of a block scalar, brackets and all.
				i = j
				skipLine()
				continue
			}
			if k == len(data) || data[k] == '\n' || data[k] == '#' {
				// A blank line, or a line of comment, which ends a scalar
				// (a blank line does not).
				if k < len(data) && data[k] == '#' {
					plainOpen, literal = false, false
				}
				i = k
				skipLine()
				if i < len(data) {
					i++
					line++
					lineStart = i
				}
				continue
			}
			if plainOpen && ind > top() {
				// Text of a plain scalar, brackets and all.
				i = j
				skipLine()
				continue
			}
			plainOpen, literal = false, false
			if ind == 0 && (bytes.HasPrefix(data[j:], []byte("---")) || bytes.HasPrefix(data[j:], []byte("..."))) && space(j+3) {
				indents = indents[:0]
				i = j + 3
				lineHead = false
				continue
			}
			if ind == 0 && data[j] == '%' {
				i = j
				skipLine()
				continue
			}
			for len(indents) > 0 && top() > ind {
				indents = indents[:len(indents)-1]
			}
			i = j
			lineHead = false
			continue
		}
		c := data[i]
		col := i - lineStart
		switch {
		case c == '\n':
			i++
			line++
			lineStart = i
			lineHead = flow == 0
			continue
		case c == ' ' || c == '\t' || c == '\r':
			i++
			continue
		case c == '#':
			plainOpen = false
			skipLine()
			continue
		case c == '[' || c == '{':
			if flow == 0 {
				flowCol = col
				plainOpen = false
			}
			flow++
			if len(indents)+flow > limit {
				return tooDeep(i)
			}
			afterJSON = false
			i++
			continue
		case c == ']' || c == '}':
			i++
			if flow > 0 {
				flow--
				if flow == 0 && key(i) {
					if err := open(flowCol, i); err != nil {
						return err
					}
				}
			}
			afterJSON = true
			continue
		case c == ',' && flow > 0:
			afterJSON = false
			i++
			continue
		case c == '"' || c == '\'':
			i++
			for i < len(data) {
				d := data[i]
				if d == '\n' {
					line++
					lineStart = i + 1
				}
				if d == '\\' && c == '"' {
					i += 2
					continue
				}
				if d == c {
					if c == '\'' && i+1 < len(data) && data[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			if i >= len(data) {
				// Not closed: a syntax error that yaml.v3 reports.
				return nil
			}
			i++
			afterJSON = true
			if flow == 0 && key(i) {
				if err := open(col, i); err != nil {
					return err
				}
			}
			continue
		case flow == 0 && (c == '-' || c == '?') && space(i+1):
			plainOpen = false
			if err := open(col, i); err != nil {
				return err
			}
			i++
			continue
		case c == ':' && (space(i+1) || (flow > 0 && (flowIndicator(i+1) || afterJSON))):
			afterJSON = false
			i++
			continue
		case c == '&' || c == '*' || c == '!':
			for i < len(data) && !space(i) && !(flow > 0 && flowIndicator(i)) {
				i++
			}
			continue
		case flow == 0 && (c == '|' || c == '>'):
			skipLine()
			literal = true
			continue
		}
		// A plain scalar: in block context it ends at ": ", " #" or the
		// end of the line; in flow context at a flow indicator too.
		afterJSON = false
		for i < len(data) && data[i] != '\n' && data[i] != '\r' {
			if data[i] == ':' && (space(i+1) || (flow > 0 && flowIndicator(i+1))) {
				break
			}
			if data[i] == '#' && (data[i-1] == ' ' || data[i-1] == '\t') {
				break
			}
			if flow > 0 && flowIndicator(i) {
				break
			}
			i++
		}
		if flow == 0 {
			if key(i) {
				if err := open(col, i); err != nil {
					return err
				}
			} else {
				// Trailing blanks then the end of the line: the scalar may
				// go on on the next lines.
				j := i
				for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r') {
					j++
				}
				plainOpen = j == len(data) || data[j] == '\n'
			}
		}
	}
	return nil
}
