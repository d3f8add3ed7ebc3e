package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/landlord/landlord/backup"
	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/serve/metrics"
	"github.com/landlord/landlord/state"
)

//go:embed openapi.json
var openAPI []byte

// Loop is what the API asks of serve's loop (*daemon.Loop).
type Loop interface {
	Reconcile(ctx context.Context, req daemon.Request) (*reconciler.Result, error)
	Wake(ctx context.Context, source string)
	Status() daemon.Status
	Ready() error
	Current() *desired.Repo
	Retries(ctx context.Context) (map[string]state.Retry, error)
	// Backup takes a backup of one tenant now.
	Backup(ctx context.Context, slug, actor string) (*backup.Manifest, error)
}

// Options configure the API.
type Options struct {
	Tokens *Tokens
	// GitHubSecret checks X-Hub-Signature-256 on /hooks/github; empty
	// turns the hook off.
	GitHubSecret redact.Secret
	// WebhookToken authorizes /hooks/generic; empty turns the hook off.
	WebhookToken redact.Secret
	// Branch: GitHub pushes to other branches are ignored. Empty: all.
	Branch string
	// MaxHookBody bounds the body of a webhook request; 0 means
	// DefaultMaxHookBody. A larger body is refused before it is read.
	MaxHookBody int64
	// MaxPublic bounds the requests without a token (webhooks, health,
	// metrics) handled at once; 0 means DefaultMaxPublic. Requests over
	// the bound are answered 503 at once.
	MaxPublic int
}

// Defaults of Options.
const (
	// DefaultMaxHookBody: GitHub caps push payloads at 25 MB, but a push
	// of a few commits is a few kilobytes, and landlord reads only its ref.
	DefaultMaxHookBody = 1 << 20
	// DefaultMaxPublic requests without a token at once.
	DefaultMaxPublic = 16
	// deliveriesKept is how many GitHub delivery ids are remembered to
	// answer a replayed delivery without a second fetch.
	deliveriesKept = 4096
)

// Server serves the API.
type Server struct {
	opts    Options
	loop    Loop
	store   *state.Store
	metrics *metrics.Set
	log     *slog.Logger
	routes  []route
	// public and probes hold a slot per request without a token in
	// progress: probes for /healthz and /readyz, so that a flood of
	// webhooks never makes a healthy replica look unready; public for the
	// rest.
	public, probes chan struct{}
	// deliveries are the GitHub delivery ids seen.
	githubDeliveries *seenSet
}

// route is one endpoint; scope 0 is public.
type route struct {
	method, path string
	scope        Scope
	handle       func(w http.ResponseWriter, r *http.Request, tok Token)
}

// New returns the API of loop over store.
func New(opts Options, loop Loop, store *state.Store, m *metrics.Set, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxHookBody <= 0 {
		opts.MaxHookBody = DefaultMaxHookBody
	}
	if opts.MaxPublic <= 0 {
		opts.MaxPublic = DefaultMaxPublic
	}
	s := &Server{opts: opts, loop: loop, store: store, metrics: m, log: log,
		public: make(chan struct{}, opts.MaxPublic), probes: make(chan struct{}, opts.MaxPublic),
		githubDeliveries: newSeenSet(deliveriesKept)}
	s.routes = []route{
		{"GET", "/healthz", 0, s.healthz},
		{"GET", "/readyz", 0, s.readyz},
		{"GET", "/metrics", 0, s.metricsHandler},
		{"POST", "/hooks/github", 0, s.githubHook},
		{"POST", "/hooks/generic", 0, s.genericHook},
		{"GET", "/api/v1/openapi.json", 0, s.openapi},
		{"GET", "/api/v1/status", ScopeRead, s.status},
		{"GET", "/api/v1/tenants", ScopeRead, s.tenants},
		{"GET", "/api/v1/tenants/{slug}", ScopeRead, s.tenant},
		{"POST", "/api/v1/tenants/{slug}/repair", ScopeOperate, s.repair},
		{"GET", "/api/v1/tenants/{slug}/backups", ScopeRead, s.backups},
		{"POST", "/api/v1/tenants/{slug}/backups", ScopeOperate, s.takeBackup},
		{"GET", "/api/v1/runs", ScopeRead, s.runs},
		{"GET", "/api/v1/runs/{id}", ScopeRead, s.run},
		{"GET", "/api/v1/revisions", ScopeRead, s.revisions},
		{"GET", "/api/v1/deliveries", ScopeRead, s.deliveries},
		{"POST", "/api/v1/reconcile", ScopeOperate, s.reconcile},
	}
	return s
}

// Handler returns the HTTP handler of every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.path, s.authorize(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: see /api/v1/openapi.json")
	})
	return s.observe(mux)
}

// authorize checks the bearer token of a route that needs a scope: 401
// without a valid token, 403 with too little scope.
func (s *Server) authorize(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.scope == 0 {
			// Anyone can call these: bound how many run at once, so that
			// a flood costs a bounded amount of memory.
			pool := s.public
			if rt.path == "/healthz" || rt.path == "/readyz" {
				pool = s.probes
			}
			select {
			case pool <- struct{}{}:
				defer func() { <-pool }()
			default:
				w.Header().Set("Retry-After", "1")
				writeError(w, http.StatusServiceUnavailable, "too many requests without a token at once; retry")
				return
			}
			rt.handle(w, r, Token{})
			return
		}
		presented, ok := bearer(r)
		tok, valid := s.opts.Tokens.Lookup(presented)
		if !ok || !valid {
			w.Header().Set("WWW-Authenticate", `Bearer realm="landlord"`)
			writeError(w, http.StatusUnauthorized, "a valid bearer token is required (Authorization: Bearer TOKEN)")
			return
		}
		if tok.Scope < rt.scope {
			writeError(w, http.StatusForbidden, "token "+strconv.Quote(tok.Name)+" has scope "+tok.Scope.String()+"; this call needs "+rt.scope.String())
			return
		}
		setActor(r, tok.Name)
		rt.handle(w, r, tok)
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// actorKey carries the token's name from authorize to the access log.
type actorKey struct{}

type actorBox struct{ name string }

func setActor(r *http.Request, name string) {
	if b, ok := r.Context().Value(actorKey{}).(*actorBox); ok {
		b.name = name
	}
}

// observe times every request into the metrics and logs it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		box := &actorBox{}
		r = r.WithContext(context.WithValue(r.Context(), actorKey{}, box))
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		d := time.Since(start)
		if s.metrics != nil {
			s.metrics.HTTPDuration.WithLabelValues(route, strconv.Itoa(rec.code)).Observe(d.Seconds())
		}
		level := slog.LevelDebug
		if rec.code >= 500 {
			level = slog.LevelWarn
		}
		s.log.Log(r.Context(), level, "http request", "method", r.Method, "route", route, "code", rec.code,
			"duration_ms", d.Milliseconds(), "actor", box.name)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// writeJSON answers v as JSON, with the bidirectional overrides and other
// unprintable characters that encoding/json writes raw (a live name may
// hold them) escaped as \u: the values decode the same.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	w.Write(printable.JSON(b.Bytes()))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": redact.Text(msg)})
}

// decodeBody reads an optional JSON body into v; unknown fields are errors.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ Token) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz: the landlord database answers and a valid revision is loaded.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ Token) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": "landlord database unreachable: " + redact.Text(err.Error())})
		return
	}
	if err := s.loop.Ready(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request, _ Token) {
	s.metrics.Handler().ServeHTTP(w, r)
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ Token) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

// Timeouts bound how long a client may take; a zero field takes its
// default.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers (default 10s).
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included (default 30s):
	// a client trickling its body is cut off then.
	Read time.Duration
	// Write bounds writing a response (default 2m). Calls that run a
	// reconcile lift it for themselves.
	Write time.Duration
	// Idle bounds a kept-alive connection between requests (default 2m).
	Idle time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.ReadHeader, 10*time.Second)
	def(&t.Read, 30*time.Second)
	def(&t.Write, 2*time.Minute)
	def(&t.Idle, 2*time.Minute)
	return t
}

// Serve serves h on ln until ctx ends, then shuts down, giving requests in
// flight up to five seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, timeouts Timeouts) error {
	t := timeouts.withDefaults()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle,
		MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
