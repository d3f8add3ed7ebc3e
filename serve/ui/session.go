package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/landlord/landlord/serve/api"
)

// Cookie names and lifetimes.
const (
	sessionCookie = "landlord_session"
	// loginCookie carries the CSRF token of the login form (double
	// submit): there is no session yet to hold it.
	loginCookie = "landlord_login"
	sessionTTL  = 12 * time.Hour
	// maxSessions bounds the sessions kept; the oldest goes first.
	maxSessions = 10000
)

// session is one logged-in browser. It holds the token's name and scope,
// never the token.
type session struct {
	id      string
	token   api.Token
	csrf    string
	expires time.Time
}

// sessions are the logged-in browsers, bounded.
type sessions struct {
	mu    sync.Mutex
	byID  map[string]*session
	order []string // ids, oldest first
}

func newSessions() *sessions { return &sessions{byID: map[string]*session{}} }

func randomID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) create(tok api.Token) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) >= maxSessions {
		delete(s.byID, s.order[0])
		s.order = s.order[1:]
	}
	ss := &session{id: randomID(), token: tok, csrf: randomID(), expires: time.Now().Add(sessionTTL)}
	s.byID[ss.id] = ss
	s.order = append(s.order, ss.id)
	return ss
}

func (s *sessions) get(id string) (*session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	if time.Now().After(ss.expires) {
		s.remove(id)
		return nil, false
	}
	return ss, true
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(id)
}

func (s *sessions) remove(id string) {
	delete(s.byID, id)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

// sameToken compares two CSRF tokens in constant time.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/ui/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}
