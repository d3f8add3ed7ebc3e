package schema

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Layer is one named group of HCL files, applied in the order the caller
// gives. Names are free-form for this package; landlord uses "basic",
// "template/<name>", "module/<name>" and "custom/<tenant>".
type Layer struct {
	Name  string
	Files []File
}

// File is one HCL file of a layer. Path is how the file is named in errors
// and provenance (repository-relative); it must be unique across layers.
type File struct {
	Path string
	Data []byte
}

// Origin tells where a schema object is defined.
type Origin struct {
	Layer string `json:"layer"`
	File  string `json:"file"`
	Line  int    `json:"line"`
	// Revision is set on the origin of an object the desired schema no
	// longer has: the earlier revision where Layer, File and Line declared
	// it, so that a drop names the file whose change removed the object.
	Revision string `json:"revision,omitempty"`
}

func (o Origin) String() string {
	if o.File == "" {
		return o.Layer
	}
	return fmt.Sprintf("%s:%d", o.File, o.Line)
}

// SourceError is an error at a position in a layer file.
type SourceError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *SourceError) Error() string {
	switch {
	case e.File == "":
		return e.Msg
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Column == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// SourceErrors collects every SourceError found in one composition.
type SourceErrors []*SourceError

func (es SourceErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the errors, so errors.As finds a *SourceError.
func (es SourceErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// composition is the merged HCL of an ordered list of layers, ready for
// evaluation, with the origin of every object it defines.
type composition struct {
	parser  *hclparse.Parser
	origins map[objectKey]Origin
	// schemaOrigin is where the one schema block is defined, and
	// schemaLabel its label (tables refer to it as schema.<label>).
	schemaOrigin Origin
	schemaLabel  string
	// order is the position of each layer name, for sorting statements.
	order map[string]int
	// ext are landlord's own attributes of the tables and columns.
	ext *extensions
	// attrs are the attributes of each object's block, for positions.
	attrs map[objectKey]hclsyntax.Attributes
}

// attrPos returns where the attribute attr of an object is set.
func (c *composition) attrPos(k objectKey, attr string) (hcl.Pos, bool) {
	if a, ok := c.attrs[k][attr]; ok {
		return a.SrcRange.Start, true
	}
	return hcl.Pos{}, false
}

// objectKey names one schema object: its kind ("table", "column", "index",
// "foreign_key", "primary_key", "check"), its table and its own name.
type objectKey struct {
	Kind, Table, Name string
}

func (k objectKey) String() string {
	switch k.Kind {
	case "table":
		return fmt.Sprintf("table %q", k.Table)
	case "primary_key":
		return fmt.Sprintf("primary key of table %q", k.Table)
	}
	return fmt.Sprintf("%s %q of table %q", strings.ReplaceAll(k.Kind, "_", " "), k.Name, k.Table)
}

// tableBlocks are the nested blocks of a table that a later layer may add.
var tableBlocks = map[string]bool{
	"column": true, "index": true, "foreign_key": true, "primary_key": true, "check": true,
}

// compose parses the files of all layers into one parser and merges them
// into one document: the first definition of a table is its base, and a
// later definition of the same table extends it with new columns, indexes,
// foreign keys and checks. Blocks keep their source ranges, so evaluation
// errors still point into the original files. An object defined twice
// identically is accepted; defined twice differently, it is an error that
// names both places.
func compose(layers []Layer) (*composition, error) {
	c := &composition{
		parser:  hclparse.NewParser(),
		origins: make(map[objectKey]Origin),
		order:   make(map[string]int, len(layers)),
		ext:     newExtensions(),
		attrs:   make(map[objectKey]hclsyntax.Attributes),
	}
	type parsed struct {
		layer string
		path  string
		src   []byte
		body  *hclsyntax.Body
	}
	var (
		errs  SourceErrors
		files []parsed
	)
	for i, l := range layers {
		c.order[l.Name] = i
		for _, f := range l.Files {
			if _, dup := c.parser.Files()[f.Path]; dup {
				errs = append(errs, &SourceError{File: f.Path, Msg: "file is part of the composition twice"})
				continue
			}
			if e := CheckLimits(f); e != nil {
				errs = append(errs, e)
				continue
			}
			hf, diags := c.parser.ParseHCL(f.Data, f.Path)
			errs = append(errs, diagErrors(diags)...)
			if diags.HasErrors() {
				continue
			}
			if e := checkExprs(f.Path, hf.Body.(*hclsyntax.Body)); len(e) > 0 {
				// Nothing evaluates this file: not even checkNames.
				errs = append(errs, e...)
				continue
			}
			files = append(files, parsed{layer: l.Name, path: f.Path, src: f.Data, body: hf.Body.(*hclsyntax.Body)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	byPath := make(map[string]parsed, len(files))
	for _, f := range files {
		byPath[f.path] = f
	}
	type defined struct {
		block  *hclsyntax.Block
		src    []byte
		origin Origin
	}
	var (
		schemaDef *defined
		tables    = make(map[string]*defined)
		children  = make(map[objectKey]*defined)
	)
	origin := func(f parsed, r hcl.Range) Origin {
		return Origin{Layer: f.layer, File: f.path, Line: r.Start.Line}
	}
	conflict := func(what string, first *defined, second Origin, col int) {
		errs = append(errs, &SourceError{
			File: second.File, Line: second.Line, Column: col,
			Msg: fmt.Sprintf("%s is defined differently in %s (layer %s) and %s (layer %s)",
				what, first.origin, first.origin.Layer, second, second.Layer),
		})
	}
	for _, f := range files {
		keep := f.body.Blocks[:0]
		for _, b := range f.body.Blocks {
			at := origin(f, b.DefRange())
			if b.Type == "schema" || b.Type == "table" {
				errs = append(errs, checkNames(f.path, b)...)
			}
			switch b.Type {
			case "schema":
				if len(b.Labels) != 1 {
					errs = append(errs, &SourceError{File: f.path, Line: at.Line, Column: b.DefRange().Start.Column, Msg: "a schema block takes exactly one label"})
					continue
				}
				if schemaDef == nil {
					schemaDef = &defined{block: b, src: f.src, origin: at}
					c.schemaOrigin, c.schemaLabel = at, b.Labels[0]
					keep = append(keep, b)
					continue
				}
				if !sameTokens(schemaDef.src, schemaDef.block.Range(), f.src, b.Range()) {
					conflict(fmt.Sprintf("schema %q", b.Labels[0]), schemaDef, at, b.DefRange().Start.Column)
				}
			case "table":
				if len(b.Labels) != 1 {
					errs = append(errs, &SourceError{File: f.path, Line: at.Line, Column: b.DefRange().Start.Column, Msg: "a table block takes exactly one label"})
					continue
				}
				name := b.Labels[0]
				errs = append(errs, c.ext.readTable(f.path, f.src, b)...)
				base, seen := tables[name]
				if !seen {
					tables[name] = &defined{block: b, src: f.src, origin: at}
					c.origins[objectKey{Kind: "table", Table: name}] = at
					c.attrs[objectKey{Kind: "table", Table: name}] = b.Body.Attributes
				}
				var added hclsyntax.Blocks
				for _, nb := range b.Body.Blocks {
					if !tableBlocks[nb.Type] {
						if seen {
							errs = append(errs, &SourceError{File: f.path, Line: nb.DefRange().Start.Line, Column: nb.DefRange().Start.Column,
								Msg: fmt.Sprintf("a layer extending table %q may add columns, indexes, foreign keys and checks, not %q blocks", name, nb.Type)})
						}
						continue
					}
					key := objectKey{Kind: nb.Type, Table: name}
					if len(nb.Labels) > 0 {
						key.Name = nb.Labels[0]
					}
					nat := origin(f, nb.DefRange())
					if prev, ok := children[key]; ok {
						if !sameTokens(prev.src, prev.block.Range(), f.src, nb.Range()) {
							conflict(key.String(), prev, nat, nb.DefRange().Start.Column)
						} else if !seen {
							errs = append(errs, &SourceError{File: f.path, Line: nat.Line, Column: nb.DefRange().Start.Column, Msg: fmt.Sprintf("%s is defined twice", key)})
						}
						continue
					}
					children[key] = &defined{block: nb, src: f.src, origin: nat}
					c.origins[key] = nat
					c.attrs[key] = nb.Body.Attributes
					if seen {
						added = append(added, nb)
					}
				}
				if !seen {
					keep = append(keep, b)
					continue
				}
				base.block.Body.Blocks = append(base.block.Body.Blocks, added...)
				for an, a := range b.Body.Attributes {
					prev, ok := base.block.Body.Attributes[an]
					if !ok {
						base.block.Body.Attributes[an] = a
						continue
					}
					// prev may come from an earlier extension: its range
					// names its own file.
					pf := byPath[prev.SrcRange.Filename]
					if !sameTokens(pf.src, prev.SrcRange, f.src, a.SrcRange) {
						conflict(fmt.Sprintf("attribute %q of table %q", an, name),
							&defined{origin: origin(pf, prev.SrcRange)}, origin(f, a.SrcRange), a.SrcRange.Start.Column)
					}
				}
			default:
				errs = append(errs, &SourceError{File: f.path, Line: at.Line, Column: b.DefRange().Start.Column,
					Msg: fmt.Sprintf("unsupported block %q: layer files hold one schema block and table blocks", b.Type)})
			}
		}
		f.body.Blocks = keep
		if len(f.body.Attributes) > 0 {
			for _, a := range sortedAttrs(f.body.Attributes) {
				errs = append(errs, &SourceError{File: f.path, Line: a.SrcRange.Start.Line, Column: a.SrcRange.Start.Column,
					Msg: fmt.Sprintf("unsupported top-level attribute %q", a.Name)})
			}
		}
	}
	if schemaDef == nil && len(files) > 0 {
		errs = append(errs, &SourceError{File: files[0].path, Msg: `no schema block: the basic layer must declare one, e.g. schema "tenant" {}`})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// sameTokens reports whether two source ranges hold the same HCL tokens,
// ignoring layout and comments.
func sameTokens(src1 []byte, r1 hcl.Range, src2 []byte, r2 hcl.Range) bool {
	return bytes.Equal(tokens(src1[r1.Start.Byte:r1.End.Byte]), tokens(src2[r2.Start.Byte:r2.End.Byte]))
}

func tokens(src []byte) []byte {
	toks, _ := hclsyntax.LexConfig(src, "", hcl.InitialPos)
	var b bytes.Buffer
	for _, t := range toks {
		switch t.Type {
		case hclsyntax.TokenNewline, hclsyntax.TokenComment, hclsyntax.TokenEOF:
			continue
		}
		b.Write(t.Bytes)
		b.WriteByte(0)
	}
	return b.Bytes()
}

func sortedAttrs(attrs hclsyntax.Attributes) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

// diagErrors turns HCL diagnostics into SourceErrors.
func diagErrors(diags hcl.Diagnostics) SourceErrors {
	var errs SourceErrors
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		e := &SourceError{Msg: d.Summary}
		if d.Detail != "" {
			e.Msg += ": " + d.Detail
		}
		if d.Subject != nil {
			e.File, e.Line, e.Column = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
		}
		errs = append(errs, e)
	}
	return errs
}

// evalError turns an evaluation error into SourceErrors where it carries
// positions, and into one SourceError naming the layers otherwise.
func evalError(err error, layers []Layer) error {
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		if errs := diagErrors(diags); len(errs) > 0 {
			return errs
		}
	}
	// Atlas writes some errors as text that starts with the source range
	// ("file:2,1-14: invalid reference used in schema"): keep the position.
	msg := err.Error()
	var names []string
	for _, l := range layers {
		names = append(names, l.Name)
		for _, f := range l.Files {
			i := strings.Index(msg, f.Path+":")
			if i < 0 {
				continue
			}
			if m := rangePrefix.FindStringSubmatch(msg[i+len(f.Path):]); m != nil {
				line, _ := strconv.Atoi(m[1])
				col, _ := strconv.Atoi(m[2])
				rest := strings.TrimSpace(msg[i+len(f.Path)+len(m[0]):])
				if prefix := strings.TrimSuffix(strings.TrimSpace(msg[:i]), ":"); prefix != "" {
					rest = prefix + ": " + rest
				}
				return SourceErrors{{File: f.Path, Line: line, Column: col, Msg: rest}}
			}
		}
	}
	return SourceErrors{{Msg: fmt.Sprintf("evaluate layers %s: %v", strings.Join(names, ", "), err)}}
}

// rangePrefix matches the position of an hcl.Range printed after its file
// name: ":2,1-14: " or ":2,1-3,5: ".
var rangePrefix = regexp.MustCompile(`^:(\d+),(\d+)-(?:\d+,)?\d+:? ?`)

// CheckSyntax parses one layer file on its own and returns its syntax
// errors and the expressions that compute values (checkExprs), the same
// ones Compose reports for it. It lets a caller find every
// syntax error of a repository, also in files no valid composition uses.
func CheckSyntax(f File) SourceErrors {
	if e := CheckLimits(f); e != nil {
		return SourceErrors{e}
	}
	hf, diags := hclparse.NewParser().ParseHCL(f.Data, f.Path)
	if diags.HasErrors() {
		return diagErrors(diags)
	}
	return checkExprs(f.Path, hf.Body.(*hclsyntax.Body))
}
