package reconciler

import (
	"path/filepath"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// A tenant server whose time zone changes (restarted with another
// default, a failover to a replica set up otherwise) shows no drift of
// TIMESTAMP column defaults: landlord's sessions read them in UTC,
// whatever the server's zone.
func TestServerTimeZoneChangeIsNoDrift(t *testing.T) {
	t.Parallel()
	m := testenv.NewMariaDB(t)
	m.Args = []string{"--default-time-zone=-03:00"}
	m.Start()
	f := &fixture{t: t, server: m.URL()}
	f.repo = testenv.CopyExample(t, "")
	testenv.Replace(t, f.repo, "layers/basic/settings.hcl", "  column \"updated_at\" {",
		"  column \"stamped\" {\n    type = timestamp\n    default = \"2020-01-01 00:00:00\"\n  }\n  column \"updated_at\" {")
	f.open(filepath.Join(t.TempDir(), "landlord.db"))
	if res := f.reconcile(Options{}); res.Failed() {
		t.Fatalf("first reconcile: %+v", res.Tenants)
	}
	m.Stop()
	m.Args = []string{"--default-time-zone=+05:45"}
	m.Start()
	dr, err := f.rec.Drift(t.Context(), f.load(), DriftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range dr.Tenants {
		if len(td.Drift) > 0 || td.Error != "" {
			t.Errorf("%s after the server's time zone changed: %s %+v %s", td.Slug, td.Status, td.Drift, td.Error)
		}
	}
	for _, tr := range f.reconcile(Options{Plan: true}).Tenants {
		if len(tr.Changes) > 0 || tr.Error != "" {
			t.Errorf("%s plans %d changes (%s) after the server's time zone changed", tr.Slug, len(tr.Changes), tr.Error)
		}
	}
}
