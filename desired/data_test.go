package desired

import (
	"strings"
	"testing"
)

func TestDataFilesInLayers(t *testing.T) {
	r := load(t, repoFS(map[string]string{
		"layers/basic/data/provinces.yaml":          "- id: 1\n  name_en: Koshi\n",
		"layers/basic/data/notes.txt":               "not data",
		"layers/modules/election/data/parties.yaml": "- id: 1\n",
		"layers/custom/acme/data/provinces.yaml":    "- id: 1\n  name_en: Koshi Province\n",
	}), LoadOptions{})
	acme, _ := r.Tenant("acme")
	if !acme.Valid() {
		t.Fatal(acme.Errors)
	}
	got := map[string][]string{}
	for _, l := range acme.Layers {
		for _, f := range l.Data {
			got[l.Name] = append(got[l.Name], f.Path)
		}
	}
	want := map[string][]string{
		"basic":           {"layers/basic/data/provinces.yaml"},
		"module/election": {"layers/modules/election/data/parties.yaml"},
		"custom/acme":     {"layers/custom/acme/data/provinces.yaml"},
	}
	for k, v := range want {
		if strings.Join(got[k], ",") != strings.Join(v, ",") {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("layers with data: %v", got)
	}
}

func TestDataFilesBounded(t *testing.T) {
	deep := strings.Repeat("- ", MaxYAMLDepth+2) + "x\n"
	r := load(t, repoFS(map[string]string{
		"layers/basic/data/big.yaml":  "# " + strings.Repeat("x", MaxLayerFileSize) + "\n",
		"layers/basic/data/deep.yaml": deep,
	}), LoadOptions{})
	acme, _ := r.Tenant("acme")
	msg := acme.Errors.Error()
	for _, want := range []string{"layers/basic/data/big.yaml:1:1: the file is larger than", "layers/basic/data/deep.yaml:1:", "nested more than"} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors %q lack %q", msg, want)
		}
	}
}
