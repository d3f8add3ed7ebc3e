package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/internal/signature"
	"github.com/landlord/landlord/state"
)

// A webhook of format slack receives a Slack-compatible message (text
// only, markup escaped), signed like any other.
func TestSlackFormat(t *testing.T) {
	type got struct {
		body  map[string]any
		valid bool
		event string
	}
	ch := make(chan got, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("body %q: %v", body, err)
		}
		ch <- got{m, signature.Valid([]byte("s3cret"), body, r.Header.Get(HeaderSignature)), r.Header.Get(HeaderEvent)}
	}))
	defer srv.Close()
	n := New(Options{Webhooks: []Webhook{{Name: "chat", URL: srv.URL, Secret: redact.Secret("s3cret"), Format: FormatSlack}}}, nil, nil, nil)
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	n.Notify(Event{Type: HealthAlert, Tenant: "acme", Replica: "r1", Data: HealthData{Status: state.CheckUnhealthy, Since: since,
		Reasons: []state.HealthReason{{Rule: "unreachable", Level: state.CheckUnhealthy, Message: `server "b" does not answer: dial <tcp>`}}}})
	g := <-ch
	want := `landlord (r1): :red_circle: tenant acme is unhealthy: server "b" does not answer: dial &lt;tcp&gt;`
	if g.body["text"] != want || len(g.body) != 1 || !g.valid || g.event != HealthAlert {
		t.Errorf("alert: %+v, want text %q, signed", g, want)
	}
	n.Notify(Event{Type: HealthResolved, Tenant: "acme", Data: HealthData{Status: state.CheckHealthy, Since: since}})
	g = <-ch
	if want := "landlord: :white_check_mark: tenant acme recovered: now healthy (the alert since 2026-01-02T03:04:05Z is resolved)"; g.body["text"] != want {
		t.Errorf("resolved: %q, want %q", g.body["text"], want)
	}
	n.Notify(Event{Type: RunFinished, Revision: "0123456789abcdef0123", RunID: 7})
	g = <-ch
	if want := "landlord: run.finished at revision 0123456789ab (run 7)"; g.body["text"] != want {
		t.Errorf("run: %q, want %q", g.body["text"], want)
	}
	n.Close(context.Background())
}
