package reconciler

import (
	"strings"
	"testing"
)

// Provenance names the layer and file of every table of a tenant, and the
// other files that add columns to it.
func TestProvenance(t *testing.T) {
	t.Parallel()
	f := newSQLiteFixture(t)
	repo := f.load()
	ten, ok := repo.Tenant("nepali-congress")
	if !ok {
		t.Fatal("no nepali-congress in the example")
	}
	tables, err := Provenance(repo, ten)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]TableProvenance{}
	for _, tp := range tables {
		got[tp.Table] = tp
		if tp.Origin.Layer == "" || !strings.HasPrefix(tp.Origin.File, "layers/") || tp.Origin.Line == 0 {
			t.Errorf("table %s: origin %+v, want a layer, file and line", tp.Table, tp.Origin)
		}
	}
	if m := got["members"]; m.Origin.Layer != "template/political-party" || m.Origin.File != "layers/templates/political-party/membership.hcl" {
		t.Errorf("members: %+v", m)
	}
	custom := 0
	for _, tp := range tables {
		if strings.HasPrefix(tp.Origin.Layer, "custom/") {
			custom++
		}
		for _, o := range tp.Extended {
			if o.File == tp.Origin.File {
				t.Errorf("table %s extended by its own file %s", tp.Table, o.File)
			}
		}
	}
	if custom == 0 || len(tables) < 5 {
		t.Errorf("%d tables, %d of the custom layer: %+v", len(tables), custom, tables)
	}
}

// A probe reports the connections of landlord's pool to a MariaDB server.
func TestProbeConnections(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	repo := f.load()
	hs := f.rec.Probe(t.Context(), repo)
	if len(hs) != 1 || !hs[0].Up || hs[0].Open < 1 || hs[0].InUse > hs[0].Open {
		t.Fatalf("probe: %+v, want the server up with at least one open connection", hs)
	}
}
