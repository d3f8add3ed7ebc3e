package reconciler

import (
	"context"
	"fmt"
	"testing"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// TestSnapshotLiveParsedOnce: a run reads a snapshot back once per
// content, whichever tenant it belongs to, keeps at most maxParsed of
// them and maxKeptTables tables, the oldest dropped first, and reads
// the same schema as LiveFromSnapshot.
func TestSnapshotLiveParsedOnce(t *testing.T) {
	f := newSQLiteFixture(t)
	if res := f.reconcile(Options{}); res.Counts.Created == 0 {
		t.Fatalf("nothing created: %+v", res.Counts)
	}
	snap, ok, err := f.store.Baseline(context.Background(), "cpn-uml")
	if err != nil || !ok {
		t.Fatalf("baseline: %v %v", ok, err)
	}
	want, err := schema.LiveFromSnapshot(schema.SQLite, []byte(snap.HCL), []byte(snap.DDL))
	if err != nil {
		t.Fatal(err)
	}
	wantHash, _ := want.Hash()
	tables := len(want.Tables())

	ru := &run{}
	first, err := ru.snapshotLive(schema.SQLite, snap)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := first.Hash(); h != wantHash || len(first.Tables()) != tables {
		t.Fatalf("read back as another schema: %.12s, %d tables; want %.12s, %d", h, len(first.Tables()), wantHash, tables)
	}
	// Another tenant's snapshot of the same content: the same schema.
	other := snap
	other.ID, other.Tenant = snap.ID+1000, "another"
	if again, _ := ru.snapshotLive(schema.SQLite, other); again != first {
		t.Fatal("the same content was parsed again")
	}
	// Other contents: each parsed; beyond maxParsed the oldest goes.
	variant := func(i int) state.Snapshot {
		s := snap
		s.HCL += fmt.Sprintf("\n# variant %d\n", i)
		return s
	}
	for i := 1; i <= maxParsed; i++ {
		l, err := ru.snapshotLive(schema.SQLite, variant(i))
		if err != nil {
			t.Fatal(err)
		}
		if l == first {
			t.Fatalf("variant %d read as the first snapshot", i)
		}
	}
	if n := len(ru.parsed.entries); n != maxParsed {
		t.Fatalf("%d snapshots kept, want %d", n, maxParsed)
	}
	if again, _ := ru.snapshotLive(schema.SQLite, snap); again == first {
		t.Fatal("the oldest snapshot was kept beyond maxParsed")
	}

	// The tables bound: two schemas fit, a third drops the oldest.
	defer func(n int) { maxKeptTables = n }(maxKeptTables)
	maxKeptTables = 2 * tables
	ru = &run{}
	a, _ := ru.snapshotLive(schema.SQLite, variant(1))
	ru.snapshotLive(schema.SQLite, variant(2))
	if again, _ := ru.snapshotLive(schema.SQLite, variant(1)); again != a {
		t.Fatal("a schema within the tables bound was parsed again")
	}
	ru.snapshotLive(schema.SQLite, variant(3))
	if ru.parsed.tables > maxKeptTables || len(ru.parsed.entries) != 2 {
		t.Fatalf("%d tables in %d schemas kept, bound %d", ru.parsed.tables, len(ru.parsed.entries), maxKeptTables)
	}
	if again, _ := ru.snapshotLive(schema.SQLite, variant(1)); again == a {
		t.Fatal("the oldest schema was kept beyond the tables bound")
	}

	// A snapshot that does not read back fails, every time.
	bad := snap
	bad.HCL = "table \"x\" {"
	if _, err := ru.snapshotLive(schema.SQLite, bad); err == nil {
		t.Fatal("a broken snapshot read back")
	}
	if _, err := ru.snapshotLive(schema.SQLite, bad); err == nil {
		t.Fatal("a broken snapshot read back the second time")
	}
}

// TestComposePreviousOnce: the desired schema of a previous revision, by
// which drops are attributed, is composed once per engine and layer set,
// and composed alone beyond maxComposed.
func TestComposePreviousOnce(t *testing.T) {
	t.Parallel()
	f := newSQLiteFixture(t)
	repo := f.load()
	ru := &run{previous: map[string]*previousEntry{"rev": {}}}
	byKey := map[string]*desired.Tenant{}
	for _, tn := range repo.Tenants {
		if tn.Valid() && len(tn.Layers) > 0 {
			byKey[tn.LayerKey()] = tn
		}
	}
	if len(byKey) < 2 {
		t.Fatalf("%d layer sets in the example, want several", len(byKey))
	}
	seen := map[*schema.Desired]bool{}
	for _, tn := range byKey {
		d1, err := ru.composePrevious("rev", repo, schema.MariaDB, tn)
		if err != nil {
			t.Fatal(err)
		}
		d2, _ := ru.composePrevious("rev", repo, schema.MariaDB, tn)
		if d1 != d2 {
			t.Fatalf("%s composed twice", tn.Slug)
		}
		if seen[d1] {
			t.Fatalf("%s shares another layer set's schema", tn.Slug)
		}
		seen[d1] = true
		if d3, _ := ru.composePrevious("rev", repo, schema.SQLite, tn); d3 == d1 {
			t.Fatalf("%s: one schema for two engines", tn.Slug)
		}
	}
	// Full: composed for the tenant alone, not kept.
	var tn *desired.Tenant
	for _, v := range byKey {
		tn = v
	}
	pe := ru.previous["rev"]
	for i := len(pe.composed); i < maxComposed; i++ {
		pe.composed[fmt.Sprint("filler", i)] = &desiredEntry{}
	}
	delete(pe.composed, layerSetKey(schema.MySQL, tn))
	a, err := ru.composePrevious("rev", repo, schema.MySQL, tn)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := ru.composePrevious("rev", repo, schema.MySQL, tn); a == b || len(pe.composed) != maxComposed {
		t.Fatalf("beyond the bound: kept %d schemas, composed once: %v", len(pe.composed), a == b)
	}
}
