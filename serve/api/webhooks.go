package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"

	"github.com/landlord/landlord/internal/signature"
)

// maxHookBody is GitHub's limit on a webhook payload.
const maxHookBody = 25 << 20

// githubHook takes GitHub's push events: the signature (X-Hub-Signature-256,
// HMAC-SHA256 of the body under the shared secret) is checked before
// anything else, and a push to the followed branch wakes the loop for a
// fetch at once. A ping is answered; other events are ignored.
func (s *Server) githubHook(w http.ResponseWriter, r *http.Request, _ Token) {
	const hook = "github"
	if s.opts.GitHubSecret == "" {
		s.hookOutcome(hook, "disabled")
		writeError(w, http.StatusNotFound, "the github webhook is off: set LANDLORD_GITHUB_WEBHOOK_SECRET")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxHookBody+1))
	if err != nil || len(body) > maxHookBody {
		s.hookOutcome(hook, "invalid")
		writeError(w, http.StatusBadRequest, "unreadable or oversized body")
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
	s.hookOutcome(hook, "accepted")
	s.loop.Wake(r.Context(), hook)
	writeJSON(w, http.StatusAccepted, map[string]any{"triggered": true})
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
	io.Copy(io.Discard, io.LimitReader(r.Body, maxHookBody))
	s.hookOutcome(hook, "accepted")
	s.loop.Wake(r.Context(), hook)
	writeJSON(w, http.StatusAccepted, map[string]any{"triggered": true})
}

func (s *Server) hookOutcome(hook, outcome string) {
	if s.metrics != nil {
		s.metrics.WebhookRequests.WithLabelValues(hook, outcome).Inc()
	}
}
