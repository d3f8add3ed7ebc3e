package desired

import (
	"strings"
	"testing"
)

func TestDemoFilesInLayers(t *testing.T) {
	r := load(t, repoFS(map[string]string{
		"layers/basic/demo.yaml":                    "users:\n  perScale: 1\n",
		"layers/modules/election/demo.yaml":         "members:\n  columns: {}\n",
		"layers/templates/party/data/demo.yaml.txt": "not demo",
	}), LoadOptions{})
	acme, _ := r.Tenant("acme")
	if !acme.Valid() {
		t.Fatal(acme.Errors)
	}
	got := map[string]string{}
	for _, l := range acme.Layers {
		if l.Demo != nil {
			got[l.Name] = l.Demo.Path
		}
	}
	want := map[string]string{"basic": "layers/basic/demo.yaml", "module/election": "layers/modules/election/demo.yaml"}
	if len(got) != len(want) || got["basic"] != want["basic"] || got["module/election"] != want["module/election"] {
		t.Errorf("demo files: %v, want %v", got, want)
	}
	if acme.Environment != Production {
		t.Errorf("environment %q, want the default production", acme.Environment)
	}
}

func TestDemoFileBounded(t *testing.T) {
	r := load(t, repoFS(map[string]string{
		"layers/basic/demo.yaml": "# " + strings.Repeat("x", MaxLayerFileSize) + "\n",
	}), LoadOptions{})
	acme, _ := r.Tenant("acme")
	if msg := acme.Errors.Error(); !strings.Contains(msg, "layers/basic/demo.yaml:1:1: the file is larger than") {
		t.Errorf("errors %q", msg)
	}
}
