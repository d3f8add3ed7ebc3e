package backup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// TestMain runs the kill test's helper process when asked to, instead of
// the tests: it backs up or restores, and after the first table it says so
// and waits to be killed, so the kill lands mid-way, every time.
func TestMain(m *testing.M) {
	if mode := os.Getenv("LANDLORD_KILL_HELPER"); mode != "" {
		killHelper(mode)
		os.Exit(3) // not killed
	}
	code := m.Run()
	if helperPath != "" {
		os.RemoveAll(filepath.Dir(helperPath))
	}
	os.Exit(code)
}

func killHelper(mode string) {
	ctx := context.Background()
	db, err := testenv.Open(os.Getenv("LANDLORD_KILL_SERVER"))
	if err != nil {
		panic(err)
	}
	st, err := Open(ctx, os.Getenv("LANDLORD_KILL_STORAGE"))
	if err != nil {
		panic(err)
	}
	stop := func(table string, rows int64) {
		os.Stdout.WriteString("table " + table + "\n")
		time.Sleep(time.Minute)
	}
	switch mode {
	case "measure-dump":
		m, err := DumpMySQL(ctx, db, st, Options{Tenant: "acme", Database: os.Getenv("LANDLORD_KILL_DB")})
		if err != nil {
			panic(err)
		}
		os.Stdout.WriteString(m.ID + "\n" + peakLine())
		os.Exit(0)
	case "measure-restore":
		m, err := st.Manifest(ctx, os.Getenv("LANDLORD_KILL_BACKUP"))
		if err == nil {
			err = RestoreMySQL(ctx, db, st, m, RestoreOptions{Database: os.Getenv("LANDLORD_KILL_DB")})
		}
		if err != nil {
			panic(err)
		}
		os.Stdout.WriteString(peakLine())
		os.Exit(0)
	case "backup":
		_, err = DumpMySQL(ctx, db, st, Options{Tenant: "acme", Database: os.Getenv("LANDLORD_KILL_DB"), Progress: stop})
	case "restore":
		m, merr := st.Manifest(ctx, os.Getenv("LANDLORD_KILL_BACKUP"))
		if merr != nil {
			panic(merr)
		}
		err = RestoreMySQL(ctx, db, st, m, RestoreOptions{Database: os.Getenv("LANDLORD_KILL_DB"), Progress: stop})
	}
	os.Stderr.WriteString(fmt.Sprintf("not killed: %v\n", err))
}

// peakLine is the helper's own peak RSS as the last line of its output:
// "vmhwm <kB>", read from /proc/self/status. The rusage the parent gets is
// no measure of the child: Linux carries the parent's peak into the
// child's maxrss when the child, sharing the parent's memory until exec
// as Go's os/exec does, execs.
func peakLine() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return "vmhwm " + strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")) + "\n"
		}
	}
	panic("no VmHWM in /proc/self/status")
}

// killMidway runs the helper in mode and kills it with SIGKILL once it has
// finished its first table.
func killMidway(t *testing.T, mode string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), "LANDLORD_KILL_HELPER="+mode, "LANDLORD_KILL_SERVER="+testenv.MySQLURL(t)), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	if !strings.HasPrefix(line, "table ") {
		t.Fatalf("%s helper did not get to its first table: %q", mode, line)
	}
}

// kill -9 during a backup leaves no usable backup; during a restore, the
// restore can be run again and verifies.
func TestKillDuringBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	src := tenantDB(t, db)
	dir := t.TempDir()
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	killMidway(t, "backup", "LANDLORD_KILL_STORAGE="+dir, "LANDLORD_KILL_DB="+src)
	list, err := st.List(ctx, "")
	if err != nil || len(list) != 0 {
		t.Fatalf("after a killed backup, usable backups: %v %v", list, err)
	}
	entries, _ := os.ReadDir(dir + "/acme")
	if len(entries) != 1 {
		t.Fatalf("the killed backup left %d directories, want its one (incomplete)", len(entries))
	}
	if _, err := st.Manifest(ctx, "acme/"+entries[0].Name()); !errors.Is(err, ErrNotFound) {
		t.Errorf("manifest of the killed backup: %v", err)
	}

	m, err := DumpMySQL(ctx, db, st, Options{Tenant: "acme", Database: src})
	if err != nil {
		t.Fatal(err)
	}
	dst := src[:len(src)-3] + "dst"
	killMidway(t, "restore", "LANDLORD_KILL_STORAGE="+dir, "LANDLORD_KILL_DB="+dst, "LANDLORD_KILL_BACKUP="+m.ID)
	var verr *VerifyError
	if err := VerifyMySQL(ctx, db, m, dst, nil); !errors.As(err, &verr) && err == nil {
		t.Fatal("a killed restore verifies")
	}
	if err := RestoreMySQL(ctx, db, st, m, RestoreOptions{Database: dst, Replace: true}); err != nil {
		t.Fatalf("restore run again: %v", err)
	}
}
