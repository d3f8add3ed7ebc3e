package reconciler

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection keeps the layering: cmd → reconciler → {desired,
// schema, state}, and the three leaves never import each other nor
// reconciler (directly or through another package).
func TestImportDirection(t *testing.T) {
	const mod = "github.com/landlord/landlord/"
	leaves := []string{"desired", "schema", "state"}
	forbidden := append([]string{"reconciler", "cmd/landlord"}, leaves...)
	for _, leaf := range leaves {
		out, err := exec.Command("go", "list", "-deps", "-test=false", mod+leaf).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", leaf, err, out)
		}
		deps := strings.Fields(string(out))
		for _, dep := range deps {
			for _, f := range forbidden {
				if f != leaf && dep == mod+f {
					t.Errorf("%s imports %s (directly or not): leaves must not import each other nor reconciler", leaf, f)
				}
			}
		}
	}
	out, err := exec.Command("go", "list", "-deps", mod+"reconciler").CombinedOutput()
	if err != nil {
		t.Fatalf("go list reconciler: %v\n%s", err, out)
	}
	if strings.Contains(string(out), mod+"cmd/") {
		t.Errorf("reconciler imports a command package")
	}
}
