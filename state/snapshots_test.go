package state

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSnapshotTextsKeptOnce: tenants that record the same text keep it
// once; each reads it back; pruning deletes a text only with the last
// snapshot that names it; a snapshot recorded before version 9 reads its
// own text; a snapshot whose text is missing is an error, never empty.
func TestSnapshotTextsKeptOnce(t *testing.T) {
	ctx := context.Background()
	for dialect, st := range openStores(t) {
		t.Run(dialect, func(t *testing.T) {
			texts := func() int {
				t.Helper()
				var n int
				if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM snapshot_texts").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			hcl, ddl := strings.Repeat("table \"users\" {}\n", 1000), `[{"name":"users"}]`
			add := func(tenant, hcl string) int64 {
				t.Helper()
				id, err := st.AddSnapshot(ctx, Snapshot{Tenant: tenant, Engine: "mariadb", Hash: "h", HCL: hcl, DDL: ddl})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			read := func(tenant string, id int64, want string) {
				t.Helper()
				sn, ok, err := st.GetSnapshot(ctx, tenant, id)
				if err != nil || !ok || sn.HCL != want || sn.DDL != ddl || sn.Tenant != tenant {
					t.Fatalf("snapshot %d of %s: %v %v, %d bytes of HCL", id, tenant, ok, err, len(sn.HCL))
				}
			}
			a1, b1 := add("ta", hcl), add("tb", hcl)
			if n := texts(); n != 1 {
				t.Fatalf("two snapshots of one text keep %d texts", n)
			}
			read("ta", a1, hcl)
			read("tb", b1, hcl)
			// The same HCL with other DDL is another text.
			other, err := st.AddSnapshot(ctx, Snapshot{Tenant: "tc", Hash: "h", HCL: hcl, DDL: "[]"})
			if err != nil {
				t.Fatal(err)
			}
			if n := texts(); n != 2 {
				t.Fatalf("another DDL keeps %d texts, want 2", n)
			}
			if sn, _, err := st.GetSnapshot(ctx, "tc", other); err != nil || sn.DDL != "[]" {
				t.Fatalf("the other DDL reads %q (%v)", sn.DDL, err)
			}
			// ta moves on: its old snapshot is pruned, the text stays for tb.
			changed := hcl + "table \"roles\" {}\n"
			a2 := add("ta", changed)
			if _, err := st.PruneSnapshots(ctx, "ta", Retention{Keep: 1}); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := st.GetSnapshot(ctx, "ta", a1); ok {
				t.Fatal("the pruned snapshot is still there")
			}
			read("tb", b1, hcl)
			read("ta", a2, changed)
			// tb moves on too: the text no snapshot names is deleted.
			add("tb", changed)
			if _, err := st.PruneSnapshots(ctx, "tb", Retention{Keep: 1}); err != nil {
				t.Fatal(err)
			}
			if n := texts(); n != 2 {
				t.Fatalf("after both moved on, %d texts, want 2 (the new one and tc's)", n)
			}
			// A snapshot of before version 9 keeps its text in its row.
			if _, err := st.DB().ExecContext(ctx, "INSERT INTO snapshots (tenant, revision, kind, engine, hash, hcl, ddl, created_at) VALUES (?, '', ?, 'mariadb', 'h', ?, ?, ?)",
				"old", SnapshotApplied, "old hcl", ddl, now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if sn, ok, err := st.Baseline(ctx, "old"); err != nil || !ok || sn.HCL != "old hcl" || sn.DDL != ddl {
				t.Fatalf("a snapshot of before version 9: %+v %v %v", sn, ok, err)
			}
			// A text gone missing is an error.
			if _, err := st.DB().ExecContext(ctx, "DELETE FROM snapshot_texts WHERE digest = ?", textDigest(changed, ddl)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.GetSnapshot(ctx, "ta", a2); err == nil || !strings.Contains(err.Error(), "missing") {
				t.Fatalf("a snapshot whose text is missing: %v", err)
			}
		})
	}
}

// TestSnapshotTextsConcurrently: tenants recording and pruning snapshots
// of the same texts at once never leave a snapshot without its text.
func TestSnapshotTextsConcurrently(t *testing.T) {
	ctx := context.Background()
	for dialect, st := range openStores(t) {
		t.Run(dialect, func(t *testing.T) {
			texts := []string{"table \"a\" {}", "table \"b\" {}", "table \"c\" {}"}
			errs := make(chan error, 8)
			for w := range 8 {
				go func() {
					tenant := "t" + string(rune('a'+w))
					for i := range 30 {
						if _, err := st.AddSnapshot(ctx, Snapshot{Tenant: tenant, Hash: "h", HCL: texts[(i+w)%len(texts)]}); err != nil {
							errs <- err
							return
						}
						if _, err := st.PruneSnapshots(ctx, tenant, Retention{Keep: 1}); err != nil {
							errs <- err
							return
						}
						if _, _, err := st.LatestSnapshot(ctx, tenant); err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			for range 8 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			for w := range 8 {
				tenant := "t" + string(rune('a'+w))
				sn, ok, err := st.LatestSnapshot(ctx, tenant)
				if err != nil || !ok || sn.HCL != texts[(29+w)%len(texts)] {
					t.Errorf("%s: %q %v %v", tenant, sn.HCL, ok, err)
				}
			}
		})
	}
}

// TestSnapshotTextsNewAtOnce: tenants that record the same new text at
// the same moment (a fleet provisioned or changed at once) all record it;
// the landlord database's lock conflicts are waited out or retried.
func TestSnapshotTextsNewAtOnce(t *testing.T) {
	ctx := context.Background()
	for dialect, st := range openStores(t) {
		t.Run(dialect, func(t *testing.T) {
			for round := range 20 {
				text := "table \"t" + string(rune('a'+round)) + "\" {}"
				start := make(chan struct{})
				errs := make(chan error, 8)
				for w := range 8 {
					go func() {
						<-start
						_, err := st.AddSnapshot(ctx, Snapshot{Tenant: "n" + string(rune('a'+w)), Hash: "h", HCL: text})
						errs <- err
					}()
				}
				close(start)
				for range 8 {
					if err := <-errs; err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
				}
				var refs int
				if err := st.DB().QueryRowContext(ctx, "SELECT refs FROM snapshot_texts WHERE digest = ?", textDigest(text, "")).Scan(&refs); err != nil || refs != 8 {
					t.Fatalf("round %d: refs %d (%v), want 8", round, refs, err)
				}
			}
		})
	}
}
