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
	r := load(t, repoFS(map[string]string{
		"layers/basic/data/big.yaml":          "# " + strings.Repeat("x", MaxDataFileSize) + "\n",
		"layers/basic/data/provinces.yaml":    "- id: 1\n",
		"layers/basic/data/provinces.csv":     "id\n1\n",
		"layers/modules/election/data/ok.csv": "id\n1\n",
	}), LoadOptions{})
	acme, _ := r.Tenant("acme")
	msg := acme.Errors.Error()
	for _, want := range []string{
		"layers/basic/data/big.yaml:1:1: the file is larger than 33554432 bytes",
		"layers/basic/data/provinces.yaml: rows for table provinces are also in layers/basic/data/provinces.csv: one file per table and layer",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors %q lack %q", msg, want)
		}
	}
	var csv []string
	for _, l := range acme.Layers {
		for _, f := range l.Data {
			csv = append(csv, f.Path)
		}
	}
	if strings.Join(csv, ",") != "layers/basic/data/provinces.csv,layers/modules/election/data/ok.csv" {
		t.Errorf("data files read: %v", csv)
	}
}
