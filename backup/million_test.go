package backup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
)

// figures of one million-row backup and restore, each run in a process of
// its own so that its peak RSS is its own.
type figures struct {
	rows                int64
	raw, stored         int64
	dump, restore       time.Duration
	dumpRSS, restoreRSS int64 // bytes
	baseline            time.Duration
	baselineSize        int64
	baselineErr         error
	restoreBaseline     time.Duration // zstd -dc | mariadb, when measured
}

func (f figures) mbps(d time.Duration) float64 { return float64(f.raw) / (1 << 20) / d.Seconds() }

// helper runs the test binary as the helper in mode and returns its
// stdout, wall time and peak RSS (the helper's own VmHWM).
func helper(t testing.TB, mode string, env ...string) (string, time.Duration, int64) {
	t.Helper()
	cmd := exec.Command(helperBinary(t))
	cmd.Env = append(append(os.Environ(), "LANDLORD_KILL_HELPER="+mode, "LANDLORD_KILL_SERVER="+testenv.MySQLURL(t)), env...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if err != nil {
		t.Fatalf("%s: %v", mode, err)
	}
	// The helper's last line is its own peak RSS (see peakLine).
	text := strings.TrimSpace(string(out))
	rest, last, _ := strings.Cut(text, "vmhwm ")
	kb, err := strconv.ParseInt(strings.TrimSpace(last), 10, 64)
	if err != nil {
		t.Fatalf("%s: no peak RSS in its output %q", mode, text)
	}
	return strings.TrimSpace(rest), d, kb * 1024
}

var (
	helperOnce sync.Once
	helperPath string
	helperErr  error
)

// helperBinary is the test binary itself, or, under the race detector
// (which multiplies memory), this package's tests built without it, so
// that the RSS measured is landlord's.
func helperBinary(t testing.TB) string {
	t.Helper()
	if !raceEnabled {
		return os.Args[0]
	}
	helperOnce.Do(func() {
		dir, err := os.MkdirTemp("", "landlord-backup-helper-")
		if err != nil {
			helperErr = err
			return
		}
		helperPath = filepath.Join(dir, "backup.test")
		if out, err := exec.Command("go", "test", "-c", "-o", helperPath, ".").CombinedOutput(); err != nil {
			helperErr = fmt.Errorf("build the helper without -race: %v\n%s", err, out)
		}
	})
	if helperErr != nil {
		t.Fatal(helperErr)
	}
	return helperPath
}

// millionRows makes a tenant database of a million rows across three
// tables, backs it up and restores it into a new database (verified), and
// times the server's own mariadb-dump | zstd on the same data.
func millionRows(t testing.TB, restoreBaseline bool) figures {
	ctx := context.Background()
	db := testenv.DB(t)
	prefix := testenv.Name(t)
	testenv.DropPrefix(t, db, prefix)
	src, dst := prefix+"src", prefix+"dst"
	for _, q := range []string{
		"CREATE DATABASE `" + src + "` CHARACTER SET utf8mb4",
		"CREATE TABLE `" + src + "`.orders (id BIGINT NOT NULL PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount DECIMAL(10,2) NOT NULL, " +
			"created DATETIME NOT NULL, note TEXT NULL, KEY orders_customer (customer))",
		"CREATE TABLE `" + src + "`.items (id BIGINT NOT NULL PRIMARY KEY, order_id BIGINT NOT NULL, sku CHAR(12) NOT NULL, qty INT NOT NULL, price DOUBLE NOT NULL)",
		"CREATE TABLE `" + src + "`.events (id BIGINT NOT NULL PRIMARY KEY, kind VARCHAR(20) NOT NULL, payload VARBINARY(200) NULL)",
		"INSERT INTO `" + src + "`.orders SELECT seq, CONCAT('customer-', seq % 5000), (seq % 100000) / 100, " +
			"'2026-01-01' + INTERVAL (seq % 100000) MINUTE, IF(seq % 7 = 0, NULL, CONCAT('note ''', seq, '''\\n', REPEAT('x', seq % 50))) FROM `" + src + "`.seq_1_to_600000",
		"INSERT INTO `" + src + "`.items SELECT seq, seq % 600000 + 1, LPAD(HEX(seq), 12, '0'), seq % 9 + 1, seq / 7 FROM `" + src + "`.seq_1_to_300000",
		"INSERT INTO `" + src + "`.events SELECT seq, ELT(seq % 3 + 1, 'login', 'vote', 'post'), UNHEX(SHA2(seq, 256)) FROM `" + src + "`.seq_1_to_100000",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	dir := t.TempDir()
	var f figures
	id, d, rss := helper(t, "measure-dump", "LANDLORD_KILL_STORAGE="+dir, "LANDLORD_KILL_DB="+src)
	f.dump, f.dumpRSS = d, rss
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := st.Manifest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	f.rows = m.Rows()
	f.raw, f.stored = m.Sizes()
	_, d, rss = helper(t, "measure-restore", "LANDLORD_KILL_STORAGE="+dir, "LANDLORD_KILL_DB="+dst, "LANDLORD_KILL_BACKUP="+id)
	f.restore, f.restoreRSS = d, rss
	// The restore verified rows and checksums itself; verify again here,
	// and the schema, table by table.
	if err := VerifyMySQL(ctx, db, m, dst, nil); err != nil {
		t.Fatal(err)
	}
	for _, tb := range m.Tables {
		var n, a, b string
		db.QueryRowContext(ctx, "SHOW CREATE TABLE `"+src+"`.`"+tb.Name+"`").Scan(&n, &a)
		db.QueryRowContext(ctx, "SHOW CREATE TABLE `"+dst+"`.`"+tb.Name+"`").Scan(&n, &b)
		if a == "" || a != b {
			t.Errorf("table %s: restored as\n%s\nwant\n%s", tb.Name, b, a)
		}
	}
	// The server's own tool, on the same data, as the baseline.
	out := filepath.Join(dir, "baseline.sql.zst")
	start := time.Now()
	cmd := exec.Command("sh", "-c", `mariadb-dump -h127.0.0.1 -uroot --single-transaction --skip-lock-tables "$1" | zstd -q -o "$2"`, "sh", src, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		f.baselineErr = fmt.Errorf("mariadb-dump | zstd: %v: %s", err, msg)
	} else {
		f.baseline = time.Since(start)
		if fi, err := os.Stat(out); err == nil {
			f.baselineSize = fi.Size()
		}
		if restoreBaseline {
			again := prefix + "baseline"
			if _, err := db.ExecContext(ctx, "CREATE DATABASE `"+again+"`"); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			cmd := exec.Command("sh", "-c", `zstd -dc "$1" | mariadb -h127.0.0.1 -uroot "$2"`, "sh", out, again)
			if msg, err := cmd.CombinedOutput(); err != nil {
				f.baselineErr = fmt.Errorf("zstd -dc | mariadb: %v: %s", err, msg)
			} else {
				f.restoreBaseline = time.Since(start)
			}
		}
	}
	return f
}

// The acceptance figures: a million rows backed up and restored into a new
// database, verified, each process under 100 MB of RSS. Several seconds
// of MariaDB work: not in -short.
func TestMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("a million rows: not in -short (make test runs it)")
	}
	f := millionRows(t, false)
	if f.rows != 1_000_000 {
		t.Errorf("rows: %d, want 1000000", f.rows)
	}
	const limit = 100 << 20
	if f.dumpRSS >= limit || f.restoreRSS >= limit {
		t.Errorf("peak RSS: backup %d MB, restore %d MB; want under 100 MB", f.dumpRSS>>20, f.restoreRSS>>20)
	}
	t.Logf("1M rows, %.1f MB raw, %.1f MB stored; backup %.1f MB/s (RSS %d MB), restore %.1f MB/s (RSS %d MB)",
		float64(f.raw)/(1<<20), float64(f.stored)/(1<<20), f.mbps(f.dump), f.dumpRSS>>20, f.mbps(f.restore), f.restoreRSS>>20)
	if f.baselineErr != nil {
		t.Logf("baseline: %v", f.baselineErr)
	} else {
		t.Logf("mariadb-dump | zstd: %.1f MB/s, %.1f MB stored; landlord's backup at %.2fx its speed", f.mbps(f.baseline),
			float64(f.baselineSize)/(1<<20), f.baseline.Seconds()/f.dump.Seconds())
	}
}

// BenchmarkMillionRows reports the same figures as metrics: MB/s of the
// backup and the restore, and the backup's speed as a ratio of
// mariadb-dump | zstd's on the same data.
func BenchmarkMillionRows(b *testing.B) {
	for i := 0; i < b.N; i++ {
		f := millionRows(b, true)
		b.ReportMetric(f.mbps(f.dump), "backup-MB/s")
		b.ReportMetric(f.mbps(f.restore), "restore-MB/s")
		b.ReportMetric(float64(f.dumpRSS>>20), "backup-RSS-MB")
		b.ReportMetric(float64(f.restoreRSS>>20), "restore-RSS-MB")
		if f.baselineErr == nil {
			b.ReportMetric(f.mbps(f.baseline), "mariadb-dump-MB/s")
			b.ReportMetric(f.baseline.Seconds()/f.dump.Seconds(), "speed-vs-mariadb-dump")
			b.ReportMetric(f.mbps(f.restoreBaseline), "mariadb-restore-MB/s")
			b.ReportMetric(f.restoreBaseline.Seconds()/f.restore.Seconds(), "restore-speed-vs-mariadb")
		}
	}
}
