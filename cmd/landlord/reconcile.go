package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/confine"
	"github.com/landlord/landlord/internal/memlimit"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/state"
)

// repoFlags locate the desired-state repository.
type repoFlags struct {
	repo       string
	ref        string
	cacheDir   string
	servers    []string
	gitTimeout time.Duration
}

func (f *repoFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.repo, "repo", envOr("LANDLORD_REPO", "."), "desired-state repository: a directory or a git URL (env LANDLORD_REPO)")
	cmd.Flags().StringVar(&f.ref, "ref", os.Getenv("LANDLORD_REF"), "branch, tag or commit to read (env LANDLORD_REF; default: the files on disk, or the remote's default branch)")
	cmd.Flags().StringVar(&f.cacheDir, "cache-dir", os.Getenv("LANDLORD_CACHE_DIR"), "where remote repositories are cloned (env LANDLORD_CACHE_DIR; default: the user cache directory)")
	cmd.Flags().StringArrayVar(&f.servers, "server", nil, "override a server's URL: NAME=URL (repeatable)")
	cmd.Flags().DurationVar(&f.gitTimeout, "git-timeout", desired.DefaultGitTimeout, "bound of each clone, fetch and listing of a remote repository")
}

// load checks out and loads the repository at --ref.
func (f *repoFlags) load(cmd *cobra.Command) (*desired.Repo, error) {
	return f.loadAt(cmd, f.ref)
}

// loadAt checks out and loads the repository at ref (empty: the files on
// disk, or the remote's default branch).
func (f *repoFlags) loadAt(cmd *cobra.Command, ref string) (*desired.Repo, error) {
	overrides, err := f.overrides()
	if err != nil {
		return nil, err
	}
	token, err := secretEnv("LANDLORD_GIT_TOKEN") // or LANDLORD_GIT_TOKEN_FILE, as for serve
	if err != nil {
		return nil, err
	}
	co, err := desired.Open(cmd.Context(), desired.Source{
		Repo: f.repo, Ref: ref, CacheDir: f.cacheDir, Timeout: f.gitTimeout,
		Auth: desired.Auth{Token: token, Username: os.Getenv("LANDLORD_GIT_USERNAME"), SSHKeyPath: os.Getenv("LANDLORD_GIT_SSH_KEY")},
	})
	if err != nil {
		return nil, err
	}
	opts := desired.LoadOptions{Servers: overrides}
	if fl := cmd.Flags().Lookup("state"); fl != nil {
		opts.Reserved = reservedDatabases(fl.Value.String())
	}
	if !desired.IsRemote(f.repo) {
		if opts.Dir, err = filepath.Abs(f.repo); err != nil {
			return nil, err
		}
	}
	repo, err := desired.Load(co.FS, co.Revision, opts)
	if repo != nil {
		memlimit.Fit(len(repo.Tenants))
	}
	return repo, err
}

// reservedDatabases returns the database names the landlord database at
// dsn takes on its server, so that no tenant may have them.
func reservedDatabases(dsn string) []string {
	if name := state.DatabaseName(dsn); name != "" {
		return []string{name}
	}
	return nil
}

// openExisting opens the landlord database for commands that read it: a
// missing SQLite file is an error, not a new empty database.
func openExisting(cmd *cobra.Command, dsn string) (*state.Store, error) {
	return state.OpenExisting(cmd.Context(), dsn)
}

func stateFlag(cmd *cobra.Command, dsn *string) {
	cmd.Flags().StringVar(dsn, "state", envOr("LANDLORD_STATE", defaultState), "landlord database: an SQLite file or mysql://user:pass@host:port/db (env LANDLORD_STATE)")
}

// defaultState is the landlord database when neither --state, nor
// LANDLORD_STATE, nor the config file names one: in the working
// directory, usually the repository's.
const defaultState = ".landlord/landlord.db"

// checkDefaultState refuses the default landlord database when .landlord,
// the file or SQLite's files beside it is a symbolic link or not what it
// should be: in a repository's working directory git checks such links
// out as they were committed, and whoever commits must not choose where
// landlord writes its state. A --state given by the operator is not
// checked: it may be anywhere.
func checkDefaultState(fl *pflag.FlagSet) error {
	p := fl.Lookup("state")
	if p == nil || p.Changed || p.Value.String() != defaultState {
		return nil
	}
	dir := filepath.Dir(defaultState)
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("default landlord database: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("default landlord database %s: %s is a symbolic link; pass --state PATH to keep the landlord database elsewhere", defaultState, dir)
	case !fi.IsDir():
		return fmt.Errorf("default landlord database %s: %s is not a directory; pass --state PATH", defaultState, dir)
	}
	if err := confine.Database(defaultState); err != nil {
		return fmt.Errorf("default landlord database: %w; pass --state PATH to keep the landlord database elsewhere", err)
	}
	return nil
}

func outputFlag(cmd *cobra.Command, out *string, formats ...string) {
	cmd.Flags().StringVarP(out, "output", "o", "text", "output format: "+strings.Join(formats, " or "))
}

func checkOutput(out string, formats ...string) error {
	for _, f := range formats {
		if out == f {
			return nil
		}
	}
	return fmt.Errorf("--output %q: want %s", out, strings.Join(formats, " or "))
}

type reconcileFlags struct {
	repoFlags
	state            string
	tenants          []string
	plan             bool
	detailed         bool
	allowDestructive bool
	concurrency      int
	lockTimeout      time.Duration
	abortAfter       time.Duration
	against          string
	output           string
}

func newReconcile(g *globals) *cobra.Command {
	f := &reconcileFlags{}
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Provision, plan and apply every tenant's desired schema",
		Long: `reconcile reads the desired-state repository and, for every tenant (or those
named with --tenant), plans the change from its live database to its desired
schema; unless --plan, it creates the database if missing, applies the plan
under the tenant's lock, verifies it and records it in the landlord database.

With --plan --against state, each tenant is planned from its newest snapshot
in the landlord database (--state, opened read-only) instead of its live
database: no database server is contacted, so a CI job with read access to
the landlord database, or a copy of it, can show the plan.

--output markdown writes a report for a pull-request comment: a summary line,
destructive statements first, tenants with the same plan grouped.

Exit codes: 0 success; 1 an error, or a tenant failed or was blocked;
with --plan --detailed-exitcode: 0 no changes, 2 changes pending, 1 error;
130 interrupted.

SIGINT or SIGTERM stops the reconcile: no new tenant starts, a statement in
flight gets --abort-after to finish, then it is killed on the server and
recorded as failed, and landlord exits with 130. A second signal exits at
once.`,
		Args: none,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReconcile(cmd, g, f) },
	}
	f.repoFlags.register(cmd)
	stateFlag(cmd, &f.state)
	cmd.Flags().StringArrayVar(&f.tenants, "tenant", nil, "reconcile only this tenant (repeatable)")
	cmd.Flags().BoolVar(&f.plan, "plan", false, "dry run: show the plans, change nothing")
	cmd.Flags().DurationVar(&f.abortAfter, "abort-after", 5*time.Second, "on SIGINT or SIGTERM, how long a statement in flight may go on before it is killed on the server")
	cmd.Flags().BoolVar(&f.detailed, "detailed-exitcode", false, "with --plan: exit 2 when changes are pending, 0 when none")
	cmd.Flags().BoolVar(&f.allowDestructive, "allow-destructive", false, "apply destructive statements (drops, narrowing type changes)")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 4, "tenants reconciled at once (each server also has its own limit)")
	cmd.Flags().DurationVar(&f.lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for another apply to the same tenant")
	cmd.Flags().StringVar(&f.against, "against", reconciler.AgainstLive, "with --plan, what to plan from: live (the tenant databases) or state (the snapshots in the landlord database)")
	outputFlag(cmd, &f.output, "text", "json", "markdown")
	return cmd
}

func runReconcile(cmd *cobra.Command, g *globals, f *reconcileFlags) error {
	if err := checkOutput(f.output, "text", "json", "markdown"); err != nil {
		return err
	}
	switch f.against {
	case reconciler.AgainstLive:
	case reconciler.AgainstState:
		if !f.plan {
			return fmt.Errorf("--against state goes with --plan")
		}
	default:
		return fmt.Errorf("--against %q: want live or state", f.against)
	}
	if f.detailed && !f.plan {
		return fmt.Errorf("--detailed-exitcode goes with --plan")
	}
	if f.concurrency < 1 {
		return fmt.Errorf("--concurrency %d: must be at least 1", f.concurrency)
	}
	log, err := g.logger()
	if err != nil {
		return err
	}
	repo, err := f.load(cmd)
	if err != nil {
		return err
	}
	if len(repo.Errors) > 0 {
		return fmt.Errorf("the repository is invalid; nothing was changed:\n%s", repo.Errors.Error())
	}
	var (
		store     reconciler.Store
		snapshots reconciler.SnapshotSource
	)
	if f.plan {
		// A plan reads the landlord database when there is one: pins and
		// drift baselines change what a reconcile would do, and --against
		// state plans from its snapshots. It never creates nor writes it.
		st, err := state.OpenReadOnly(cmd.Context(), f.state)
		switch {
		case errors.Is(err, state.ErrNotFound) && f.against != reconciler.AgainstState:
		case err != nil:
			return err
		default:
			defer st.Close()
			store = st
			if f.against == reconciler.AgainstState {
				snapshots = st
			}
		}
	} else {
		st, err := state.Open(cmd.Context(), f.state)
		if err != nil {
			return err
		}
		defer st.Close()
		store = st
	}
	rec := reconciler.New(store, log)
	defer rec.Close()
	opts := reconciler.Options{
		Tenants: f.tenants, Plan: f.plan, AllowDestructive: f.allowDestructive,
		Concurrency: f.concurrency, LockWait: f.lockTimeout, Trigger: "cli", Actor: actor(),
		Against: f.against, Snapshots: snapshots, AbortAfter: f.abortAfter,
		Previous: func(_ context.Context, revision string) (*desired.Repo, error) { return f.loadAt(cmd, revision) },
	}
	var bar *progress
	if f.output == "text" && isTerminal(g.stderr) {
		bar = newProgress(g.stderr, countSelected(repo, f.tenants))
		opts.Progress = bar.done
	}
	res, err := rec.Reconcile(cmd.Context(), repo, opts)
	bar.wait()
	if err != nil {
		return err
	}
	switch f.output {
	case "json":
		if err := writeJSON(g.stdout, resultJSON(res)); err != nil {
			return err
		}
	case "markdown":
		writeMarkdown(g.stdout, res, markdownLimit)
	default:
		writeResult(g.stdout, res)
	}
	switch {
	case cmd.Context().Err() != nil:
		return &exitError{code: exitInterrupted, msg: "interrupted: the run is recorded as failed; rerun to finish"}
	case res.Failed():
		return &exitError{code: 1}
	case f.plan && f.detailed && res.Changed():
		return &exitError{code: 2}
	}
	return nil
}

// actor names who ran the command, for the run record.
func actor() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "cli"
}

func countSelected(repo *desired.Repo, slugs []string) int {
	if len(slugs) > 0 {
		return len(slugs)
	}
	return len(repo.Tenants)
}

// progress is the progress bar shown on a terminal while tenants reconcile.
type progress struct {
	p   *mpb.Progress
	bar *mpb.Bar
	mu  sync.Mutex
}

func newProgress(w interface{ Write([]byte) (int, error) }, total int) *progress {
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))
	bar := p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name("tenants "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.Elapsed(decor.ET_STYLE_GO)),
	)
	return &progress{p: p, bar: bar}
}

func (p *progress) done(reconciler.TenantResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Increment()
}

func (p *progress) wait() {
	if p == nil {
		return
	}
	p.bar.SetTotal(-1, true)
	p.p.Wait()
}
