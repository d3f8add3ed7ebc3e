package schema

import (
	"context"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// A lock wait under a second still waits (GET_LOCK takes whole seconds:
// it is rounded up, not down to no wait): a lock another session releases
// within it is taken.
func TestLockWaitUnderASecond(t *testing.T) {
	ctx := context.Background()
	srv, err := Open(ctx, mariaURL(t), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	database := testenv.Name(t) + "t"
	db := testenv.DB(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got int
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", lockName(database)).Scan(&got); err != nil || got != 1 {
		t.Fatalf("hold the lock: %v %d", err, got)
	}
	released := make(chan error, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		_, err := conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", lockName(database))
		released <- err
	}()
	tg, err := srv.Lock(ctx, database, 900*time.Millisecond)
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("a lock released within the wait: %v", err)
	}
	tg.Close()
}
