package schema

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/landlord/landlord/internal/testenv"
)

const mdlV1 = `schema "tenant" {}
table "items" {
  schema = schema.tenant
  column "id" {
    type = int
  }
  primary_key {
    columns = [column.id]
  }
}
`

// An ALTER that waits for a table's metadata lock, held by another
// session's open transaction, gives up within landlord's lock wait with
// the server's lock wait error (transient: retried later), instead of
// waiting for the server's lock_wait_timeout (a day on MariaDB, a year on
// MySQL) while every query of the table queues behind it.
func TestApplyGivesUpWaitingForAMetadataLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	db := testenv.Name(t) + "db"
	dropDB(t, srv, db)
	applyDesired(t, srv, db, composeFixture(t, mdlV1))

	// Another application's transaction reads the table and stays open:
	// it holds the table's shared metadata lock until it ends.
	holder, err := testenv.DB(t).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	for _, q := range []string{"START TRANSACTION", "SELECT COUNT(*) FROM `" + db + "`.`items`"} {
		if _, err := holder.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	defer holder.ExecContext(ctx, "ROLLBACK")

	d := composeFixture(t, strings.Replace(mdlV1, `  primary_key`, "  column \"n\" {\n    type = int\n    null = true\n  }\n  primary_key", 1))
	tg, err := srv.Lock(ctx, db, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	live, err := tg.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tg.Plan(ctx, live, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Statements) != 1 {
		t.Fatalf("plan: %+v, want one ALTER", p.Statements)
	}
	// Well past landlord's lock wait, far below the server's.
	actx, cancel := context.WithTimeout(ctx, DefaultLockWaitTimeout+20*time.Second)
	defer cancel()
	start := time.Now()
	err = tg.Apply(actx, p, nil)
	var mysqlErr *gomysql.MySQLError
	if !errors.As(err, &mysqlErr) || mysqlErr.Number != 1205 {
		t.Fatalf("apply after %s: %v, want the lock wait error 1205", time.Since(start).Round(time.Second), err)
	}
	if !strings.Contains(err.Error(), "metadata lock") {
		t.Errorf("apply: %v, want the message to say a metadata lock was waited for", err)
	}
	t.Logf("after %s: %v", time.Since(start).Round(time.Second), err)
}
