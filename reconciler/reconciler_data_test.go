package reconciler

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/testenv"
)

// tenantDB opens a tenant's database: the fixture's MariaDB connection
// with the table qualified, or the tenant's SQLite file.
func (f *fixture) tenantDB(slug string) (db *sql.DB, qualify func(table string) string) {
	f.t.Helper()
	if f.db != nil {
		return f.db, func(table string) string { return "`" + f.database(slug) + "`.`" + table + "`" }
	}
	name := strings.ReplaceAll(slug, "-", "_")
	if slug == "rastriya-swatantra" {
		name = "rsp"
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(f.server[len("sqlite://"):], name+".db"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db, func(table string) string { return table }
}

func (f *fixture) scalar(slug, query string, args ...any) string {
	f.t.Helper()
	db, _ := f.tenantDB(slug)
	var s sql.NullString
	if err := db.QueryRow(query, args...).Scan(&s); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return s.String
}

// editFile replaces old by new in a file of the fixture's repository.
func (f *fixture) editFile(rel, old, new string) {
	f.t.Helper()
	p := filepath.Join(f.repo, rel)
	data, err := os.ReadFile(p)
	if err != nil {
		f.t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		f.t.Fatalf("%s holds no %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// TestReferenceData provisions the example's reference rows on MariaDB and
// SQLite, then changes, removes and drifts them.
func TestReferenceData(t *testing.T) {
	t.Parallel()
	const districts = "layers/basic/data/districts.yaml"
	for name, newFixture := range map[string]func(testing.TB) *fixture{
		"mariadb": newMariaFixture,
		"sqlite":  newSQLiteFixture,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			db, q := f.tenantDB("nepali-congress")
			count := func(table string) string {
				return f.scalar("nepali-congress", "SELECT COUNT(*) FROM "+q(table))
			}
			first := f.reconcile(Options{})
			if first.Failed() {
				for _, tr := range first.Tenants {
					t.Errorf("first run: %s %s %s", tr.Slug, tr.Action, tr.Error)
				}
				t.FailNow()
			}
			for _, slug := range []string{"nepali-congress", "cpn-uml", "rastriya-swatantra"} {
				_, qq := f.tenantDB(slug)
				for table, want := range map[string]string{"provinces": "7", "districts": "77", "local_levels": "21", "committee_levels": "5", "membership_fee_types": "4"} {
					if got := f.scalar(slug, "SELECT COUNT(*) FROM "+qq(table)); got != want {
						t.Errorf("%s.%s: %s rows, want %s", slug, table, got, want)
					}
				}
			}
			if got := f.scalar("nepali-congress", "SELECT name_ne FROM "+q("districts")+" WHERE id = 28"); got != "काठमाडौँ" {
				t.Errorf("district 28 name_ne %q", got)
			}
			second := f.reconcile(Options{})
			if second.Applied != 0 || second.Changed() || second.Counts.Unchanged != 3 {
				t.Fatalf("second run: applied %d, counts %+v", second.Applied, second.Counts)
			}

			// A tenant's own rows are never touched.
			if _, err := db.Exec("INSERT INTO " + q("provinces") + " (id, name_en, name_ne) VALUES (99, 'Own', 'आफ्नै')"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("INSERT INTO " + q("membership_fee_types") + " (code, name_en, name_ne, period, amount_npr) VALUES ('student', 'Student', 'विद्यार्थी', 'annual', 50)"); err != nil {
				t.Fatal(err)
			}

			// One district's Nepali name changes in git: one UPDATE per
			// tenant, attributed to its file and line.
			before := f.load()
			f.editFile(districts, "name_ne: ललितपुर", "name_ne: ललितपुर जिल्ला")
			prev := func(context.Context, string) (*desired.Repo, error) { return before, nil }
			plan := f.reconcile(Options{Plan: true, Previous: prev})
			for _, tr := range plan.Tenants {
				if tr.Slug == "janamat" {
					continue
				}
				if len(tr.Changes) != 1 || !strings.HasPrefix(tr.Changes[0].SQL, "UPDATE ") || tr.Changes[0].File != districts || tr.Changes[0].Line != 123 || tr.Changes[0].Layer != "basic" {
					t.Errorf("%s: changes %+v, want one UPDATE at %s:123", tr.Slug, tr.Changes, districts)
				}
				want := `districts: 1 update [update id=30: name_ne: "ललितपुर" → "ललितपुर जिल्ला" (layers/basic/data/districts.yaml:123)]`
				if len(tr.Data) != 1 || fmt.Sprint(tr.Data[0].String(), " ", tr.Data[0].Rows) != want {
					t.Errorf("%s: data %+v, want %s", tr.Slug, tr.Data, want)
				}
			}
			applied := f.reconcile(Options{Previous: prev})
			if applied.Failed() || applied.Applied != 3 {
				t.Fatalf("apply the change: applied %d, %+v", applied.Applied, applied.Tenants)
			}
			if got := f.scalar("nepali-congress", "SELECT name_ne FROM "+q("districts")+" WHERE id = 30"); got != "ललितपुर जिल्ला" {
				t.Errorf("district 30 name_ne %q after the change", got)
			}

			// A row keyed by its unique key (a CSV file, key code): one
			// UPDATE by code; the tenant's own fee type stays.
			const fees = "layers/templates/political-party/data/membership_fee_types.csv"
			before = f.load()
			f.editFile(fees, "आजीवन सदस्यता,once,10000", "आजीवन सदस्यता,once,15000")
			feePlan := f.reconcile(Options{Plan: true, Previous: func(context.Context, string) (*desired.Repo, error) { return before, nil }})
			for _, tr := range feePlan.Tenants {
				if tr.Slug == "janamat" {
					continue
				}
				if len(tr.Changes) != 1 || !strings.Contains(tr.Changes[0].SQL, "SET `amount_npr` = ? WHERE `code` = ?") || tr.Changes[0].File != fees || tr.Changes[0].Line != 9 {
					t.Errorf("%s: fee change %+v, want one UPDATE by code at %s:9", tr.Slug, tr.Changes, fees)
				}
			}
			if res := f.reconcile(Options{}); res.Failed() || res.Applied != 3 {
				t.Fatalf("apply the fee change: applied %d, %+v", res.Applied, res.Tenants)
			}
			if got := f.scalar("nepali-congress", "SELECT amount_npr FROM "+q("membership_fee_types")+" WHERE code = 'life'"); got != "15000" {
				t.Errorf("life fee %s after the change", got)
			}
			if got := f.scalar("nepali-congress", "SELECT amount_npr FROM "+q("membership_fee_types")+" WHERE code = 'student'"); got != "50" {
				t.Errorf("the tenant's own fee type: %s", got)
			}

			// A row removed from git is deleted only when allowed.
			before = f.load()
			f.editFile(districts, "- id: 77\n  province_id: 7\n  name_en: Darchula\n  name_ne: दार्चुला\n", "")
			blocked := f.reconcile(Options{Previous: prev})
			for _, tr := range blocked.Tenants {
				if tr.Slug != "janamat" && (tr.Action != ActionBlocked || !strings.Contains(tr.Error, "deletes the row id=77 of districts")) {
					t.Errorf("%s: %s %s, want blocked delete", tr.Slug, tr.Action, tr.Error)
				}
			}
			if got := count("districts"); got != "77" {
				t.Errorf("blocked delete deleted: %s districts", got)
			}
			allowed := f.reconcile(Options{Previous: prev, AllowDestructive: true})
			if allowed.Failed() || allowed.Applied != 3 {
				t.Fatalf("allowed delete: applied %d, %+v", allowed.Applied, allowed.Tenants)
			}
			if got := count("districts"); got != "76" {
				t.Errorf("allowed delete: %s districts, want 76", got)
			}

			// Out of band: a declared row changed and one deleted. The
			// reconcile (policy report) reports and leaves them; repair
			// restores them; the tenant's own row stays.
			if _, err := db.Exec("UPDATE " + q("districts") + " SET name_en = 'Kathmandoo' WHERE id = 28"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("DELETE FROM " + q("districts") + " WHERE id = 76"); err != nil {
				t.Fatal(err)
			}
			dr, err := f.rec.Drift(context.Background(), f.load(), DriftOptions{Tenants: []string{"nepali-congress"}})
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, d := range dr.Tenants[0].Drift {
				found = append(found, d.Object+" "+d.Change+" "+string(d.Severity))
			}
			if got, want := strings.Join(found, ","), "districts.id=28 name_en modified medium,districts.id=76 removed medium"; got != want || dr.Tenants[0].Status != DriftFound {
				t.Errorf("drift: %s %q (%s), want %q", dr.Tenants[0].Status, got, dr.Tenants[0].Error, want)
			}
			report := f.reconcile(Options{Tenants: []string{"nepali-congress"}})
			tr := report.Tenants[0]
			var drift []string
			for _, d := range tr.Drift {
				drift = append(drift, d.Object+" "+d.Change+" "+d.Action+" "+string(d.Severity))
			}
			want := "districts.id=28 name_en modified left medium,districts.id=76 removed left medium"
			if strings.Join(drift, ",") != want || tr.Applied != 0 {
				t.Errorf("report: drift %q applied %d (%s), want %q", strings.Join(drift, ","), tr.Applied, tr.Error, want)
			}
			repaired, err := f.rec.Repair(context.Background(), f.load(), TenantOptions{Tenant: "nepali-congress"})
			if err != nil || repaired.Failed() || repaired.Applied != 2 {
				t.Fatalf("repair: %v, %+v", err, repaired)
			}
			if got := f.scalar("nepali-congress", "SELECT name_en FROM "+q("districts")+" WHERE id = 28"); got != "Kathmandu" {
				t.Errorf("repair: district 28 is %q", got)
			}
			if got := count("districts"); got != "76" {
				t.Errorf("repair: %s districts, want 76", got)
			}
			if got := f.scalar("nepali-congress", "SELECT name_en FROM "+q("provinces")+" WHERE id = 99"); got != "Own" {
				t.Errorf("the tenant's own row: %q", got)
			}
			if again := f.reconcile(Options{}); again.Applied != 0 || again.Changed() {
				t.Errorf("after repair: applied %d, counts %+v", again.Applied, again.Counts)
			}
		})
	}
}

// TestReferenceDataTransaction: the statements on rows run in one
// transaction, so a row the server refuses (a district that does not
// exist) in the last of four INSERTs leaves none of the rows, and the
// statements that ran are not recorded as applied.
func TestReferenceDataTransaction(t *testing.T) {
	t.Parallel()
	for name, newFixture := range map[string]func(testing.TB) *fixture{"mariadb": newMariaFixture, "sqlite": newSQLiteFixture} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, opts := provisionOne(t, newFixture)
			data := levelRows(450) + "- id: 99999\n  district_id: 999\n  name_en: Nowhere\n  name_ne: कतै छैन\n  kind: municipality\n"
			testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/data/local_levels.yaml", data)
			res := f.reconcile(opts)
			tr := res.Tenants[0]
			if !res.Failed() || tr.Applied != 0 || len(tr.Changes) != 4 {
				t.Fatalf("apply: %s applied %d of %d (%s), want a failure with none applied", tr.Action, tr.Applied, len(tr.Changes), tr.Error)
			}
			_, q := f.tenantDB("nepali-congress")
			if got := f.scalar("nepali-congress", "SELECT COUNT(*) FROM "+q("local_levels")); got != "21" {
				t.Errorf("%s local levels after the failed apply, want the 21 before it", got)
			}
		})
	}
}
