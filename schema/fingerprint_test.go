package schema

import (
	"context"
	"strings"
	"testing"
)

// TestFingerprintMovesWithEveryChange: the bulk fingerprint of a tenant
// moves with every kind of out-of-band change that drift reports (the
// changes of TestHashMovesWithEveryChange, one after another), and only
// the changed tenant's; rows and AUTO_INCREMENT counters move nothing. A
// fingerprint that stayed put would let a changed tenant skip inspection:
// drift would have a blind spot.
func TestFingerprintMovesWithEveryChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The other tenant's name has characters InnoDB's dictionary spells
	// in its own encoding ('-' as @002d, '$' as @0024).
	f := newFixtureTenants(t, "u-$1")
	srv, db, prefix, tenant, other := f.srv, f.db, f.prefix, f.tenant, f.other
	// One by one in the loop (fast on a server of many schemas), in bulk
	// both ways too (foreign keys from InnoDB's dictionary and from
	// information_schema): all three read the same.
	type read struct {
		mode fingerprintMode
		pool int
	}
	// Every mode after each change; the pools of one and two connections
	// (the same queries grouped otherwise on fewer connections) at the
	// first and the last state, where they must read the same.
	eachChange := []read{{fingerprintOneByOne, srv.pool}, {fingerprintBulk, 4}, {fingerprintBulkSchema, 4}}
	everyPool := append(eachChange, read{fingerprintBulk, 2}, read{fingerprintBulk, 1}, read{fingerprintBulkSchema, 2})
	reads := everyPool
	fingerprints := func() (string, string) {
		t.Helper()
		dbs := []string{tenant, other, prefix + "missing"}
		var first map[string]string
		pool := srv.pool
		defer func() { srv.pool = pool }()
		for _, run := range reads {
			mode := run.mode
			srv.pool = run.pool
			fp, innodb, err := srv.fingerprints(ctx, dbs, mode)
			if err != nil {
				t.Fatal(err)
			}
			if innodb != (mode == fingerprintBulk) {
				t.Fatalf("mode %d: foreign keys read from InnoDB's dictionary: %v", mode, innodb)
			}
			if _, ok := fp[prefix+"missing"]; ok || len(fp) != 2 {
				t.Fatalf("fingerprints of %d databases, want the 2 that exist", len(fp))
			}
			if first == nil {
				first = fp
			} else if fp[tenant] != first[tenant] || fp[other] != first[other] {
				t.Fatalf("mode %d on a pool of %d reads other fingerprints than one by one", mode, run.pool)
			}
		}
		// And on a tenant's own connection, as a reconcile reads it.
		target, err := srv.Read(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		defer target.Close()
		if fp, err := target.Fingerprint(ctx); err != nil || fp != first[tenant] {
			t.Fatalf("the fingerprint read on the tenant's connection differs (%v)", err)
		}
		return first[tenant], first[other]
	}
	exec := func(st string) {
		t.Helper()
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	tablesFP := func(database string, tables ...string) string {
		t.Helper()
		target, err := srv.Read(ctx, database)
		if err != nil {
			t.Fatal(err)
		}
		defer target.Close()
		fp, err := target.TablesFingerprint(ctx, tables)
		if err != nil {
			t.Fatal(err)
		}
		return fp
	}
	first, otherFirst := fingerprints()
	tablesFirst := tablesFP(tenant, "fx_opts", "fx_types")
	// Two databases of the same schema have the same fingerprint: their
	// names are not in it (a reconcile verifies a tenant by the
	// fingerprint of another of its kind).
	if first != otherFirst {
		t.Fatalf("two databases of the same schema have different fingerprints")
	}
	q := func(table string) string { return quoteIdent(tenant) + "." + quoteIdent(table) }
	exec("INSERT INTO " + q("fx_opts") + " (id, u, n) VALUES (1, 'a', 1), (2, 'b', 2)")
	exec("INSERT INTO " + q("fx_types") + " (flag) VALUES (1), (0)")
	exec("ALTER TABLE " + q("fx_types") + " AUTO_INCREMENT = 1000")
	if fp, _ := fingerprints(); fp != first {
		t.Fatalf("rows and an AUTO_INCREMENT counter moved the fingerprint")
	}
	if tablesFP(tenant, "fx_opts", "fx_types") != tablesFirst {
		t.Fatalf("rows and an AUTO_INCREMENT counter moved the fingerprint of the tables")
	}
	exec("DELETE FROM " + q("fx_opts"))

	// Foreign keys of every action, one to the other tenant's database,
	// whose fingerprint they do not move.
	o := func(table string) string { return quoteIdent(other) + "." + quoteIdent(table) }
	exec("CREATE TABLE " + o("par-ent") + " (id int PRIMARY KEY) ENGINE=InnoDB")
	otherFirst = ""
	changes := append(outOfBandChanges(tenant),
		"CREATE TABLE "+q("by-hand")+" (id int PRIMARY KEY, p int NULL, KEY (p)) ENGINE=InnoDB",
		"ALTER TABLE "+q("by-hand")+" ADD CONSTRAINT `fk-o` FOREIGN KEY (p) REFERENCES "+o("par-ent")+" (id) ON DELETE SET NULL ON UPDATE CASCADE",
		"ALTER TABLE "+q("by-hand")+" DROP FOREIGN KEY `fk-o`",
		"ALTER TABLE "+q("by-hand")+" ADD CONSTRAINT `fk-o` FOREIGN KEY (p) REFERENCES "+o("par-ent")+" (id) ON DELETE NO ACTION ON UPDATE NO ACTION",
		"ALTER TABLE "+q("by-hand")+" DROP FOREIGN KEY `fk-o`",
		"ALTER TABLE "+q("by-hand")+" ADD CONSTRAINT `fk-o` FOREIGN KEY (p) REFERENCES "+o("par-ent")+" (id)",
		"ALTER TABLE "+q("by-hand")+" DROP FOREIGN KEY `fk-o`",
		"ALTER TABLE "+q("by-hand")+" ADD CONSTRAINT `fk-o` FOREIGN KEY (p) REFERENCES "+q("by-hand")+" (id)",
		"ALTER TABLE "+q("by-hand")+" DROP FOREIGN KEY `fk-o`",
		"ALTER TABLE "+q("by-hand")+" ADD CONSTRAINT `fk-p` FOREIGN KEY (p) REFERENCES "+q("by-hand")+" (id)",
		"DROP TABLE "+q("by-hand"),
	)
	// The fingerprint of the tables a statement changes moves too, and
	// that of another table does not (below).
	if tablesFP(tenant, "fx_opts", "fx_types") != tablesFP(other, "fx_types", "fx_opts") {
		t.Fatalf("the same tables of two databases have different fingerprints")
	}
	if tablesFP(tenant, "fx_opts") == tablesFP(tenant, "fx_types") || tablesFP(tenant, "no_such") == tablesFP(tenant, "no_such_either") {
		t.Fatalf("the fingerprints of different tables are the same")
	}
	tableOf := func(st string) string {
		_, rest, ok := strings.Cut(st, quoteIdent(tenant)+".`")
		if !ok {
			return ""
		}
		name, _, _ := strings.Cut(rest, "`")
		return name
	}
	prev := first
	reads = eachChange
	for i, st := range changes {
		if i == len(changes)-1 {
			reads = everyPool
		}
		changed, still := tableOf(st), "fx_types"
		if changed == still {
			still = "fx_opts"
		}
		var changedBefore, stillBefore string
		if changed != "" {
			changedBefore, stillBefore = tablesFP(tenant, changed), tablesFP(tenant, still)
		}
		exec(st)
		fp, otherFP := fingerprints()
		if fp == prev {
			t.Errorf("%s: the fingerprint did not move", st)
		}
		if changed != "" {
			if tablesFP(tenant, changed) == changedBefore {
				t.Errorf("%s: the fingerprint of table %s did not move", st, changed)
			}
			if tablesFP(tenant, still) != stillBefore {
				t.Errorf("%s: moved the fingerprint of table %s", st, still)
			}
		}
		if otherFirst == "" {
			otherFirst = otherFP
		}
		if otherFP != otherFirst {
			t.Fatalf("%s: moved the fingerprint of another tenant", st)
		}
		prev = fp
	}
}

// TestInnodbNames: the names landlord gives databases encode as InnoDB
// spells them, and decode back; other names are left to information_schema.
func TestInnodbNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{"fb_p00001": "fb_p00001", "a-b$c": "a@002db@0024c", "X_9": "X_9"} {
		got, ok := innodbName(name)
		if !ok || got != want {
			t.Errorf("innodbName(%q) = %q, %v; want %q", name, got, ok, want)
		}
		if back, ok := innodbDecode(got); !ok || back != name {
			t.Errorf("innodbDecode(%q) = %q, %v", got, back, ok)
		}
	}
	for _, name := range []string{"", "é", "a b", "a.b"} {
		if _, ok := innodbName(name); ok {
			t.Errorf("innodbName(%q) encoded a name it does not know how to", name)
		}
	}
	for _, enc := range []string{"@1O", "a@002", "a@0061", "#sql-1", "a@00E9", "a@002D"} {
		if _, ok := innodbDecode(enc); ok {
			t.Errorf("innodbDecode(%q) decoded a name it does not know how to", enc)
		}
	}
	for typ, want := range map[int][2]string{0: {"RESTRICT", "RESTRICT"}, 9: {"SET NULL", "CASCADE"}, 6: {"CASCADE", "SET NULL"}, 48: {"NO ACTION", "NO ACTION"}} {
		if u, d, ok := innodbRules(typ); !ok || u != want[0] || d != want[1] {
			t.Errorf("innodbRules(%d) = %s, %s", typ, u, d)
		}
	}
}

// TestFingerprintGroups: the bulk queries are split among as many
// connections as the pool allows up to four, each query read once, the
// three that open every table apart when there are four.
func TestFingerprintGroups(t *testing.T) {
	t.Parallel()
	for _, engine := range []Engine{MariaDB, MySQL} {
		queries := fingerprintQueries(engine)
		for pool := 0; pool <= 8; pool++ {
			groups := fingerprintGroups(queries, pool)
			want := min(max(pool, 1), 4)
			if pool == 3 {
				want = 2
			}
			if len(groups) != want {
				t.Fatalf("%s, pool %d: %d groups, want %d", engine, pool, len(groups), want)
			}
			seen := map[string]int{}
			for _, g := range groups {
				for _, q := range g {
					seen[q.name]++
					if pool >= 4 && (q.name == "table" || q.name == "check" || q.name == "index") && len(g) != 1 {
						t.Fatalf("%s, pool %d: %s shares its connection", engine, pool, q.name)
					}
				}
			}
			for _, q := range queries {
				if seen[q.name] != 1 {
					t.Fatalf("%s, pool %d: %s read %d times", engine, pool, q.name, seen[q.name])
				}
			}
			if len(seen) != len(queries) {
				t.Fatalf("%s, pool %d: %d queries read, want %d", engine, pool, len(seen), len(queries))
			}
		}
	}
}
