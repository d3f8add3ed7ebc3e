package desired

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// deepNesting is how deep the hostile manifests nest: past yaml.v3's own
// bound (10,000), under MaxManifestSize.
const deepNesting = 50_000

// TestDeepYAMLRefused: a manifest nested far deeper than MaxYAMLDepth is
// refused from its bytes, at the line and column where it passes the
// bound, before a YAML parser sees it (goccy/go-yaml, which places syntax
// errors, takes memory quadratic in the nesting).
func TestDeepYAMLRefused(t *testing.T) {
	deep := strings.Repeat("[", deepNesting) + strings.Repeat("]", deepNesting)
	cases := []struct {
		name, file, content string
		line, column        int
	}{
		{"tenant", "tenants/tc.yaml", "slug: tc\ntemplate: t\nname: " + deep + "\n", 3, 7 + MaxYAMLDepth},
		{"landlord.yaml", "landlord.yaml", "servers:\n  primary:\n    url: sqlite://tenants\nx: " + deep + "\n", 4, 4 + MaxYAMLDepth},
		{"module", "layers/modules/election/module.yaml", "version: 1.0.0\nrequires: " + strings.Repeat("{a: ", deepNesting) + strings.Repeat("}", deepNesting) + "\n", 2, 11 + 4*MaxYAMLDepth},
		{"block sequences", "tenants/tc.yaml", "slug: tc\nx:\n" + strings.Repeat("- ", deepNesting) + "a\n", 3, 3 + 2*MaxYAMLDepth},
		{"unclosed", "tenants/tc.yaml", "slug: tc\nname: " + strings.Repeat("[", deepNesting) + "\n", 2, 7 + MaxYAMLDepth},
		{"demo data", "layers/custom/acme/demo.yaml", "things: " + deep + "\n", 1, 9 + MaxYAMLDepth},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.content) > MaxManifestSize {
				t.Fatalf("the case is %d bytes, over MaxManifestSize", len(tc.content))
			}
			repo := t.TempDir()
			for rel, content := range repoFS(map[string]string{tc.file: tc.content}) {
				write(t, repo, rel, string(content.Data))
			}
			co, err := Open(context.Background(), Source{Repo: repo})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Load(co.FS, co.Revision, LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatal(err)
			}
			var found *ManifestError
			for _, e := range r.Problems() {
				if e.File == tc.file && strings.Contains(e.Msg, "nested more than 16 levels deep") {
					found = e
				}
			}
			if found == nil {
				t.Fatalf("no nesting error in %s; got:\n%v", tc.file, r.Problems())
			}
			if found.Line != tc.line || found.Column != tc.column {
				t.Errorf("error at %d:%d, want %d:%d: %v", found.Line, found.Column, tc.line, tc.column, found)
			}
		})
	}
}

// TestYAMLNestingScan: the scan before parsing refuses only what nests
// deeper than checkShape allows; brackets in comments and in quoted, block
// and plain scalars are text; and every manifest of examples/ and of the
// test data passes it.
func TestYAMLNestingScan(t *testing.T) {
	atBound := "a: " + strings.Repeat("[", MaxYAMLDepth) + "x" + strings.Repeat("]", MaxYAMLDepth) + "\n"
	// blocks is n block mappings, each in the one before.
	blocks := func(n int) string {
		var b strings.Builder
		for i := range n - 1 {
			b.WriteString(strings.Repeat("  ", i) + "k:\n")
		}
		b.WriteString(strings.Repeat("  ", n-1) + "k: v\n")
		return b.String()
	}
	brackets := strings.Repeat("[{", 40)
	for _, ok := range []string{
		atBound,
		blocks(MaxYAMLDepth + 1),
		"a: \"" + brackets + "\"\nb: '" + brackets + "'\n",
		"# " + brackets + "\na: 1 # " + brackets + "\n",
		"a: |\n  " + brackets + "\n  # " + brackets + "\n\n  " + brackets + "\nb: >-\n    " + brackets + "\n",
		"a: x" + brackets + "\n",
		"a: some\n  " + brackets + "\n  " + brackets + "\n",
		"- - - - a\n- b: [c, {d: e}]\n  f: \"g\\\"[\"\n",
		"a: 'it''s [' # ]\nb: [\"x]\", 'y}', z]\n",
		"--- \n" + atBound,
	} {
		if err := checkNesting("f.yaml", []byte(ok)); err != nil {
			t.Errorf("refused:\n%s\n%v", ok, err)
		}
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(ok), &n); err != nil {
			t.Errorf("not YAML, so not a case:\n%s\n%v", ok, err)
		}
	}
	for _, deep := range []string{
		"a: " + strings.Repeat("[", MaxYAMLDepth+1) + strings.Repeat("]", MaxYAMLDepth+1) + "\n",
		blocks(MaxYAMLDepth + 2),
		"a: b\n# c\n  " + strings.Repeat("[", 100) + "\n",
		"a: b # c\n  " + strings.Repeat("[", 100) + "\n",
		"a: |\n  x\n# c\n " + strings.Repeat("[", 100) + "\n",
	} {
		if err := checkNesting("f.yaml", []byte(deep)); err == nil {
			t.Errorf("not refused:\n%.200s", deep)
		}
	}

	var files int
	for _, dir := range []string{"../examples", "testdata"} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files++
			if err := checkNesting(p, data); err != nil {
				t.Errorf("%v", err)
			}
			return nil
		})
	}
	if files == 0 {
		t.Error("no manifest found in examples/ or testdata/")
	}
}
