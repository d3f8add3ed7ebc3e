package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/serve/api"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/serve/metrics"
	"github.com/landlord/landlord/serve/notify"
	"github.com/landlord/landlord/serve/ui"
	"github.com/landlord/landlord/state"
)

type serveFlags struct {
	repoFlags
	// logLevel and logFormat shadow the global flags: serve logs JSON at
	// info level unless told otherwise, and its help says so.
	logLevel, logFormat string
	config              string
	state               string
	listen              string
	pollInterval        time.Duration
	schedule            string
	driftSchedule       string
	retryBackoff        []time.Duration
	retryJitter         float64
	concurrency         int
	lockTimeout         time.Duration
	grace               time.Duration
	leaseTTL            time.Duration
	stuckAfter          time.Duration
	probeInterval       time.Duration
	replica             string
	tokensFile          string
	pushProposals       bool
	notify              []string
	notifyBackoff       []time.Duration
	hookMaxBody         int64
	maxPublic           int
	readTimeout         time.Duration
	writeTimeout        time.Duration

	// notifications from the config file.
	webhooks []notify.Webhook
}

func newServe(g *globals) *cobra.Command { return serveCommand(g, &serveFlags{}) }

// serveCommand is the serve command filling f.
func serveCommand(g *globals, f *serveFlags) *cobra.Command {
	cmd := &cobra.Command{
		Annotations: map[string]string{bindsItself: "yes"},
		Use:         "serve",
		Short:       "Run landlord as a service: git polling, schedule, retries, webhooks, API, metrics",
		Long: `serve keeps every tenant in the shape of the newest valid revision of the
repository, without a person: it polls the repository (and takes webhooks),
reconciles the tenants whose desired schema changed, reconciles all of them
on a schedule, retries failed tenants with backoff, rejects invalid revisions
(the last good one stays in force), serves the HTTP API, /metrics, /healthz
and /readyz, and sends notifications.

Every flag can be set as LANDLORD_<FLAG> in the environment (--poll-interval:
LANDLORD_POLL_INTERVAL; lists comma-separated) or as a key of the --config
file. A flag wins over the environment, which wins over the file.

Secrets come from the environment or files only: LANDLORD_GIT_TOKEN(_FILE),
LANDLORD_GIT_SSH_KEY, LANDLORD_TOKENS_READ, LANDLORD_TOKENS_OPERATE,
LANDLORD_GITHUB_WEBHOOK_SECRET(_FILE), LANDLORD_WEBHOOK_TOKEN(_FILE),
LANDLORD_NOTIFY_SECRET(_FILE). They are never logged.

SIGTERM or SIGINT: stop dispatching, let the run in flight finish within
--grace, record, exit 0 (1 when the grace period ran out).`,
		Args: none,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindServe(cmd, f); err != nil {
				return err
			}
			return runServe(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.logLevel, "log-level", envOr("LANDLORD_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env LANDLORD_LOG_LEVEL)")
	fl.StringVar(&f.logFormat, "log-format", envOr("LANDLORD_LOG_FORMAT", "json"), "log format: text or json (env LANDLORD_LOG_FORMAT)")
	f.repoFlags.register(cmd)
	fl.StringVar(&f.config, "config", "", "configuration file (YAML): flag names as keys, and notifications")
	stateFlag(cmd, &f.state)
	fl.StringVar(&f.listen, "listen", ":8080", "HTTP listen address")
	fl.DurationVar(&f.pollInterval, "poll-interval", time.Minute, "how often to fetch the repository")
	fl.StringVar(&f.schedule, "schedule", "*/10 * * * *", "cron schedule of a reconcile of every tenant (robfig/cron: 5 fields or @every 5m, @hourly)")
	fl.StringVar(&f.driftSchedule, "drift-schedule", "@hourly", "cron schedule of drift scans")
	fl.DurationSliceVar(&f.retryBackoff, "retry-backoff", []time.Duration{time.Minute, 5 * time.Minute}, "waits before each retry of a failed tenant; then it is stalled until the next revision")
	fl.Float64Var(&f.retryJitter, "retry-jitter", 0.2, "spread of each retry wait, as a fraction (±)")
	fl.IntVar(&f.concurrency, "concurrency", 4, "tenants reconciled at once (each server also has its own limit)")
	fl.DurationVar(&f.lockTimeout, "lock-timeout", 30*time.Second, "how long to wait for another apply to the same tenant")
	fl.DurationVar(&f.grace, "grace", 30*time.Second, "on SIGTERM, how long the run in flight may go on")
	fl.DurationVar(&f.leaseTTL, "lease-ttl", 15*time.Second, "lifetime of the leader lease (replicas)")
	fl.DurationVar(&f.stuckAfter, "stuck-after", 2*time.Hour, "/readyz fails while one job of the loop runs longer")
	fl.DurationVar(&f.probeInterval, "probe-interval", 15*time.Second, "how often the database servers are checked (status, landlord_server_up)")
	fl.StringVar(&f.replica, "replica-id", "", "this replica's name in leases, runs and events (default host-pid)")
	fl.BoolVar(&f.pushProposals, "push-proposals", false, "push tenants proposed on the dashboard as a commit on a branch landlord/tenant-<slug> of the remote, for review (credentials: LANDLORD_PUSH_TOKEN, else the git credentials)")
	fl.StringVar(&f.tokensFile, "tokens-file", "", "API tokens, one per line: \"read|operate [NAME:]TOKEN\"")
	fl.StringArrayVar(&f.notify, "notify", nil, "webhook URL receiving events, signed with LANDLORD_NOTIFY_SECRET (repeatable)")
	fl.DurationSliceVar(&f.notifyBackoff, "notify-backoff", []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}, "waits before each retry of a notification")
	fl.Int64Var(&f.hookMaxBody, "webhook-max-body", api.DefaultMaxHookBody, "largest webhook body read, in bytes; a larger one is refused with 413")
	fl.IntVar(&f.maxPublic, "http-max-public", api.DefaultMaxPublic, "requests without a token (webhooks, health, metrics) handled at once; more are answered 503")
	fl.DurationVar(&f.readTimeout, "http-read-timeout", 30*time.Second, "time a client has to send a whole request, body included")
	fl.DurationVar(&f.writeTimeout, "http-write-timeout", 2*time.Minute, "time a response may take (reconcile and repair calls excepted)")
	return cmd
}

func runServe(cmd *cobra.Command, g *globals, f *serveFlags) error {
	g.logLevel, g.logFormat = f.logLevel, f.logFormat
	log, err := g.logger()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if f.replica == "" {
		f.replica = daemon.DefaultReplica()
	}
	overrides, err := f.overrides()
	if err != nil {
		return err
	}
	gitAuth, err := gitAuth()
	if err != nil {
		return err
	}
	var pushAuth *desired.Auth
	if f.pushProposals {
		if pushAuth, err = proposalAuth(gitAuth); err != nil {
			return err
		}
	}
	tokens, err := apiTokens(f.tokensFile)
	if err != nil {
		return err
	}
	githubSecret, err := secretEnv("LANDLORD_GITHUB_WEBHOOK_SECRET")
	if err != nil {
		return err
	}
	hookToken, err := secretEnv("LANDLORD_WEBHOOK_TOKEN")
	if err != nil {
		return err
	}
	webhooks, err := f.notifyWebhooks()
	if err != nil {
		return err
	}

	store, err := openStateWaiting(ctx, f.state, log)
	if err != nil {
		return err
	}
	defer store.Close()
	release, err := store.ClaimFile(f.replica)
	if err != nil {
		return err
	}
	defer release()
	var loop *daemon.Loop
	m := metrics.New(metrics.Sources{Tenants: store.Tenants, Drift: store.OpenDriftBySeverity, Backups: store.LastBackups,
		Health: store.HealthChecks, MaxSeries: func() int { return loop.HealthRules().MaxSeries }})
	notifier := notify.New(notify.Options{Webhooks: webhooks, Backoff: f.notifyBackoff, Replica: f.replica}, store, m, log)
	loop, err = daemon.New(daemon.Config{
		Source:       desired.Source{Repo: f.repo, Ref: f.ref, CacheDir: f.cacheDir, Auth: gitAuth, Timeout: f.gitTimeout},
		Push:         pushAuth,
		Servers:      overrides,
		Reserved:     reservedDatabases(f.state),
		PollInterval: f.pollInterval, Schedule: f.schedule, DriftSchedule: f.driftSchedule,
		Backoff: f.retryBackoff, Jitter: f.retryJitter, Concurrency: f.concurrency, LockWait: f.lockTimeout,
		Grace: f.grace, LeaseTTL: f.leaseTTL, Replica: f.replica,
		StuckAfter: f.stuckAfter, ProbeInterval: f.probeInterval,
	}, store, notifier, m, log)
	if err != nil {
		return err
	}
	srv := api.New(api.Options{Tokens: tokens, GitHubSecret: githubSecret, WebhookToken: hookToken, Branch: f.ref,
		MaxHookBody: f.hookMaxBody, MaxPublic: f.maxPublic}, loop, store, m, log)
	if tokens.Len() == 0 {
		log.Warn("no API tokens: every /api/v1 call but the OpenAPI document answers 401 (set LANDLORD_TOKENS_READ, LANDLORD_TOKENS_OPERATE or --tokens-file)")
	}
	// The dashboard shares the listener: /ui/ is its, the rest the API's.
	handler := http.NewServeMux()
	handler.Handle("/ui/", ui.New(tokens, srv, loop, store, log).Handler())
	handler.Handle("/", srv.Handler())
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", f.listen, err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "state", store, "webhooks", len(webhooks), "api_tokens", tokens.Len())

	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	var (
		wg      sync.WaitGroup
		httpErr error
	)
	wg.Go(func() {
		httpErr = api.Serve(httpCtx, ln, handler, api.Timeouts{Read: f.readTimeout, Write: f.writeTimeout})
		stopLoop() // a server that stopped on its own stops serve
	})
	loopErr := loop.Run(loopCtx)
	// The loop has recorded its last run: deliver what it notified, then
	// stop answering.
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	if err := notifier.Close(nctx); err != nil {
		log.Warn("notifications still pending at exit were abandoned")
	}
	cancel()
	stopHTTP()
	wg.Wait()
	switch {
	case errors.Is(loopErr, daemon.ErrGraceExpired):
		return &exitError{code: 1, msg: "error: " + loopErr.Error() + "; it was recorded as failed"}
	case loopErr != nil:
		return loopErr
	case httpErr != nil && ctx.Err() == nil:
		return fmt.Errorf("http server: %w", httpErr)
	}
	return nil
}

// overrides parses --server NAME=URL.
func (f *repoFlags) overrides() (map[string]string, error) {
	out := map[string]string{}
	for _, s := range f.servers {
		name, u, ok := strings.Cut(s, "=")
		if !ok || name == "" || u == "" {
			return nil, fmt.Errorf("--server %q: want NAME=URL", redact.URL(s))
		}
		out[name] = u
	}
	return out, nil
}

// gitAuth reads the git credentials from the environment.
func gitAuth() (desired.Auth, error) {
	token, err := secretEnv("LANDLORD_GIT_TOKEN")
	if err != nil {
		return desired.Auth{}, err
	}
	return desired.Auth{Token: token, Username: os.Getenv("LANDLORD_GIT_USERNAME"), SSHKeyPath: os.Getenv("LANDLORD_GIT_SSH_KEY")}, nil
}

// proposalAuth is the credentials proposals are pushed with: a token of
// their own (LANDLORD_PUSH_TOKEN, LANDLORD_PUSH_USERNAME), else git's.
func proposalAuth(git desired.Auth) (*desired.Auth, error) {
	token, err := secretEnv("LANDLORD_PUSH_TOKEN")
	if err != nil {
		return nil, err
	}
	if token != "" {
		return &desired.Auth{Token: token, Username: os.Getenv("LANDLORD_PUSH_USERNAME")}, nil
	}
	return &git, nil
}

// secretEnv reads a secret from env NAME, or from the file env NAME_FILE
// names (trailing newline trimmed).
func secretEnv(name string) (redact.Secret, error) {
	if v := os.Getenv(name); v != "" {
		return redact.Secret(v), nil
	}
	path := os.Getenv(name + "_FILE")
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return redact.Secret(strings.TrimRight(string(data), "\r\n")), nil
}

// apiTokens reads the API tokens from the environment and the tokens file.
func apiTokens(file string) (*api.Tokens, error) {
	t := &api.Tokens{}
	if err := t.Add(os.Getenv("LANDLORD_TOKENS_READ"), api.ScopeRead, "LANDLORD_TOKENS_READ"); err != nil {
		return nil, err
	}
	if err := t.Add(os.Getenv("LANDLORD_TOKENS_OPERATE"), api.ScopeOperate, "LANDLORD_TOKENS_OPERATE"); err != nil {
		return nil, err
	}
	if file != "" {
		if err := t.AddFile(file); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// notifyWebhooks are the --notify URLs (signed with LANDLORD_NOTIFY_SECRET)
// and the config file's notifications.
func (f *serveFlags) notifyWebhooks() ([]notify.Webhook, error) {
	secret, err := secretEnv("LANDLORD_NOTIFY_SECRET")
	if err != nil {
		return nil, err
	}
	var out []notify.Webhook
	for i, u := range f.notify {
		if err := checkWebhookURL(u); err != nil {
			return nil, fmt.Errorf("--notify %d: %w", i+1, err)
		}
		out = append(out, notify.Webhook{Name: fmt.Sprintf("notify-%d", i+1), URL: u, Secret: secret})
	}
	return append(out, f.webhooks...), nil
}

func checkWebhookURL(u string) error {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return errors.New("webhook url: want http:// or https://")
	}
	return nil
}

// openStateWaiting opens the landlord database, and while a MySQL or
// MariaDB one does not answer (not started yet, restarting), tries again,
// every second and then up to every 30 s, until it does or ctx ends: a
// daemon started with its database does not depend on which comes up
// first. What no wait mends (access refused, another version, a bad URL)
// fails at once.
func openStateWaiting(ctx context.Context, dsn string, log *slog.Logger) (*state.Store, error) {
	wait := time.Second
	for {
		store, err := state.Open(ctx, dsn)
		if err == nil || !unanswered(err) {
			return store, err
		}
		log.Warn("landlord database not answering; trying again", "err", err, "in", wait.String())
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (stopped while waiting for it)", err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// unanswered reports whether err is a server that did not answer: a dial
// refused or timed out, a connection dropped, the server shutting down or
// out of connections.
func unanswered(err error) bool {
	var (
		netErr   net.Error
		mysqlErr *gomysql.MySQLError
	)
	switch {
	case errors.As(err, &netErr), schema.ConnectionLost(err):
		return true
	case errors.As(err, &mysqlErr):
		switch mysqlErr.Number {
		case 1040, 2002, 2003: // too many connections, cannot connect
			return true
		}
	}
	return false
}
