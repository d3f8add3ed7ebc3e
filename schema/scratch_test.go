package schema

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

func TestScratchName(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	name := scratchName(now)
	host, pid, created, ok := scratchOwner(name)
	if !ok || host != hostTag || pid != os.Getpid() || !created.Equal(now) || len(name) > 64 {
		t.Fatalf("scratchOwner(%q) = %q %d %v %v", name, host, pid, created, ok)
	}
	if _, _, _, ok := scratchOwner("landlord_dev_0123456789ab"); ok {
		t.Error("a scratch name without its owner parsed")
	}
}

// Stale scratch databases are collected: their process on this host is
// gone, or they are older than any scratch database lives. Others stay.
func TestCollectScratch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := Open(ctx, testenv.MySQLURL(t)+"?statementTimeout=30m", ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	names := map[string]bool{ // name: stale
		fmt.Sprintf("landlord_dev_%s_%d_%d_aaaaaa", hostTag, dead.Process.Pid, now.Unix()): true,
		fmt.Sprintf("landlord_dev_ffffff_1_%d_bbbbbb", now.Add(-3*time.Hour).Unix()):       true,
		fmt.Sprintf("landlord_dev_ffffff_1_%d_cccccc", now.Unix()):                         false,
		fmt.Sprintf("landlord_dev_%s_%d_%d_dddddd", hostTag, os.Getpid(), now.Unix()):      false,
	}
	db := testenv.DB(t)
	for n := range names {
		if _, err := db.Exec("CREATE DATABASE `" + n + "`"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Exec("DROP DATABASE IF EXISTS `" + n + "`") })
	}
	dropped, err := srv.CollectScratch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range dropped {
		got[n] = true
	}
	for n, stale := range names {
		if got[n] != stale {
			t.Errorf("%s: dropped %v, want %v", n, got[n], stale)
		}
	}
}
