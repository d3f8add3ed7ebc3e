package reconciler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGroupPlans(t *testing.T) {
	alter := func(db string) Change {
		return Change{SQL: "ALTER TABLE `" + db + "`.`candidates` ADD COLUMN `x` int NULL", Layer: "module/election", File: "e.hcl", Line: 3}
	}
	create := func(db string) []Change {
		return []Change{{SQL: "CREATE DATABASE `" + db + "` COLLATE utf8mb4_unicode_ci", Layer: "basic", File: "s.hcl", Line: 1}}
	}
	drop := Change{SQL: "ALTER TABLE `c`.`users` DROP COLUMN `y`", Layer: "basic", File: "i.hcl", Line: 3, Destructive: true}
	tenants := []TenantResult{
		{Slug: "a", Database: "a", Action: ActionUpdate, Changes: []Change{alter("a")}},
		{Slug: "b", Database: "bb", Action: ActionUpdate, Changes: []Change{alter("bb")}},
		{Slug: "c", Database: "c", Action: ActionBlocked, Changes: []Change{alter("c"), drop}},
		{Slug: "d", Database: "d", Action: ActionNoop},
		{Slug: "e", Database: "e", Action: ActionCreate, Changes: create("e")},
		{Slug: "f", Database: "f", Action: ActionCreate, Changes: create("f")},
		// Same statement from another line: a plan of its own.
		{Slug: "g", Database: "g", Action: ActionUpdate, Changes: []Change{{SQL: alter("g").SQL, Layer: "module/election", File: "e.hcl", Line: 4}}},
	}
	type summary struct {
		Action  Action
		Slugs   []string
		SQL     []string
		Destroy int
	}
	var got []summary
	for _, g := range GroupPlans(tenants) {
		s := summary{Action: g.Action, Slugs: g.Slugs(), Destroy: len(g.Destructive())}
		for _, c := range g.Changes {
			s.SQL = append(s.SQL, c.SQL)
		}
		got = append(got, s)
	}
	want := []summary{
		{ActionUpdate, []string{"a", "b"}, []string{"ALTER TABLE `candidates` ADD COLUMN `x` int NULL"}, 0},
		{ActionBlocked, []string{"c"}, []string{"ALTER TABLE `c`.`candidates` ADD COLUMN `x` int NULL", drop.SQL}, 1},
		{ActionCreate, []string{"e", "f"}, []string{"CREATE DATABASE " + DatabasePlaceholder + " COLLATE utf8mb4_unicode_ci"}, 0},
		{ActionUpdate, []string{"g"}, []string{"ALTER TABLE `g`.`candidates` ADD COLUMN `x` int NULL"}, 0},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("groups (-got +want):\n%s", diff)
	}
	// The tenants' own results keep their exact SQL.
	if tenants[1].Changes[0].SQL != alter("bb").SQL {
		t.Errorf("grouping changed a tenant's SQL: %s", tenants[1].Changes[0].SQL)
	}
}
