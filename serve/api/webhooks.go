package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/landlord/landlord/internal/signature"
)

// githubHook takes GitHub's push events: the signature (X-Hub-Signature-256,
// HMAC-SHA256 of the body under the shared secret) is checked before
// anything else, and a push to the followed branch wakes the loop for a
// fetch at once. A ping is answered; other events are ignored. The body is
// read through http.MaxBytesReader, at most Options.MaxHookBody bytes; a
// delivery (X-GitHub-Delivery) seen before is answered 200 and triggers
// nothing, as GitHub redelivers and anyone may replay a signed request.
func (s *Server) githubHook(w http.ResponseWriter, r *http.Request, _ Token) {
	const hook = "github"
	if s.opts.GitHubSecret == "" {
		s.hookOutcome(hook, "disabled")
		writeError(w, http.StatusNotFound, "the github webhook is off: set LANDLORD_GITHUB_WEBHOOK_SECRET")
		return
	}
	body, ok := s.readHookBody(w, r, hook)
	if !ok {
		return
	}
	if !signature.Valid([]byte(s.opts.GitHubSecret.Reveal()), body, r.Header.Get("X-Hub-Signature-256")) {
		s.hookOutcome(hook, "unauthorized")
		s.log.Warn("webhook refused: bad signature", "hook", hook, "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "bad or missing X-Hub-Signature-256")
		return
	}
	switch event := r.Header.Get("X-GitHub-Event"); event {
	case "ping":
		s.hookOutcome(hook, "ignored")
		writeJSON(w, http.StatusOK, map[string]any{"triggered": false, "reason": "ping"})
		return
	case "push":
	default:
		s.hookOutcome(hook, "ignored")
		writeJSON(w, http.StatusOK, map[string]any{"triggered": false, "reason": "event " + event + " is not a push"})
		return
	}
	var push struct {
		Ref string `json:"ref"`
	}
	if err := json.Unmarshal(body, &push); err != nil {
		s.hookOutcome(hook, "invalid")
		writeError(w, http.StatusBadRequest, "push event: "+err.Error())
		return
	}
	if s.opts.Branch != "" && push.Ref != "refs/heads/"+s.opts.Branch {
		s.hookOutcome(hook, "ignored")
		writeJSON(w, http.StatusOK, map[string]any{"triggered": false, "reason": "push to " + push.Ref + ", not refs/heads/" + s.opts.Branch})
		return
	}
	if id := r.Header.Get("X-GitHub-Delivery"); id != "" && !s.githubDeliveries.add(id) {
		s.hookOutcome(hook, "replayed")
		writeJSON(w, http.StatusOK, map[string]any{"triggered": false, "reason": "delivery seen before"})
		return
	}
	s.hookOutcome(hook, "accepted")
	s.loop.Wake(r.Context(), hook)
	writeJSON(w, http.StatusAccepted, map[string]any{"triggered": true})
}

// readHookBody reads a webhook's body, at most Options.MaxHookBody bytes: a
// larger one is refused with 413 as soon as the bound is passed (or from
// its Content-Length alone), so a flood of large bodies costs no more
// memory than the bound times the requests allowed at once.
func (s *Server) readHookBody(w http.ResponseWriter, r *http.Request, hook string) ([]byte, bool) {
	tooLarge := func() ([]byte, bool) {
		s.hookOutcome(hook, "too_large")
		writeError(w, http.StatusRequestEntityTooLarge, "body larger than "+strconv.FormatInt(s.opts.MaxHookBody, 10)+" bytes")
		return nil, false
	}
	if r.ContentLength > s.opts.MaxHookBody {
		return tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxHookBody))
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return tooLarge()
	case err != nil:
		s.hookOutcome(hook, "invalid")
		writeError(w, http.StatusBadRequest, "unreadable body")
		return nil, false
	}
	return body, true
}

// genericHook wakes the loop for a fetch, for any CI or chat tool: the
// token goes in "Authorization: Bearer TOKEN" or X-Landlord-Token.
func (s *Server) genericHook(w http.ResponseWriter, r *http.Request, _ Token) {
	const hook = "generic"
	if s.opts.WebhookToken == "" {
		s.hookOutcome(hook, "disabled")
		writeError(w, http.StatusNotFound, "the generic webhook is off: set LANDLORD_WEBHOOK_TOKEN")
		return
	}
	presented, ok := bearer(r)
	if !ok {
		presented = r.Header.Get("X-Landlord-Token")
	}
	want := sha256.Sum256([]byte(s.opts.WebhookToken.Reveal()))
	got := sha256.Sum256([]byte(presented))
	if presented == "" || subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		s.hookOutcome(hook, "unauthorized")
		s.log.Warn("webhook refused: bad token", "hook", hook, "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "bad or missing webhook token")
		return
	}
	if _, ok := s.readHookBody(w, r, hook); !ok {
		return
	}
	s.hookOutcome(hook, "accepted")
	s.loop.Wake(r.Context(), hook)
	writeJSON(w, http.StatusAccepted, map[string]any{"triggered": true})
}

func (s *Server) hookOutcome(hook, outcome string) {
	if s.metrics != nil {
		s.metrics.WebhookRequests.WithLabelValues(hook, outcome).Inc()
	}
}

// seenSet remembers the last n ids added, in bounded memory.
type seenSet struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string
	next int
}

func newSeenSet(n int) *seenSet {
	return &seenSet{ids: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add records id and reports whether it is new. The oldest id is forgotten
// when the set is full.
func (s *seenSet) add(id string) bool {
	if len(id) > 128 {
		id = id[:128] // GitHub's ids are UUIDs; anything longer is cut, not kept
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[id]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.ids[id] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
	return true
}
