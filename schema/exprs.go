package schema

import (
	"fmt"

	"ariga.io/atlas/sql/mysql"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// A layer file declares a schema: its values are written out, not
// computed. HCL can compute: a for expression or a %{for} directive
// repeats its body once per element, nested ones multiply, and Atlas's
// evaluation context offers range, format, setproduct and some sixty
// other functions; a ${...} interpolation copies another block's
// attribute into a string once per reference. A few hundred bytes of any
// of them stand for gigabytes, which HCL builds in memory before anything
// can bound them: the process dies of it, which no error can report. So
// every expression of a layer file is checked before anything evaluates
// it (checkNames and Atlas do): no for expression, no string but literal
// text, and no function but sql() and the column types.

// layerFuncs are the functions a layer file may call: sql() and the column
// types that take arguments, varchar(255), enum("a", "b") and the rest.
var layerFuncs = func() map[string]bool {
	m := map[string]bool{"sql": true}
	for _, s := range mysql.TypeRegistry.Specs() {
		m[s.Name] = true
	}
	return m
}()

// checkExprs returns an error for every expression of the layer file path
// that computes rather than declares a value.
func checkExprs(path string, body *hclsyntax.Body) SourceErrors {
	var (
		errs SourceErrors
		// last is the expression of the last error: VisitAll visits an
		// expression before those it holds, which need no error of their
		// own.
		last hcl.Range
	)
	at := func(r hcl.Range, format string, args ...any) {
		errs = append(errs, &SourceError{File: path, Line: r.Start.Line, Column: r.Start.Column, Msg: fmt.Sprintf(format, args...)})
	}
	hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		r := n.Range()
		if len(errs) > 0 && r.Start.Byte >= last.Start.Byte && r.End.Byte <= last.End.Byte {
			return nil
		}
		before := len(errs)
		defer func() {
			if len(errs) > before {
				last = r
			}
		}()
		switch x := n.(type) {
		case *hclsyntax.ForExpr:
			at(x.OpenRange, "a for expression: a layer file writes its values out, landlord evaluates no loops")
		case *hclsyntax.TemplateExpr:
			for _, p := range x.Parts {
				if _, ok := p.(*hclsyntax.LiteralValueExpr); !ok {
					at(p.Range(), "a string with ${...} or %%{...}: a layer file's strings are literal text ($${ and %%%%{ write the characters)")
					break
				}
			}
		case *hclsyntax.TemplateWrapExpr:
			at(x.SrcRange, "a string that is one ${...}: write the value itself")
		case *hclsyntax.FunctionCallExpr:
			if !layerFuncs[x.Name] {
				at(x.NameRange, "function %q: a layer file may call sql() and the column types (varchar(255), decimal(10, 2), enum(\"a\", \"b\")) only", truncate(x.Name))
			}
		}
		return nil
	})
	return errs
}
