package desired

import (
	"strings"
	"testing"
	"testing/fstest"
)

// hostileYAML are seeds for the manifest fuzz targets. testdata/fuzz holds
// more.
var hostileYAML = []string{
	"slug: acme\ntemplate: party\nmodules: [election, volunteers]\n",
	"slug: acme\ntemplate: party\nmodules: [election, volunteers]\ndatabase: mysql\npolicy:\n  allowDestructive: true\n",
	"slug: acme\ntemplate: party\ndatabase: \"x`; DROP DATABASE y; --\"\nname: \"\\u0000\"\ndomain: \"a..b\"\n",
	"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nmodules: *c\n",
	"slug: acme\nx: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n",
	"slug: acme\nname: " + strings.Repeat("n", MaxNameLength+1) + "\n",
	"--- !!binary\n",
	"slug: [acme\n",
	"\xff\xfe\x00s\x00l\x00u\x00g\x00",
	"<<: *undefined\n",
	"slug: &a\n  - *a\n",
	"servers:\n  primary:\n    url: mysql://root:pw@host/\n",
	"servers:\n  primary:\n    url: ${A:-${B}}\n",
}

// FuzzLoadManifest loads a repository whose tenant manifest and
// landlord.yaml hold any bytes: no input may panic, hang or allocate
// without bound, and every problem names a file.
func FuzzLoadManifest(f *testing.F) {
	for _, s := range hostileYAML {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, config bool) {
		fsys := repoFS(nil)
		if config {
			fsys["landlord.yaml"] = &fstest.MapFile{Data: data}
		} else {
			fsys["tenants/acme.yaml"] = &fstest.MapFile{Data: data}
		}
		r, err := Load(fsys, "rev", LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Fatalf("Load failed on a readable repository: %v", err)
		}
		for _, e := range r.Problems() {
			if e.File == "" {
				t.Fatalf("a problem without a file: %v", e)
			}
		}
	})
}
