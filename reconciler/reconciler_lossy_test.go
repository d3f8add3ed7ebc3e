package reconciler

import (
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
)

// lossyBefore and lossyAfter are a custom layer before and after changes
// that each can lose data; mysqlOnly marks the attributes SQLite does not
// have (sets, character sets, ON UPDATE).
const lossyBefore = `table "lossy" {
  schema = schema.tenant
  column "id" {
    type = bigint
  }
  column "n" {
    type = int
    null = true
  }
  column "k" {
    type = bigint
  }
  column "d" {
    type = decimal(10, 2)
  }
  column "s" {
    type = varchar(100)
  }
  column "e" {
    type = enum("a", "b", "c")
  }
  primary_key {
    columns = [column.id]
  }
%s}
`

const lossyAfter = `table "lossy" {
  schema = schema.tenant
  column "id" {
    type = bigint
  }
  column "n" {
    type = int
  }
  column "k" {
    type = int
  }
  column "d" {
    type = decimal(8, 2)
  }
  column "s" {
    type = varchar(50)
  }
  column "e" {
    type = enum("a", "b")
  }
  primary_key {
    columns = [column.id, column.k]
  }
%s}
`

const mysqlBefore = `  column "st" {
    type = set("x", "y")
  }
  column "cs" {
    type    = varchar(10)
    charset = "utf8mb4"
  }
  column "u" {
    type      = timestamp
    default   = sql("CURRENT_TIMESTAMP")
    on_update = sql("CURRENT_TIMESTAMP")
  }
`

const mysqlAfter = `  column "st" {
    type = set("x")
  }
  column "cs" {
    type    = varchar(10)
    charset = "latin1"
  }
  column "u" {
    type    = timestamp
    default = sql("CURRENT_TIMESTAMP")
  }
`

// Each lossy change is destructive, blocked by default, with a reason that
// names its attribute: on MariaDB and on SQLite.
func TestLossyChangesAreDestructive(t *testing.T) {
	t.Parallel()
	common := []string{
		"changes column n from NULL to NOT NULL without a default",
		"changes the primary key from (id) to (id, k)",
	}
	// SQLite keeps any value whatever the declared width, precision or
	// length (integers are 64 bits, text unbounded, enums are text): these
	// narrow on MySQL and MariaDB only.
	narrowing := []string{
		"changes the type of column k from bigint to int: a smaller integer type",
		"changes the type of column d from decimal(10,2) to decimal(8,2): fewer digits",
		"from varchar(100) to varchar(50): shorter strings",
		`changes the type of column e from enum('a','b','c') to enum('a','b'): value "c" is removed`,
	}
	mysqlOnly := []string{
		`changes the type of column st from set('x','y') to set('x'): value "y" is removed`,
		"changes the character set of column cs from utf8mb4 to latin1: characters of utf8mb4 that latin1 cannot hold are lost",
		"drops ON UPDATE of column u",
	}
	for _, engine := range []string{"mariadb", "sqlite"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var f *fixture
			want, before, after := common, lossyBefore, lossyAfter
			if engine == "mariadb" {
				f = newMariaFixture(t)
				want = append(append(append([]string{}, common...), narrowing...), mysqlOnly...)
				before, after = strings.Replace(before, "%s", mysqlBefore, 1), strings.Replace(after, "%s", mysqlAfter, 1)
			} else {
				f = newSQLiteFixture(t)
				before, after = strings.Replace(before, "%s", "", 1), strings.Replace(after, "%s", "", 1)
			}
			only := Options{Tenants: []string{"nepali-congress"}}
			testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/lossy.hcl", before)
			if res := byslug(f.reconcile(only))["nepali-congress"]; res.Error != "" {
				t.Fatalf("create: %s %s", res.Action, res.Error)
			}
			testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/lossy.hcl", after)
			res := byslug(f.reconcile(only))["nepali-congress"]
			if res.Action != ActionBlocked {
				t.Fatalf("action %s (%s): want blocked", res.Action, res.Error)
			}
			var reasons []string
			for _, c := range res.Changes {
				if c.Destructive {
					reasons = append(reasons, c.Reasons...)
				}
			}
			all := strings.Join(reasons, "\n")
			for _, w := range want {
				if !strings.Contains(all, w) || !strings.Contains(res.Error, w) {
					t.Errorf("no reason %q in the changes and the error; reasons:\n%s", w, all)
				}
			}
			if !strings.Contains(res.Error, "blocked:") {
				t.Errorf("error %q: want blocked", res.Error)
			}
		})
	}
}

// Allowed, a charset narrowing that would turn text into question marks
// fails instead, whatever sql_mode the server URL asks for: landlord's
// connections are strict.
func TestStrictModeKeepsText(t *testing.T) {
	t.Parallel()
	f := newMariaFixture(t)
	f.server += "?sql_mode=%27%27"
	only := Options{Tenants: []string{"nepali-congress"}, AllowDestructive: true}
	layer := `table "names" {
  schema = schema.tenant
  column "id" {
    type = int
  }
  column "name" {
    type    = varchar(32)
    charset = "%s"
  }
  primary_key {
    columns = [column.id]
  }
}
`
	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/names.hcl", strings.Replace(layer, "%s", "utf8mb4", 1))
	if res := byslug(f.reconcile(only))["nepali-congress"]; res.Error != "" {
		t.Fatalf("create: %s", res.Error)
	}
	db := f.database("nepali-congress")
	const text = "नेपाली 😀"
	if _, err := f.db.Exec("INSERT INTO `"+db+"`.`names` VALUES (1, ?)", text); err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, f.repo, "layers/custom/nepali-congress/names.hcl", strings.Replace(layer, "%s", "latin1", 1))
	res := byslug(f.reconcile(only))["nepali-congress"]
	if res.Action != ActionError || !strings.Contains(res.Error, "Incorrect string value") {
		t.Errorf("action %s, error %q: want the ALTER refused by the server", res.Action, res.Error)
	}
	var got string
	if err := f.db.QueryRow("SELECT name FROM `" + db + "`.`names` WHERE id = 1").Scan(&got); err != nil || got != text {
		t.Errorf("name %q (%v), want %q kept", got, err, text)
	}
}
