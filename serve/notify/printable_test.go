package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// Names of a live database and the errors that quote them reach a
// receiver escaped: a webhook's JSON with \u escapes that decode to the
// names, a Slack message's text with Go escapes, on one line.
func TestNotifyEscapesUnprintable(t *testing.T) {
	const object = "tbl\u202eexe.txt\x1b[31m\nok\xff"
	bodies := make(chan []byte, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	defer srv.Close()
	n := New(Options{Webhooks: []Webhook{{Name: "hook", URL: srv.URL}, {Name: "chat", URL: srv.URL, Format: FormatSlack}}}, nil, nil, nil)
	n.Notify(Event{Type: HealthAlert, Tenant: "acme", Data: HealthData{Status: state.CheckUnhealthy,
		Reasons: []state.HealthReason{{Rule: "drift", Level: state.CheckUnhealthy, Message: "drift on " + object}}}})
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(bodies)
	var seen int
	for b := range bodies {
		seen++
		if r, ok := testenv.RawUnprintable(string(b)); ok {
			t.Errorf("body holds the raw character %U: %q", r, b)
		}
		var m struct {
			Text string `json:"text"`
			Data struct {
				Reasons []state.HealthReason `json:"reasons"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("body %q: %v", b, err)
		}
		switch {
		case m.Text != "":
			if want := `drift on tbl\u202eexe.txt\x1b[31m\nok\xff`; !strings.HasSuffix(m.Text, want) {
				t.Errorf("slack text %q, want it to end with %q", m.Text, want)
			}
		case len(m.Data.Reasons) == 1:
			if got, want := m.Data.Reasons[0].Message, strings.ToValidUTF8("drift on "+object, "\ufffd"); got != want {
				t.Errorf("webhook reason decodes to %q, want %q", got, want)
			}
		default:
			t.Errorf("body %s is neither a Slack message nor the event", b)
		}
	}
	if seen != 2 {
		t.Errorf("%d bodies received, want 2", seen)
	}
}
