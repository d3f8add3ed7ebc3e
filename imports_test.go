package landlord_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// floors is the total order of landlord's packages, top to bottom. A
// package may import only packages on a lower floor; packages on one floor
// never import each other. Every package of the module must be on a floor,
// so a new package has to take its place here.
var floors = [][]string{
	{"cmd/landlord", "cmd/fleetbench"},
	{"serve/ui"},
	{"serve/api"},
	{"serve/daemon"},
	{"serve/notify"},
	{"serve/metrics"},
	{"reconciler"},
	{"backup", "desired", "schema", "state"},
	{"refdata", "seed"},
	{"internal/confine", "internal/fileerr", "internal/memlimit", "internal/printable", "internal/redact", "internal/signature", "internal/testenv"},
	{"internal/mysqlurl"},
}

const module = "github.com/landlord/landlord"

// TestImportsRunDownward checks every import of every package of the
// module, its tests' imports included, against floors.
func TestImportsRunDownward(t *testing.T) {
	floor := map[string]int{}
	for i, f := range floors {
		for _, p := range f {
			floor[module+"/"+p] = i
		}
	}
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.ImportPath == module {
			continue // this test
		}
		from, ok := floor[p.ImportPath]
		if !ok {
			t.Errorf("%s is on no floor: add it to floors in imports_test.go (and to the README's architecture section)", p.ImportPath)
			continue
		}
		seen++
		check := func(imports []string, what string) {
			for _, imp := range imports {
				if !strings.HasPrefix(imp, module+"/") || imp == p.ImportPath {
					continue
				}
				to, ok := floor[imp]
				if !ok {
					continue // reported as its own package
				}
				if to <= from {
					t.Errorf("%s%s imports %s: imports must run downward (floor %d to %d)", strings.TrimPrefix(p.ImportPath, module+"/"), what,
						strings.TrimPrefix(imp, module+"/"), from, to)
				}
			}
		}
		check(p.Imports, "")
		check(p.TestImports, " (tests)")
		check(p.XTestImports, " (tests)")
	}
	if seen < len(floor) {
		t.Errorf("go list saw %d of the %d packages on floors: a package on a floor is gone; remove it from floors", seen, len(floor))
	}
}
