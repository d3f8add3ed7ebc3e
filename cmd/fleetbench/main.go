// Command fleetbench measures landlord against Skeema and the mariadb client
// on one MariaDB instance of its own: the same N tenants of the example's
// full layer set, every operation back to back on the same databases. It
// prints per-tenant wall time (the median of -reps runs of each operation,
// each run from the same start), the ratios landlord/Skeema and
// landlord/floor, peak connections and the peak RSS of each tool.
//
//	make bench                       # N=200
//	make bench BENCH_ARGS='-n 1000'
//
// It builds Skeema v1.14.1 from the Go module proxy (go mod download, then
// go build in the module's directory), starts mariadbd on a free port in a
// temporary datadir with max_connections=151, stops it by its pid, and
// removes everything it made. Skeema cannot finish a fleet on 151
// connections, so its runs get max_connections=1000 (its peak is
// reported); landlord and the floor run on 151.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

const skeemaVersion = "v1.14.1"

// moduleSets cycle over the generated tenants: 4 distinct layer sets (1
// with -five).
var moduleSets = []string{"[election, social, volunteers]", "[election]", "[social]", "[]"}

type options struct {
	n        int
	reps     int
	landlord string
	example  string
	keep     bool
	five     bool
	skeema   bool
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 200, "tenants")
	flag.IntVar(&o.reps, "reps", 3, "runs of each operation (the median counts)")
	flag.StringVar(&o.landlord, "landlord", "bin/landlord", "the landlord binary")
	flag.StringVar(&o.example, "example", "examples/platform", "the example repository whose layers the tenants use")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (datadir, repository, Skeema dirs)")
	flag.BoolVar(&o.five, "five", false, "the 5-table schema (the basic layer's identity tables, 4 foreign keys) for every tenant, as for N=10,000")
	flag.BoolVar(&o.skeema, "skeema", true, "run Skeema too (-skeema=false: landlord and the floor only, for the largest fleets)")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(1)
	}
}

// result is one timed run of one tool.
type result struct {
	wall  time.Duration
	rssKB int64
	peak  int
	err   error
}

type bench struct {
	o        options
	tmp      string
	db       *sql.DB
	port     int
	landlord string
	skeema   string
	repo     string
	skdir    string
	state    string
	dbs      []string // tenant databases, in tenant order
}

func run(ctx context.Context, o options) (err error) {
	b := &bench{o: o}
	if b.landlord, err = filepath.Abs(o.landlord); err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "landlord-fleetbench-"); err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(b.tmp)
	} else {
		fmt.Fprintln(os.Stderr, "keeping", b.tmp)
	}
	if o.skeema {
		step("build skeema " + skeemaVersion)
		if b.skeema, err = buildSkeema(ctx, b.tmp); err != nil {
			return fmt.Errorf("build skeema: %w", err)
		}
	}
	step("start mariadbd")
	stop, err := b.startServer(ctx)
	if err != nil {
		return fmt.Errorf("start mariadbd: %w", err)
	}
	defer stop()
	if err := b.prepare(o.example); err != nil {
		return err
	}
	return b.measure(ctx)
}

func step(s string) { fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), s) }

// buildSkeema downloads Skeema's module and builds it into dir.
func buildSkeema(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", "github.com/skeema/skeema@"+skeemaVersion).Output()
	if err != nil {
		return "", fmt.Errorf("go mod download: %w", err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return "", err
	}
	if mod.Error != "" {
		return "", errors.New(mod.Error)
	}
	bin := filepath.Join(dir, "skeema")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = mod.Dir
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	return bin, nil
}

// startServer installs a datadir and starts mariadbd on a free port; the
// function it returns stops that process, by its pid, and waits for it.
func (b *bench) startServer(ctx context.Context) (func(), error) {
	data := filepath.Join(b.tmp, "data")
	tmpdir := filepath.Join(b.tmp, "mysqltmp")
	if err := os.MkdirAll(tmpdir, 0o700); err != nil {
		return nil, err
	}
	install := exec.CommandContext(ctx, "mariadb-install-db", "--no-defaults", "--auth-root-authentication-method=normal", "--user="+currentUser(),
		"--skip-test-db", "--datadir="+data, "--tmpdir="+tmpdir)
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	logf, err := os.Create(filepath.Join(b.tmp, "mariadbd.log"))
	if err != nil {
		return nil, err
	}
	args := []string{"--no-defaults"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	srv := exec.Command("mariadbd", append(args,
		"--datadir="+data, "--tmpdir="+tmpdir,
		"--socket="+filepath.Join(b.tmp, "mariadbd.sock"), "--pid-file="+filepath.Join(b.tmp, "mariadbd.pid"),
		"--bind-address=127.0.0.1", fmt.Sprintf("--port=%d", b.port),
		"--max-connections=151", "--skip-log-bin", "--innodb-buffer-pool-size=256M",
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci")...)
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() { srv.Wait(); close(done) }()
	stop := func() {
		srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			srv.Process.Kill()
			<-done
		}
		logf.Close()
	}
	b.db, err = sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/?multiStatements=true", b.port))
	if err != nil {
		stop()
		return nil, err
	}
	b.db.SetMaxOpenConns(1)
	b.db.SetMaxIdleConns(1)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err = b.db.PingContext(ctx); err == nil {
			break
		}
		exited := false
		select {
		case <-done:
			exited = true
		default:
		}
		if exited || time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("mariadbd did not answer on port %d: %w (log in %s)", b.port, err, logf.Name())
		}
		time.Sleep(200 * time.Millisecond)
	}
	return func() { b.db.Close(); stop() }, nil
}

// prepare copies the example repository with n generated tenants in place
// of its own.
func (b *bench) prepare(example string) error {
	b.repo = filepath.Join(b.tmp, "repo")
	b.state = filepath.Join(b.tmp, "landlord.db")
	b.skdir = filepath.Join(b.tmp, "skeema-repo")
	if err := copyDir(example, b.repo); err != nil {
		return err
	}
	os.RemoveAll(filepath.Join(b.repo, ".landlord"))
	// Reference data is left out: Skeema and the floor manage schemas
	// only, and a tenant whose layers declare rows takes landlord's full
	// path on every run (its rows are read back).
	// The basic layer's data, and that of every template, module and
	// custom layer.
	datas, _ := filepath.Glob(filepath.Join(b.repo, "layers", "*", "data"))
	nested, _ := filepath.Glob(filepath.Join(b.repo, "layers", "*", "*", "data"))
	for _, d := range append(datas, nested...) {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	template := "political-party"
	if b.o.five {
		if err := b.fiveTables(); err != nil {
			return err
		}
		template, moduleSets = "five", []string{"[]"}
	}
	ents, err := os.ReadDir(filepath.Join(b.repo, "tenants"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		os.Remove(filepath.Join(b.repo, "tenants", e.Name()))
	}
	for i := 0; i < b.o.n; i++ {
		db := fmt.Sprintf("fb_p%05d", i)
		b.dbs = append(b.dbs, db)
		y := fmt.Sprintf("slug: party-%05d\nname: Party %d\ntemplate: %s\nmodules: %s\ndatabase: %s\n", i, i, template, moduleSets[i%len(moduleSets)], db)
		if err := os.WriteFile(filepath.Join(b.repo, "tenants", fmt.Sprintf("party-%05d.yaml", i)), []byte(y), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// fiveTables reduces the copied repository to the 5 tables of the basic
// layer's identity.hcl (users, roles, permissions and their two link
// tables, 4 foreign keys) under a template of no tables of its own.
func (b *bench) fiveTables() error {
	layers := filepath.Join(b.repo, "layers")
	keep := map[string]bool{"schema.hcl": true, "identity.hcl": true}
	ents, err := os.ReadDir(filepath.Join(layers, "basic"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !keep[e.Name()] {
			if err := os.RemoveAll(filepath.Join(layers, "basic", e.Name())); err != nil {
				return err
			}
		}
	}
	for _, d := range []string{"templates", "modules", "custom"} {
		if err := os.RemoveAll(filepath.Join(layers, d)); err != nil {
			return err
		}
	}
	tdir := filepath.Join(layers, "templates", "five")
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(tdir, "template.yaml"), []byte("description: The basic layer's five tables.\nversion: 1.0.0\nactive: true\nrequires: []\n"), 0o644)
}

func copyDir(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
}

// row is one line of the table: the three tools on one operation.
type row struct {
	op                      string
	landlord, skeema, floor *result
	note                    string
}

func (b *bench) measure(ctx context.Context) error {
	var rows []*row
	add := func(r *row) { rows = append(rows, r) }

	step(fmt.Sprintf("landlord: fresh provisioning of %d tenants", b.o.n))
	// The operations that change the tenants are medians of o.reps runs
	// too, each from the same start: for fresh provisioning, no tenant
	// database and no state (landlord's first run).
	runs := 0
	fresh := &row{op: "fresh provisioning", landlord: b.median(func() *result {
		if runs++; runs > 1 {
			if err := b.dropTenants(ctx); err != nil {
				return &result{err: err}
			}
			if err := b.removeState(); err != nil {
				return &result{err: err}
			}
		}
		return b.landlordRun(ctx, "reconcile")
	})}
	if fresh.landlord.err != nil {
		return fmt.Errorf("landlord fresh: %w", fresh.landlord.err)
	}
	step("landlord: first no-op")
	// The first no-op after a change takes landlord's full path (and
	// records the fingerprints the next ones compare with).
	first := &row{op: "first no-op after provisioning", landlord: b.landlordRun(ctx, "reconcile")}

	step("dump the layer sets for skeema and the floor")
	dumps, err := b.dumpLayerSets(ctx)
	if err != nil {
		return err
	}
	if err := b.writeSkeemaDirs(dumps); err != nil {
		return err
	}

	// The read-only operations of the two tools take turns, run by run,
	// so that both meet the server in the same state (after creating
	// tens of thousands of tables, its buffer pool is full of pages
	// still to flush for minutes).
	step("no-op reconcile and push, --plan and diff, drift: landlord and skeema in turn")
	noop := &row{op: "no-op reconcile / skeema push"}
	plan := &row{op: "no-op --plan / skeema diff"}
	drift := &row{op: "drift (clean) / skeema diff"}
	var ln, lp, ld, sp, sd []*result
	for i := 0; i < b.o.reps; i++ {
		ln = append(ln, b.landlordRun(ctx, "reconcile"))
		lp = append(lp, b.landlordRun(ctx, "reconcile", "--plan"))
		ld = append(ld, b.landlordRun(ctx, "drift"))
		if b.o.skeema {
			sp = append(sp, b.skeemaRun(ctx, "push"))
			sd = append(sd, b.skeemaRun(ctx, "diff"))
		}
	}
	noop.landlord, plan.landlord, drift.landlord = medianOf(ln), medianOf(lp), medianOf(ld)
	if b.o.skeema {
		noop.skeema, plan.skeema = medianOf(sp), medianOf(sd)
		first.skeema, drift.skeema = noop.skeema, plan.skeema
	}

	step("floor: fresh provisioning with the mariadb client")
	if err := b.dropTenants(ctx); err != nil {
		return err
	}
	var sqlText strings.Builder
	for i, db := range b.dbs {
		fmt.Fprintf(&sqlText, "CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\nUSE `%s`;\nSET FOREIGN_KEY_CHECKS=0;\n", db, db)
		for _, t := range dumps[i%len(moduleSets)] {
			sqlText.WriteString(t.ddl + ";\n")
		}
		sqlText.WriteString("SET FOREIGN_KEY_CHECKS=1;\n")
	}
	fresh.floor = b.median(func() *result {
		if err := b.dropTenants(ctx); err != nil {
			return &result{err: err}
		}
		return b.clientRun(ctx, sqlText.String())
	})
	// Without Skeema, the floor's tables (the same as landlord's) are
	// the ones landlord adds the column to.
	if b.o.skeema {
		step("skeema: fresh provisioning")
		fresh.skeema = b.median(func() *result {
			if err := b.dropTenants(ctx); err != nil {
				return &result{err: err}
			}
			return b.skeemaRun(ctx, "push")
		})
	}

	// One column added: each run adds a column of another name (a new
	// revision, as in life: its desired schema is not in landlord's cache)
	// to tenants as the previous runs left them.
	step("one column added: landlord")
	col := &row{op: "one column added"}
	layer, err := os.ReadFile(b.layerPath())
	if err != nil {
		return err
	}
	runs = 0
	col.landlord = b.median(func() *result {
		if runs++; runs > 1 {
			// Back to the revision without a column, by landlord
			// itself: its records are then those of any run it made.
			if err := os.WriteFile(b.layerPath(), layer, 0o644); err != nil {
				return &result{err: err}
			}
			if r := b.landlordRun(ctx, "reconcile", "--allow-destructive"); r.err != nil {
				return r
			}
		}
		if err := b.addColumnToLayers(columnName(runs)); err != nil {
			return &result{err: err}
		}
		return b.landlordRun(ctx, "reconcile")
	})
	if col.landlord.err != nil {
		return fmt.Errorf("landlord's column: %w", col.landlord.err)
	}
	// The layer keeps the last column; the tenants lose it, out of band,
	// for Skeema and the floor to add columns of their own.
	last := runs
	if r := b.clientRun(ctx, b.dropColumn(last)); r.err != nil {
		return fmt.Errorf("undo landlord's column: %w", r.err)
	}
	if b.o.skeema {
		step("one column added: skeema")
		runs = 0
		col.skeema = b.median(func() *result {
			runs++
			if err := b.writeSkeemaDirs(dumps); err != nil {
				return &result{err: err}
			}
			if err := b.addColumnToSkeema(dumps, columnName(runs)); err != nil {
				return &result{err: err}
			}
			r := b.skeemaRun(ctx, "push")
			if r.err == nil {
				if u := b.clientRun(ctx, b.dropColumn(runs)); u.err != nil {
					return &result{err: fmt.Errorf("undo skeema's column: %w", u.err)}
				}
			}
			return r
		})
	}
	step("one column added: floor")
	runs = 0
	col.floor = b.median(func() *result {
		if runs++; runs > 1 {
			if r := b.clientRun(ctx, b.dropColumn(runs-1)); r.err != nil {
				return r
			}
		}
		return b.clientRun(ctx, b.addColumn(runs))
	})
	if col.floor.err == nil && runs != last {
		return fmt.Errorf("the floor added %d columns, landlord %d", runs, last)
	}
	step("landlord: no-op after the column")
	after := &row{op: "first no-op after the column", landlord: b.landlordRun(ctx, "reconcile")}

	add(first)
	add(noop)
	add(plan)
	add(drift)
	add(fresh)
	add(col)
	add(after)
	b.print(os.Stdout, rows)
	return nil
}

// median runs f o.reps times and returns the run of median wall time (or
// the first failure).
func (b *bench) median(f func() *result) *result {
	var rs []*result
	for i := 0; i < b.o.reps; i++ {
		r := f()
		if r.err != nil {
			return r
		}
		rs = append(rs, r)
	}
	return medianOf(rs)
}

// medianOf returns the first failure of rs, or the run of median wall
// time.
func medianOf(rs []*result) *result {
	for _, r := range rs {
		if r.err != nil {
			return r
		}
	}
	if len(rs) == 0 {
		return &result{err: errors.New("no run")}
	}
	rs = slices.Clone(rs)
	sort.Slice(rs, func(i, j int) bool { return rs[i].wall < rs[j].wall })
	return rs[len(rs)/2]
}

func (b *bench) landlordRun(ctx context.Context, args ...string) *result {
	args = append(args, "--repo", b.repo, "--state", b.state)
	cmd := exec.CommandContext(ctx, b.landlord, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("LANDLORD_PRIMARY_URL=mysql://root@127.0.0.1:%d/", b.port))
	return b.timed(ctx, cmd, 151)
}

func (b *bench) skeemaRun(ctx context.Context, verb string) *result {
	cmd := exec.CommandContext(ctx, b.skeema, verb)
	cmd.Dir = b.skdir
	return b.timed(ctx, cmd, 1000)
}

func (b *bench) clientRun(ctx context.Context, sqlText string) *result {
	cmd := exec.CommandContext(ctx, "mariadb", "--no-defaults", "-h127.0.0.1", fmt.Sprintf("-P%d", b.port), "-uroot", "--batch")
	cmd.Stdin = strings.NewReader(sqlText)
	return b.timed(ctx, cmd, 151)
}

// timed runs cmd on a server limited to maxConns connections and measures
// its wall time, peak RSS and the server's peak connections during it.
func (b *bench) timed(ctx context.Context, cmd *exec.Cmd, maxConns int) *result {
	if _, err := b.db.ExecContext(ctx, fmt.Sprintf("SET GLOBAL max_connections = %d", maxConns)); err != nil {
		return &result{err: err}
	}
	defer b.db.ExecContext(ctx, "SET GLOBAL max_connections = 151")
	// FLUSH STATUS sets the peak to the connections open at that moment:
	// those of the tool run before this one (Skeema's hundreds) take a
	// while to close on the server after it exits.
	if err := b.settle(ctx); err != nil {
		return &result{err: err}
	}
	if _, err := b.db.ExecContext(ctx, "FLUSH STATUS"); err != nil {
		return &result{err: err}
	}
	var out bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Start()
	var peak int64
	if err == nil {
		peak = watchPeak(cmd.Process.Pid, func() { err = cmd.Wait() })
	}
	r := &result{wall: time.Since(start), rssKB: peak}
	if err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 600 {
			msg = msg[:600] + "…"
		}
		r.err = fmt.Errorf("%s: %w: %s", filepath.Base(cmd.Path), err, msg)
	}
	var name string
	if err := b.db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Max_used_connections'").Scan(&name, &r.peak); err == nil {
		r.peak-- // the bench's own connection
	}
	return r
}

// settle waits, up to 30 s, until the bench's own connection is the only
// one the server has.
func (b *bench) settle(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var name string
		var n int
		if err := b.db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Threads_connected'").Scan(&name, &n); err != nil {
			return err
		}
		if n <= 1 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d connections still open after 30 s", n-1)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// watchPeak runs wait while it reads the process pid's peak RSS (VmHWM,
// kB) every 5 ms, and returns the last value read. The rusage of a child
// is no measure of it: Linux carries the parent's peak into the maxrss of
// a child that shares the parent's memory until it execs, as os/exec's
// children do. A peak reached in the last few milliseconds before exit may
// be missed.
func watchPeak(pid int, wait func()) int64 {
	done, finished := make(chan struct{}), make(chan struct{})
	var peak atomic.Int64
	go func() {
		defer close(finished)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		path := fmt.Sprintf("/proc/%d/status", pid)
		for {
			if b, err := os.ReadFile(path); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil && kb > peak.Load() {
							peak.Store(kb)
						}
					}
				}
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	wait()
	close(done)
	<-finished
	return peak.Load()
}

// table is one table of a layer set as the server shows it.
type table struct{ name, ddl string }

var autoInc = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

// dumpLayerSets reads the tables of the first tenant of each layer set, as
// landlord created them: the files of Skeema and the floor's statements.
func (b *bench) dumpLayerSets(ctx context.Context) ([][]table, error) {
	var sets [][]table
	for i := range moduleSets {
		db := b.dbs[i]
		rows, err := b.db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", db)
		if err != nil {
			return nil, err
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			names = append(names, n)
		}
		rows.Close()
		var set []table
		for _, n := range names {
			var tn, ddl string
			if err := b.db.QueryRowContext(ctx, fmt.Sprintf("SHOW CREATE TABLE `%s`.`%s`", db, n)).Scan(&tn, &ddl); err != nil {
				return nil, err
			}
			set = append(set, table{name: n, ddl: autoInc.ReplaceAllString(ddl, "")})
		}
		if len(set) == 0 {
			return nil, fmt.Errorf("%s has no tables after landlord's fresh run", db)
		}
		sets = append(sets, set)
	}
	return sets, nil
}

// writeSkeemaDirs writes one Skeema directory per layer set, naming the
// databases of its tenants.
func (b *bench) writeSkeemaDirs(sets [][]table) error {
	top := fmt.Sprintf("host=127.0.0.1\nport=%d\nuser=root\nallow-unsafe=0\n", b.port)
	if err := os.MkdirAll(b.skdir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.skdir, ".skeema"), []byte(top), 0o644); err != nil {
		return err
	}
	for s, set := range sets {
		dir := filepath.Join(b.skdir, fmt.Sprintf("set%d", s))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		var names []string
		for i := s; i < len(b.dbs); i += len(moduleSets) {
			names = append(names, b.dbs[i])
		}
		opt := "schema=" + strings.Join(names, ",") + "\ndefault-character-set=utf8mb4\ndefault-collation=utf8mb4_unicode_ci\n"
		if err := os.WriteFile(filepath.Join(dir, ".skeema"), []byte(opt), 0o644); err != nil {
			return err
		}
		for _, t := range set {
			if err := os.WriteFile(filepath.Join(dir, t.name+".sql"), []byte(t.ddl+";\n"), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// columnName is the column the run-th run of the one-column operation adds
// (run counts from 1).
func columnName(run int) string {
	if run <= 1 {
		return "bench_note"
	}
	return fmt.Sprintf("bench_note_%d", run)
}

// layerPath is the layer file the one-column operation changes.
func (b *bench) layerPath() string {
	return filepath.Join(b.repo, "layers", "basic", "identity.hcl")
}

// removeState removes landlord's state database (and its journal files).
func (b *bench) removeState() error {
	files, err := filepath.Glob(b.state + "*")
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return nil
}

// addColumnToLayers adds users.<name> to the example's identity layer.
func (b *bench) addColumnToLayers(name string) error {
	p := b.layerPath()
	src, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	anchor := "  column \"locale\" {"
	if !bytes.Contains(src, []byte(anchor)) {
		return fmt.Errorf("%s: no %q to add a column before", p, anchor)
	}
	src = bytes.Replace(src, []byte(anchor), []byte("  column \""+name+"\" {\n    type = varchar(64)\n    null = true\n  }\n"+anchor), 1)
	return os.WriteFile(p, src, 0o644)
}

// addColumnToSkeema adds the column name to users.sql of every set, after
// the others.
func (b *bench) addColumnToSkeema(sets [][]table, name string) error {
	for s := range sets {
		p := filepath.Join(b.skdir, fmt.Sprintf("set%d", s), "users.sql")
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		i := bytes.Index(src, []byte("\n  PRIMARY KEY"))
		if i < 0 {
			return fmt.Errorf("%s: no primary key line", p)
		}
		src = append(src[:i:i], append([]byte("\n  `"+name+"` varchar(64) DEFAULT NULL,"), src[i:]...)...)
		if err := os.WriteFile(p, src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// addColumn is the SQL that adds the column of the run-th run to every
// tenant's users table, as the layer declares it; dropColumn drops it.
func (b *bench) addColumn(run int) string {
	return b.alterAll("ALTER TABLE `%s`.`users` ADD COLUMN `" + columnName(run) + "` varchar(64) DEFAULT NULL")
}

func (b *bench) dropColumn(run int) string {
	return b.alterAll("ALTER TABLE `%s`.`users` DROP COLUMN `" + columnName(run) + "`")
}

func (b *bench) alterAll(format string) string {
	var s strings.Builder
	for _, db := range b.dbs {
		fmt.Fprintf(&s, format+";\n", db)
	}
	return s.String()
}

func (b *bench) dropTenants(ctx context.Context) error {
	var s strings.Builder
	for _, db := range b.dbs {
		fmt.Fprintf(&s, "DROP DATABASE IF EXISTS `%s`;\n", db)
	}
	if r := b.clientRun(ctx, s.String()); r.err != nil {
		return fmt.Errorf("drop tenants: %w", r.err)
	}
	return nil
}

func (b *bench) print(w io.Writer, rows []*row) {
	n := float64(b.o.n)
	per := func(r *result) string {
		if r == nil {
			return "—"
		}
		if r.err != nil {
			return "failed"
		}
		return fmt.Sprintf("%.2f", float64(r.wall.Microseconds())/1000/n)
	}
	ratio := func(a, c *result) string {
		if a == nil || c == nil || a.err != nil || c.err != nil {
			return "—"
		}
		return fmt.Sprintf("%.2f×", float64(a.wall)/float64(c.wall))
	}
	peak := func(r *result) string {
		if r == nil || r.wall == 0 {
			return "—"
		}
		return fmt.Sprint(r.peak)
	}
	rss := func(r *result) string {
		if r == nil || r.rssKB == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f", float64(r.rssKB)/1024)
	}
	fmt.Fprintf(w, "\nN=%d tenants, %d runs of each operation (median); ms per tenant; Skeema runs with max_connections=1000, the others 151\n\n", b.o.n, b.o.reps)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "operation\tlandlord\tskeema\tfloor\tlandlord/skeema\tlandlord/floor\tpeak conns L/S/F\tRSS MB L/S/F\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s/%s/%s\t%s/%s/%s\t\n", r.op, per(r.landlord), per(r.skeema), per(r.floor),
			ratio(r.landlord, r.skeema), ratio(r.landlord, r.floor),
			peak(r.landlord), peak(r.skeema), peak(r.floor), rss(r.landlord), rss(r.skeema), rss(r.floor))
	}
	tw.Flush()
	for _, r := range rows {
		for _, x := range []struct {
			tool string
			r    *result
		}{{"landlord", r.landlord}, {"skeema", r.skeema}, {"floor", r.floor}} {
			if x.r != nil && x.r.err != nil {
				fmt.Fprintf(w, "%s, %s: %v\n", r.op, x.tool, x.r.err)
			}
		}
	}
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}
