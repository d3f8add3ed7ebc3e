package reconciler

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/seed"
)

// seedTables are the tables of a tenant of the fixture, as seed sees them.
func (f *fixture) seedTables(slug string) []seed.Table {
	f.t.Helper()
	repo := f.load()
	tn, _ := repo.Tenant(slug)
	d, err := compose(repo, schema.MariaDB, tn)
	if err != nil {
		f.t.Fatal(err)
	}
	return d.SeedTables()
}

// dump hashes every row of the tables, in key order, and counts them.
func (f *fixture) dump(slug string, tables []seed.Table) (string, map[string]int) {
	f.t.Helper()
	db, q := f.tenantDB(slug)
	h := sha256.New()
	counts := map[string]int{}
	for _, t := range tables {
		rows, err := db.Query("SELECT * FROM " + q(t.Name) + " ORDER BY `" + strings.Join(t.Key, "`, `") + "`")
		if err != nil {
			f.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				f.t.Fatal(err)
			}
			fmt.Fprintf(h, "%s:%v\n", t.Name, vals)
			counts[t.Name]++
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil)), counts
}

// orphans counts, for every foreign key of every table, the rows whose
// reference names no row.
func (f *fixture) orphans(slug string, tables []seed.Table) map[string]int {
	f.t.Helper()
	_, q := f.tenantDB(slug)
	out := map[string]int{}
	for _, t := range tables {
		for _, fk := range t.ForeignKeys {
			var on, notNull []string
			for i, c := range fk.Columns {
				on = append(on, "p.`"+fk.RefColumns[i]+"` = c.`"+c+"`")
				notNull = append(notNull, "c.`"+c+"` IS NOT NULL")
			}
			query := fmt.Sprintf("SELECT COUNT(*) FROM %s c LEFT JOIN %s p ON %s WHERE %s AND p.`%s` IS NULL",
				q(t.Name), q(fk.RefTable), strings.Join(on, " AND "), strings.Join(notNull, " AND "), fk.RefColumns[0])
			var n int
			if _, err := fmt.Sscan(f.scalar(slug, query), &n); err != nil {
				f.t.Fatal(err)
			}
			out[t.Name+"."+strings.Join(fk.Columns, ",")+" -> "+fk.RefTable] = n
		}
	}
	return out
}

// TestSeedDemo seeds the example's development tenant at scale 1000 on
// MariaDB and SQLite: every foreign key valid, the reference rows as they
// were, the same rows again with the same seed, other rows with another;
// the production tenant refused with nothing changed. The same seed gives
// the same members on both engines.
func TestSeedDemo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	members := map[string]string{}
	for _, engine := range []string{"mariadb", "sqlite"} {
		t.Run(engine, func(t *testing.T) {
			f := newSQLiteFixture
			if engine == "mariadb" {
				f = newMariaFixture
			}
			fx := f(t)
			// Reference rows in tables the seed generates: kept, and the
			// generated rows deleted around them by key.
			testenv.WriteFile(t, fx.repo, "layers/basic/data/roles.yaml", "- id: 1\n  name: superuser\n")
			testenv.WriteFile(t, fx.repo, "layers/basic/data/permissions.yaml", "- id: 1\n  name: everything\n  guard: web\n")
			testenv.WriteFile(t, fx.repo, "layers/basic/data/permission_role.yaml", "- permission_id: 1\n  role_id: 1\n")
			if res := fx.reconcile(Options{}); res.Failed() {
				t.Fatalf("reconcile: %+v", res.Tenants)
			}
			repo := fx.load()
			db, q := fx.tenantDB("nepali-congress")
			tables := fx.seedTables("nepali-congress")
			reference := []seed.Table{}
			for _, tb := range tables {
				switch tb.Name {
				case "provinces", "districts", "local_levels":
					reference = append(reference, tb)
				}
			}
			declared := func() string {
				return fx.scalar("nepali-congress", "SELECT COUNT(*) FROM "+q("roles")+" r JOIN "+q("permission_role")+" pr ON pr.role_id = r.id JOIN "+q("permissions")+
					" p ON p.id = pr.permission_id WHERE r.id = 1 AND r.name = 'superuser' AND p.id = 1 AND p.name = 'everything'")
			}
			refBefore, refCounts := fx.dump("nepali-congress", reference)
			if refCounts["districts"] != 77 {
				t.Fatalf("districts before seeding: %d, want 77", refCounts["districts"])
			}

			// The production tenant: refused, nothing written, no run.
			prodTables := fx.seedTables("cpn-uml")
			prodBefore, _ := fx.dump("cpn-uml", prodTables)
			runsBefore, err := fx.store.Runs(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fx.rec.Seed(ctx, repo, "cpn-uml", SeedOptions{Scale: 1000, Seed: 42}); !errors.Is(err, ErrProduction) {
				t.Fatalf("seed of a production tenant: %v, want ErrProduction", err)
			}
			if after, _ := fx.dump("cpn-uml", prodTables); after != prodBefore {
				t.Errorf("the refused seed changed the production tenant")
			}
			if runs, _ := fx.store.Runs(ctx, 100); len(runs) != len(runsBefore) {
				t.Errorf("the refused seed recorded a run: %d runs, were %d", len(runs), len(runsBefore))
			}

			first, err := fx.rec.Seed(ctx, repo, "nepali-congress", SeedOptions{Scale: 1000, Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			sum1, counts := fx.dump("nepali-congress", tables)
			if counts["members"] != 1000 || counts["users"] != 500 || counts["membership_fees"] != 2000 {
				t.Errorf("rows: %v", counts)
			}
			for _, st := range first.Tables {
				if counts[st.Table] != st.Kept+st.Inserted {
					t.Errorf("%s: %d rows, the seed reports %d kept and %d inserted", st.Table, counts[st.Table], st.Kept, st.Inserted)
				}
			}
			fks := fx.orphans("nepali-congress", tables)
			if len(fks) < 30 {
				t.Errorf("%d foreign keys checked, the example's development tenant has more than 30", len(fks))
			}
			for fk, n := range fks {
				if n != 0 {
					t.Errorf("%s: %d rows reference no row", fk, n)
				}
			}
			if refAfter, _ := fx.dump("nepali-congress", reference); refAfter != refBefore {
				t.Errorf("the seed changed the reference rows")
			}
			if declared() != "1" {
				t.Errorf("the declared role, permission and grant are not as declared after the seed")
			}
			for _, st := range first.Tables {
				if want := map[string]int{"roles": 1, "permissions": 1, "permission_role": 1}[st.Table]; st.Kept != want {
					t.Errorf("%s: %d rows kept, want %d", st.Table, st.Kept, want)
				}
			}
			t.Logf("%s: %d rows in %d tables in %s (%.0f rows/s)", engine, first.Inserted, len(first.Tables), first.Duration, float64(first.Inserted)/first.Duration.Seconds())

			// Again with the same seed: the same rows, the previous ones replaced.
			again, err := fx.rec.Seed(ctx, repo, "nepali-congress", SeedOptions{Scale: 1000, Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			if again.Deleted != first.Inserted {
				t.Errorf("second seed deleted %d rows, the first inserted %d", again.Deleted, first.Inserted)
			}
			if sum2, _ := fx.dump("nepali-congress", tables); sum2 != sum1 {
				t.Errorf("the same seed gave other rows")
			}
			if declared() != "1" {
				t.Errorf("the declared rows are not as declared after a second seed")
			}
			members[engine] = fx.membersText()

			// Another seed: other rows, as consistent.
			if _, err := fx.rec.Seed(ctx, repo, "nepali-congress", SeedOptions{Scale: 1000, Seed: 43}); err != nil {
				t.Fatal(err)
			}
			if sum3, _ := fx.dump("nepali-congress", tables); sum3 == sum1 {
				t.Errorf("another seed gave the same rows")
			}
			for fk, n := range fx.orphans("nepali-congress", tables) {
				if n != 0 {
					t.Errorf("seed 43: %s: %d rows reference no row", fk, n)
				}
			}
			// A member added by hand is the demo's too: replaced by the next seed.
			if _, err := db.Exec("INSERT INTO " + q("members") + " (id, ward_id, membership_no, full_name, status) VALUES (99999, 1, 'BY-HAND', 'Hand Made', 'active')"); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.rec.Seed(ctx, repo, "nepali-congress", SeedOptions{Scale: 1000, Seed: 42}); err != nil {
				t.Fatal(err)
			}
			if sum4, _ := fx.dump("nepali-congress", tables); sum4 != sum1 {
				t.Errorf("seed 42 after a row added by hand gave other rows")
			}

			// A table that references the generated members without
			// generators of its own, with a row: refused, nothing changed.
			fx.editFile("layers/custom/nepali-congress/demo.yaml", "mahasamiti_delegates:", "ignored_delegates:")
			fx.editFile("layers/custom/nepali-congress/demo.yaml", "ignored_delegates:\n  perScale: 0.01\n  columns:\n    convention_no: {oneof: [\"13\", \"14\", \"15\"]}\n    elected_from: {oneof: [district, province, ward, central]}\n", "")
			if _, err := fx.rec.Seed(ctx, fx.load(), "nepali-congress", SeedOptions{Scale: 1000, Seed: 7}); err == nil || !strings.Contains(err.Error(), "table mahasamiti_delegates has rows that reference members") {
				t.Errorf("seed with delegates left: %v", err)
			}
			if sum5, _ := fx.dump("nepali-congress", tables); sum5 != sum1 {
				t.Errorf("a refused seed changed the tenant")
			}

			runs, err := fx.store.Runs(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			seeds := 0
			for _, r := range runs {
				if r.Trigger == TriggerSeed {
					seeds++
					if r.Outcome != "succeeded" || r.StatementsApplied == 0 {
						t.Errorf("seed run %d: %s, %d statements", r.ID, r.Outcome, r.StatementsApplied)
					}
				}
			}
			if seeds != 4 {
				t.Errorf("%d seed runs recorded, want 4", seeds)
			}
		})
	}
	if len(members) == 2 && members["mariadb"] != members["sqlite"] {
		t.Errorf("the same seed gave other members on MariaDB and SQLite")
	}
}

// membersText is the members' numbers and names, in key order.
func (f *fixture) membersText() string {
	f.t.Helper()
	db, q := f.tenantDB("nepali-congress")
	rows, err := db.Query("SELECT id, membership_no, full_name, full_name_ne, ward_id FROM " + q("members") + " ORDER BY id")
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, no, name, ne, ward string
		if err := rows.Scan(&id, &no, &name, &ne, &ward); err != nil {
			f.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s %s %s %s\n", id, no, name, ne, ward)
	}
	return b.String()
}

// TestSeedAllowed: development and staging tenants may be seeded;
// production (the default), suspended and unknown tenants may not.
func TestSeedAllowed(t *testing.T) {
	dir := testenv.CopyExample(t, "")
	testenv.Replace(t, dir, "tenants/cpn-uml.yaml", "domain: uml.party.example.np", "domain: uml.party.example.np\nenvironment: staging")
	testenv.Replace(t, dir, "tenants/janamat.yaml", "lifecycle: suspended", "lifecycle: suspended\nenvironment: development")
	repo := loadDir(t, dir, nil)
	for slug, want := range map[string]string{
		"nepali-congress":    "",
		"cpn-uml":            "",
		"rastriya-swatantra": "tenant rastriya-swatantra is production (environment in tenants/rastriya-swatantra.yaml)",
		"janamat":            "tenant janamat is suspended: only an active tenant is seeded",
		"ghost":              `no tenant "ghost"`,
	} {
		_, err := SeedAllowed(repo, slug)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", slug, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want %q", slug, err, want)
		}
	}
	if _, err := SeedAllowed(repo, "rastriya-swatantra"); !errors.Is(err, ErrProduction) {
		t.Errorf("production: %v is not ErrProduction", err)
	}
}
