package state

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// TestOpenReadOnly: a read-only open of an existing landlord database reads
// its records; of a missing one it fails and creates nothing; of an
// existing one it writes nothing.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	for dialect, dsn := range stores(t) {
		t.Run(dialect, func(t *testing.T) {
			if _, err := OpenReadOnly(ctx, dsn); err == nil {
				t.Fatal("read-only open of a missing landlord database succeeded")
			}
			if dialect == "sqlite" {
				if _, err := os.Stat(dsn); !os.IsNotExist(err) {
					t.Fatalf("read-only open created %s: %v", dsn, err)
				}
			} else {
				var n int
				name := dsn[strings.LastIndex(dsn, "/")+1:]
				if err := testenv.DB(t).QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n); err != nil || n != 0 {
					t.Fatalf("read-only open created database %s (%d, %v)", name, n, err)
				}
			}
			rw, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			id, err := rw.AddSnapshot(ctx, Snapshot{Tenant: "cpn-uml", Revision: "r1", Hash: "h", HCL: "schema \"tenant\" {}"})
			if err != nil {
				t.Fatal(err)
			}
			rw.Close()

			ro, err := OpenReadOnly(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			snap, ok, err := ro.LatestSnapshot(ctx, "cpn-uml")
			if err != nil || !ok || snap.ID != id || snap.HCL == "" {
				t.Errorf("latest snapshot: %+v %v %v", snap, ok, err)
			}
			if _, err := ro.AddSnapshot(ctx, Snapshot{Tenant: "x", Hash: "h"}); err == nil && dialect == "sqlite" {
				t.Error("a read-only SQLite store accepted a write")
			}
		})
	}
}
