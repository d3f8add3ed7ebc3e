package schema

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

const oobHCL = `schema "tenant" {}

table "parent" {
  schema  = schema.tenant
  comment = "parents"
  column "id" {
    type = int
  }
  column "name" {
    type    = varchar(50)
    comment = "the name"
    null    = true
  }
  primary_key {
    columns = [column.id]
  }
  check "chk_id" {
    expr = "id > 0"
  }
}

table "span" {
  schema = schema.tenant
  column "id" {
    type = int
  }
  column "s" {
    type = date
  }
  column "e" {
    type = date
  }
  column "pt" {
    type = point
  }
  primary_key {
    columns = [column.id]
  }
  index "pt" {
    type    = SPATIAL
    columns = [column.pt]
  }
}

table "child" {
  schema = schema.tenant
  column "id" {
    type           = int
    auto_increment = true
  }
  column "parent_id" {
    type = int
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  index "parent_id" {
    columns = [column.parent_id]
  }
  foreign_key "fk_parent" {
    columns     = [column.parent_id]
    ref_columns = [table.parent.column.id]
    on_delete   = CASCADE
  }
}
`

// TestOutOfBandKinds: each change a DBA may make by hand, one at a time on
// a fresh tenant, moves the fingerprint (the fast path must not skip it)
// and is drift naming what changed. Views, sequences, triggers and
// routines, which Atlas's inspection does not return, are listed as
// unmanaged and never planned; a table given SYSTEM VERSIONING (which
// Atlas's inspection no longer returns) is drift, not a removed table,
// and a plan refuses to create it again, naming its file and line. A
// period (MariaDB's PERIOD FOR) is unmanaged too, not a check to drop.
func TestOutOfBandKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	prefix := testenv.Name(t)
	db := testenv.DB(t)
	testenv.DropPrefix(t, db, prefix)
	d := composeFixture(t, oobHCL)
	for i, c := range []struct {
		name, sql string
		// drift is one of the differences, as Object, Change: Detail.
		drift string
		// unmanaged: the difference is a warning; plan is what a plan
		// says (an error, or "" for no statement).
		unmanaged bool
		plan      string
	}{
		{"column comment", "ALTER TABLE %s.parent MODIFY name varchar(50) NULL COMMENT 'the other name'",
			"column parent.name modified: comment 'the name' → 'the other name'", false, "MODIFY COLUMN"},
		{"table comment", "ALTER TABLE %s.parent COMMENT 'it''s other'",
			"table parent modified: COMMENT 'parents' → 'it''s other'", false, "COMMENT"},
		{"table charset", "ALTER TABLE %s.parent DEFAULT CHARSET latin1",
			"table parent modified: CHARSET utf8mb4 → latin1; COLLATE utf8mb4_unicode_ci → latin1_swedish_ci", false, "CHARSET utf8mb4"},
		{"column collation", "ALTER TABLE %s.parent MODIFY name varchar(50) COLLATE utf8mb4_bin NULL COMMENT 'the name'",
			"column parent.name modified: charset (none) → utf8mb4; collation (none) → utf8mb4_bin", false, "MODIFY COLUMN"},
		{"fk on delete", "ALTER TABLE %s.child DROP FOREIGN KEY fk_parent; ALTER TABLE %[1]s.child ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES %[1]s.parent (id) ON DELETE SET NULL",
			"foreign key child.fk_parent modified: on_delete CASCADE → SET NULL", false, "FOREIGN KEY"},
		{"check expr", "ALTER TABLE %s.parent DROP CONSTRAINT chk_id, ADD CONSTRAINT chk_id CHECK (id > 1)",
			"check parent.chk_id modified: expression (`id` > 0) → (`id` > 1)", false, "CHECK"},
		{"ignored index", "ALTER TABLE %s.child ALTER INDEX parent_id IGNORED",
			"index child.parent_id modified: ignored (none) → IGNORED (not managed)", true, ""},
		{"row format", "ALTER TABLE %s.parent ROW_FORMAT=COMPACT",
			"table parent modified: ROW_FORMAT (none) → COMPACT", false, "ROW_FORMAT"},
		{"trigger", "CREATE TRIGGER %s.trg BEFORE INSERT ON %[1]s.parent FOR EACH ROW SET NEW.name = upper(NEW.name)",
			"unmanaged parent.trg added: TRIGGER trg on table parent: not managed by landlord", true, ""},
		{"view", "CREATE VIEW %s.v AS SELECT id FROM %[1]s.parent",
			"unmanaged v added: VIEW v: not managed by landlord", true, ""},
		{"sequence", "CREATE SEQUENCE %s.seq",
			"unmanaged seq added: SEQUENCE seq: not managed by landlord", true, ""},
		{"procedure", "CREATE PROCEDURE %s.p() SELECT 1",
			"unmanaged p added: PROCEDURE p: not managed by landlord", true, ""},
		{"function", "CREATE FUNCTION %s.f() RETURNS int DETERMINISTIC RETURN 1",
			"unmanaged f added: FUNCTION f: not managed by landlord", true, ""},
		{"event", "CREATE EVENT %s.ev ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1",
			"unmanaged ev added: EVENT ev: not managed by landlord", true, ""},
		{"column order", "ALTER TABLE %s.parent MODIFY name varchar(50) NULL COMMENT 'the name' FIRST",
			"table parent modified: order id, name → name, id (not managed)", true, ""},
		{"rename table", "RENAME TABLE %s.parent TO %[1]s.parent_old",
			"foreign key child.fk_parent modified: references `parent` (`id`) → `parent_old` (`id`)", false, "REFERENCES `" + "%s`.`parent`"},
		{"rename index", "ALTER TABLE %s.child RENAME INDEX parent_id TO pid",
			"index child.pid added: KEY (`parent_id`)", false, "INDEX"},
		{"index comment", "ALTER TABLE %s.child DROP INDEX parent_id, ADD INDEX parent_id (parent_id) COMMENT 'x'",
			"index child.parent_id modified: comment (none) → 'x'", false, "INDEX"},
		{"database charset", "ALTER DATABASE %s CHARACTER SET latin1",
			"schema modified: charset utf8mb4 → charset latin1; collation utf8mb4_unicode_ci → collation latin1_swedish_ci", false, "utf8mb4"},
		{"stats option", "ALTER TABLE %s.parent STATS_PERSISTENT=0",
			"table parent modified: STATS_PERSISTENT (none) → 0", false, "STATS_PERSISTENT"},
		{"fk on update", "ALTER TABLE %s.child DROP FOREIGN KEY fk_parent; ALTER TABLE %[1]s.child ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES %[1]s.parent (id) ON DELETE CASCADE ON UPDATE CASCADE",
			"foreign key child.fk_parent modified: on_update (none) → CASCADE", false, "FOREIGN KEY"},
		{"drop auto_increment", "ALTER TABLE %s.child MODIFY id int NOT NULL",
			"column child.id modified: auto_increment AUTO_INCREMENT → (none)", false, "AUTO_INCREMENT"},
		{"add check", "ALTER TABLE %s.child ADD CONSTRAINT c2 CHECK (parent_id < 100)",
			"check child.c2 added: CHECK (`parent_id` < 100)", false, "DROP CONSTRAINT `c2`"},
		{"column default", "ALTER TABLE %s.parent ALTER name SET DEFAULT 'x'",
			"column parent.name modified: default (none) → 'x'", false, "MODIFY COLUMN"},
		{"period", "ALTER TABLE %s.span ADD PERIOD FOR p(s, e)",
			"unmanaged span.p added: PERIOD p on table span: not managed by landlord", true, ""},
		{"key block", "ALTER TABLE %s.span KEY_BLOCK_SIZE=8",
			"table span modified: KEY_BLOCK_SIZE (none) → 8", false, "KEY_BLOCK_SIZE"},
		{"column compressed", "ALTER TABLE %s.parent MODIFY name varchar(50) COMPRESSED NULL COMMENT 'the name'",
			"column parent.name modified: type varchar(50) → varchar(50) compressed", false, "MODIFY COLUMN"},
		{"system versioning", "ALTER TABLE %s.parent ADD SYSTEM VERSIONING",
			"table parent modified: is now a SYSTEM VERSIONED table parent, which landlord cannot inspect (was 2 column(s), 1 key(s), 1 constraint(s))", false,
			`layers/basic/fixture.hcl:3: table "parent": the live database has a SYSTEM VERSIONED table parent of that name`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tenant := prefix + "t" + strconv.Itoa(i)
			base := reconcileFresh(t, srv, tenant, d)
			fp0, err := srv.Fingerprints(ctx, []string{tenant})
			if err != nil {
				t.Fatal(err)
			}
			st := fmt.Sprintf(c.sql, quoteIdent(tenant))
			if _, err := db.Exec(st); err != nil {
				t.Fatalf("%s: %v", st, err)
			}
			fp1, err := srv.Fingerprints(ctx, []string{tenant})
			if err != nil {
				t.Fatal(err)
			}
			if fp0[tenant] == fp1[tenant] {
				t.Errorf("the fingerprint did not move")
			}
			tg, err := srv.Read(ctx, tenant)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			if fp, err := tg.Fingerprint(ctx); err != nil || fp != fp1[tenant] {
				t.Errorf("the tenant's own fingerprint differs from the bulk one (%v)", err)
			}
			live, err := tg.Inspect(ctx)
			if err != nil {
				t.Fatalf("inspect: %v", err)
			}
			diffs, err := tg.Compare(ctx, base, live)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, df := range diffs {
				got := fmt.Sprintf("%s %s: %s", df.Object, df.Change, df.Detail)
				if got == c.drift {
					found = true
					if df.Unmanaged != c.unmanaged {
						t.Errorf("%s: unmanaged %v, want %v", got, df.Unmanaged, c.unmanaged)
					}
				}
			}
			if !found {
				t.Errorf("no drift %q", c.drift)
				for _, df := range diffs {
					t.Logf("drift: %s %s: %s (unmanaged %v)", df.Object, df.Change, df.Detail, df.Unmanaged)
				}
			}
			p, err := tg.Plan(ctx, live, d)
			switch {
			case err != nil:
				if c.plan == "" || !strings.HasPrefix(err.Error(), c.plan) {
					t.Errorf("plan: %v, want %q", err, c.plan)
				}
			case c.plan == "":
				for _, s := range p.Statements {
					t.Errorf("plan: %s, want none", s.SQL)
				}
			default:
				found := false
				for _, s := range p.Statements {
					found = found || strings.Contains(s.SQL, strings.ReplaceAll(c.plan, "%s", tenant))
				}
				if !found {
					t.Errorf("plan: %d statement(s), want one with %q", len(p.Statements), c.plan)
				}
			}
			if err != nil {
				return
			}
			// The plan heals what landlord manages: the next is empty.
			applyConverged(t, tg, p, d, "after heal")
		})
	}
}
