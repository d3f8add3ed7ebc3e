package ui

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/serve/api"
	"github.com/landlord/landlord/state"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// HTMX is the vendored htmx, from the npm package htmx.org at this version.
const HTMX = "2.0.4"

// Server serves the dashboard.
type Server struct {
	tokens   *api.Tokens
	api      *api.Server
	loop     Loop
	store    *state.Store
	log      *slog.Logger
	sessions *sessions
	pages    map[string]*template.Template
	assets   http.Handler
	// proposals bounds the new tenant checks and pushes running at once:
	// each fetches the repository and plans against a server, and read
	// tokens may ask for them.
	proposals chan struct{}
	// missing is the last answer of unrecorded, for the revision in force
	// and the number of tenant records it was read at.
	missing struct {
		sync.Mutex
		repo    *desired.Repo
		records int
		slugs   []string
	}
}

// maxProposals is how many new tenant checks or pushes run at once; more
// are answered 429 at once rather than queued.
const maxProposals = 2

// New returns the dashboard over the API srv, its loop and store; tokens
// are the API's tokens, which log in.
func New(tokens *api.Tokens, srv *api.Server, loop Loop, store *state.Store, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{tokens: tokens, api: srv, loop: loop, store: store, log: log, sessions: newSessions(), pages: map[string]*template.Template{}, proposals: make(chan struct{}, maxProposals)}
	for _, p := range []string{"login", "fleet", "tenant", "diff", "runs", "run", "drift", "preview", "error", "newtenant"} {
		s.pages[p] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
	}
	sub, _ := fs.Sub(assetFS, "assets")
	s.assets = http.StripPrefix("/ui/assets/", http.FileServerFS(sub))
	return s
}

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05Z")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05Z")
		}
		return ""
	},
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"lower":  strings.ToLower,
	"inc":    func(i int) int { return i + 1 },
	"join":   strings.Join,
	"redact": redact.Text,
	// text, lines and sql escape what is not printable in names and
	// messages that come from live databases or the landlord database:
	// html/template escapes markup, but writes control characters,
	// bidirectional overrides and line breaks of a name as they are.
	// text is for a name or a line, lines for a message whose line
	// breaks are its own, sql for a statement (escaping line breaks only
	// in the names it quotes).
	"text":  printable.Text,
	"lines": printable.Lines,
	"sql":   printable.SQL,
	"kb":    func(n int64) string { return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) },
	// bytes writes a size in binary units.
	"bytes": func(n *int64) string {
		if n == nil {
			return "—"
		}
		return desired.FormatBytes(*n)
	},
}

// Handler serves every page under /ui/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /ui/assets/", s.cacheAssets(s.assets))
	mux.HandleFunc("GET /ui/login", s.loginPage)
	mux.HandleFunc("POST /ui/login", s.login)
	mux.Handle("POST /ui/logout", s.auth(api.ScopeRead, s.logout))
	mux.HandleFunc("GET /ui/{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ui/fleet", http.StatusSeeOther) })
	mux.Handle("GET /ui/fleet", s.auth(api.ScopeRead, s.fleet))
	mux.Handle("GET /ui/tenants/{slug}", s.auth(api.ScopeRead, s.tenant))
	mux.Handle("GET /ui/tenants/{slug}/diff", s.auth(api.ScopeRead, s.diff))
	mux.Handle("POST /ui/tenants/{slug}/repair", s.auth(api.ScopeOperate, s.repair))
	mux.Handle("POST /ui/tenants/{slug}/reconcile", s.auth(api.ScopeOperate, s.reconcile))
	mux.Handle("POST /ui/tenants/{slug}/rollback", s.auth(api.ScopeOperate, s.rollback))
	mux.Handle("POST /ui/tenants/{slug}/unpin", s.auth(api.ScopeOperate, s.unpin))
	mux.Handle("POST /ui/tenants/{slug}/backup", s.auth(api.ScopeOperate, s.backupNow))
	mux.Handle("GET /ui/runs", s.auth(api.ScopeRead, s.runs))
	mux.Handle("GET /ui/runs/{id}", s.auth(api.ScopeRead, s.run))
	mux.Handle("GET /ui/drift", s.auth(api.ScopeRead, s.drift))
	mux.Handle("GET /ui/new-tenant", s.auth(api.ScopeRead, s.newTenant))
	mux.Handle("POST /ui/new-tenant", s.auth(api.ScopeRead, s.proposeTenant))
	mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, http.StatusNotFound, "no such page")
	})
	return secure(mux)
}

// secure sets the headers every page carries: nothing but the dashboard's
// own assets loads, no frame embeds it, nothing is cached but assets.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/ui/assets/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) cacheAssets(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		next.ServeHTTP(w, r)
	})
}

// page is what every page template gets.
type page struct {
	Title   string
	Nav     string
	Session *session
	Flash   string
	Error   string
	HTMX    string
	Data    any
}

// CanOperate: the session's token may repair.
func (p page) CanOperate() bool { return p.Session != nil && p.Session.token.Scope >= api.ScopeOperate }

// User is the token's name.
func (p page) User() string {
	if p.Session == nil {
		return ""
	}
	return p.Session.token.Name
}

// Scope is the token's scope.
func (p page) Scope() string {
	if p.Session == nil {
		return ""
	}
	return p.Session.token.Scope.String()
}

// CSRF is the token every form of the session carries.
func (p page) CSRF() string {
	if p.Session == nil {
		return ""
	}
	return p.Session.csrf
}

// render writes a page, or with block set only that template (the part
// htmx swaps in).
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name, block string, p page) {
	p.HTMX = HTMX
	if p.Flash == "" {
		p.Flash = r.URL.Query().Get("flash")
	}
	t := s.pages[name]
	var buf bytes.Buffer
	var err error
	if block != "" {
		err = t.ExecuteTemplate(&buf, block, p)
	} else {
		err = t.Execute(&buf, p)
	}
	if err != nil {
		s.log.Warn("render page", "page", name, "error", err)
		http.Error(w, "could not render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, ss *session, code int, msg string) {
	s.render(w, r, code, "error", "", page{Title: http.StatusText(code), Session: ss, Error: redact.Text(msg)})
}

// auth lets a request through with a live session whose token has scope;
// a POST must also carry the session's CSRF token.
func (s *Server) auth(scope api.Scope, next func(w http.ResponseWriter, r *http.Request, ss *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ss *session
		if c, err := r.Cookie(sessionCookie); err == nil {
			ss, _ = s.sessions.get(c.Value)
		}
		if ss == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, http.StatusUnauthorized, "log in first")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil || !sameToken(r.PostForm.Get("csrf"), ss.csrf) {
				s.fail(w, r, ss, http.StatusForbidden, "this form has no valid CSRF token: reload the page and try again")
				return
			}
		}
		if ss.token.Scope < scope {
			s.fail(w, r, ss, http.StatusForbidden, "token "+ss.token.Name+" has scope "+ss.token.Scope.String()+"; this needs "+scope.String())
			return
		}
		next(w, r, ss)
	})
}

// localPath keeps next a path of the dashboard, never another site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/ui/fleet"
	}
	return next
}

type loginData struct{ Next, CSRF string }

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	csrf := randomID()
	setCookie(w, r, loginCookie, csrf, 600)
	s.render(w, r, http.StatusOK, "login", "", page{Title: "Log in", Data: loginData{Next: localPath(r.URL.Query().Get("next")), CSRF: csrf}})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c, err := r.Cookie(loginCookie)
	if err := r.ParseForm(); err != nil || c == nil || !sameToken(r.PostForm.Get("csrf"), c.Value) {
		s.fail(w, r, nil, http.StatusForbidden, "this form has no valid CSRF token: reload the login page and try again")
		return
	}
	_ = err
	tok, ok := s.tokens.Lookup(strings.TrimSpace(r.PostForm.Get("token")))
	next := localPath(r.PostForm.Get("next"))
	if !ok {
		csrf := randomID()
		setCookie(w, r, loginCookie, csrf, 600)
		s.render(w, r, http.StatusUnauthorized, "login", "", page{Title: "Log in", Error: "that token is not valid",
			Data: loginData{Next: next, CSRF: csrf}})
		return
	}
	ss := s.sessions.create(tok)
	setCookie(w, r, loginCookie, "", -1)
	setCookie(w, r, sessionCookie, ss.id, int(sessionTTL.Seconds()))
	s.log.Info("dashboard login", "actor", tok.Name)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, ss *session) {
	s.sessions.delete(ss.id)
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}
