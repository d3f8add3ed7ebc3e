// Command landlord keeps every tenant database of a database-per-tenant
// platform in the shape its git repository declares.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"

	"github.com/landlord/landlord/internal/memlimit"
	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/internal/redact"
)

// exitError ends the command with a code and, if set, a message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exitInterrupted is the exit code of a command stopped by a signal.
const exitInterrupted = 130

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal stops the command (it records what happened
		// and exits); a second one exits at once.
		s := <-sigs
		fmt.Fprintf(os.Stderr, "landlord: %v: stopping (again to exit at once)\n", s)
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "landlord: exiting at once")
		os.Exit(exitInterrupted)
	}()
	memlimit.Fit(0)
	stopProfile := startProfile()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	signal.Stop(sigs)
	cancel()
	os.Exit(code)
}

// startProfile writes a CPU profile of the command to the file that
// LANDLORD_CPUPROFILE names, if set (for go tool pprof; make bench's
// figures come with one); the function it returns ends it.
func startProfile() func() {
	path := os.Getenv("LANDLORD_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "landlord: cpu profile: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "landlord: cpu profile: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		// LANDLORD_MEMPROFILE: the allocations of the command too.
		if mem := os.Getenv("LANDLORD_MEMPROFILE"); mem != "" {
			if m, err := os.Create(mem); err == nil {
				pprof.Lookup("allocs").WriteTo(m, 0)
				m.Close()
			}
		}
	}
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "error: "+strings.ReplaceAll(printable.Lines(redact.Text(err.Error())), "\n", "\n  "))
	return 1
}

// globals are the flags every command shares.
type globals struct {
	// config is the --config file of every command but serve (which has
	// its own flag, for its notifications).
	config    string
	logLevel  string
	logFormat string
	// log is the logger of the command that runs (PersistentPreRunE).
	log    *slog.Logger
	stdout io.Writer
	stderr io.Writer
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "landlord",
		Short: "GitOps for database-per-tenant SaaS",
		Long: `landlord turns a git repository of tenant manifests and layered Atlas HCL
schemas into provisioned, planned, applied and recorded tenant databases.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	// Every command logs to stderr as --log-level and --log-format say;
	// serve sets its own defaults and builds its logger again.
	// Every command takes its settings the same way: flag, else
	// LANDLORD_<FLAG>, else the --config file (bindSettings); serve binds
	// its own, with its notifications.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Annotations[bindsItself] == "" {
			if err := bindSettings(cmd, g.config, nil); err != nil {
				return err
			}
		}
		log, err := g.logger()
		g.log = log
		return err
	}
	root.PersistentFlags().StringVar(&g.config, "config", os.Getenv("LANDLORD_CONFIG"), "settings file (YAML): flag names as keys; a flag wins over LANDLORD_<FLAG>, which wins over the file (env LANDLORD_CONFIG)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", envOr("LANDLORD_LOG_LEVEL", "warn"), "log level: debug, info, warn or error (env LANDLORD_LOG_LEVEL)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", envOr("LANDLORD_LOG_FORMAT", "text"), "log format: text or json (env LANDLORD_LOG_FORMAT)")
	root.AddCommand(newReconcile(g), newStatus(g), newValidate(g), newDiff(g), newDrift(g), newSnapshot(g), newSnapshots(g), newRepair(g), newRollback(g), newUnpin(g), newServe(g), newBackup(g), newBackups(g), newRestore(g), newSeed(g), newVersion(g))
	root.Version = buildVersion()
	root.SetVersionTemplate("landlord {{.Version}}\n")
	// cobra adds help and completion when it runs; added now, they get
	// their examples too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	setExamples(root)
	return root
}

// bindsItself marks a command that binds its settings in its RunE.
const bindsItself = "landlord/binds-itself"

// driverLog is where the MySQL driver's own log lines go ("[mysql]
// packets.go:58 unexpected EOF"): to landlord's logger at debug level, not
// raw on stderr, since the error they explain is returned and reported.
// The driver has one process-wide logger, set once; it writes to the
// logger of the command that runs.
var (
	driverLog     atomic.Pointer[slog.Logger]
	driverLogOnce sync.Once
)

type driverLogger struct{}

func (driverLogger) Print(v ...any) {
	if log := driverLog.Load(); log != nil {
		log.Debug("mysql driver", "msg", redact.Text(strings.TrimSpace(fmt.Sprint(v...))))
	}
}

// logger builds the logger the flags ask for, on stderr, and sends the
// MySQL driver's log lines to it.
func (g *globals) logger() (*slog.Logger, error) {
	log, err := g.newLogger()
	if err != nil {
		return nil, err
	}
	driverLog.Store(log)
	driverLogOnce.Do(func() { gomysql.SetLogger(driverLogger{}) })
	return log, nil
}

func (g *globals) newLogger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redact.Attr}
	switch g.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(g.stderr, opts)), nil
	case "json":
		// slog's JSON, like encoding/json, writes bidirectional overrides
		// raw (its text handler quotes them); a live name may hold one.
		return slog.New(slog.NewJSONHandler(printable.JSONWriter(g.stderr), opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", g.logFormat)
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// isTerminal reports whether w is a terminal, for the progress bar.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
