package schema

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLimitsRefuseBeforeParsing feeds Compose and CheckSyntax files that
// would overflow the parser's stack or exhaust memory: each is refused with
// the file, line and column where the limit was passed, and none reaches
// the parser (a stack overflow would kill the test binary).
func TestLimitsRefuseBeforeParsing(t *testing.T) {
	t.Parallel()
	const deep = 100_000
	cases := []struct {
		name, src, want string
		line            int
	}{
		{"parentheses", "x = " + strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep), "nested more than", 1},
		{"parentheses across lines", "schema \"tenant\" {}\nx = " + strings.Repeat("(\n", deep), "nested more than", MaxNesting + 2},
		{"brackets", "x = " + strings.Repeat("[", deep), "nested more than", 1},
		{"blocks", strings.Repeat("a {\n", deep), "nested more than", MaxNesting + 1},
		{"objects", "x = " + strings.Repeat("{a = ", deep), "nested more than", 1},
		{"unary minus", "x = (" + strings.Repeat("-\n", deep) + "1)", "nested more than", MaxNesting},
		{"negation", "x = " + strings.Repeat("!", deep) + "true", "nested more than", 1},
		{"conditionals", "x = " + strings.Repeat("true ? 1 : ", deep/10) + "2", "nested more than", 1},
		{"interpolations", "x = " + strings.Repeat(`"${`, deep), "nested more than", 1},
		{"template directives", "x = \"" + strings.Repeat("%{if true}", deep/10) + "\"", "nested more than", 1},
		{"heredocs", "x = " + strings.Repeat("<<EOT\n${", deep/10), "nested more than", MaxNesting/2 + 1},
		{"splats", "x = a" + strings.Repeat("[*]", deep), "an expression of more than", 1},
		{"attribute splats", "x = a" + strings.Repeat(".*", deep), "an expression of more than", 1},
		{"binary operators", "x = 1" + strings.Repeat("+1", deep), "an expression of more than", 1},
		{"string concatenation", "x = \"a\"" + strings.Repeat("+\"a\"", deep), "an expression of more than", 1},
		{"interpolations in a string", "x = \"" + strings.Repeat("${1}", deep) + "\"", "an expression of more than", 1},
		{"interpolations in a heredoc", "x = <<EOT\n" + strings.Repeat("${1}", deep) + "\nEOT\n", "an expression of more than", 2},
		{"calls", "x = f" + strings.Repeat("(1)", deep), "an expression of more than", 1},
		{"size", "# " + strings.Repeat("x", MaxFileSize), "a layer file may hold at most", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := File{Path: "layers/basic/hostile.hcl", Data: []byte(tc.src)}
			errs := CheckSyntax(f)
			if len(errs) != 1 || !strings.Contains(errs[0].Msg, tc.want) || errs[0].File != f.Path || errs[0].Line != tc.line || errs[0].Column == 0 {
				t.Fatalf("CheckSyntax = %v, want one error at %s:%d:col containing %q", errs, f.Path, tc.line, tc.want)
			}
			_, err := Compose(MariaDB, []Layer{{Name: "basic", Files: []File{f}}}, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Compose = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestLimitsAcceptRealSchemas checks that the limits leave every schema of
// the corpus and the example alone.
func TestLimitsAcceptRealSchemas(t *testing.T) {
	t.Parallel()
	n := 0
	for _, dir := range []string{"testdata/corpus", "../examples/platform/layers"} {
		for _, f := range hclFilesUnder(t, dir) {
			n++
			if e := CheckLimits(f); e != nil {
				t.Errorf("%v", e)
			}
		}
	}
	if n < 10 {
		t.Fatalf("checked %d files, want the corpus and the example", n)
	}
	// Nesting up to the limit is fine.
	ok := "x = " + strings.Repeat("(", MaxNesting-1) + "1" + strings.Repeat(")", MaxNesting-1) + "\n"
	if e := CheckLimits(File{Path: "ok.hcl", Data: []byte(ok)}); e != nil {
		t.Fatalf("nesting %d refused: %v", MaxNesting-1, e)
	}
}

func hclFilesUnder(t *testing.T, dir string) []File {
	t.Helper()
	var out []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".hcl" {
			return err
		}
		data, err := os.ReadFile(p)
		out = append(out, File{Path: p, Data: data})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
