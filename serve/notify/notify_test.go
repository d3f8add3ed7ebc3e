package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/landlord/landlord/internal/signature"
	"github.com/landlord/landlord/state"
)

// receiver is a webhook endpoint that answers with the codes it is given,
// in turn, and keeps what it received.
type receiver struct {
	t      *testing.T
	secret string
	codes  []int
	block  chan struct{} // when set, every request waits for it

	mu   sync.Mutex
	got  []Event
	sigs []bool
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rc.block != nil {
		<-rc.block
	}
	body, _ := io.ReadAll(r.Body)
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		rc.t.Errorf("body is not an event: %v", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Header.Get(HeaderEvent) != e.Type || r.Header.Get(HeaderDelivery) != e.ID {
		rc.t.Errorf("headers %v do not match event %s %s", r.Header, e.Type, e.ID)
	}
	rc.got = append(rc.got, e)
	rc.sigs = append(rc.sigs, signature.Valid([]byte(rc.secret), body, r.Header.Get(HeaderSignature)))
	code := http.StatusOK
	if len(rc.codes) > 0 {
		code, rc.codes = rc.codes[0], rc.codes[1:]
	}
	w.WriteHeader(code)
}

func openStore(t *testing.T) *state.Store {
	t.Helper()
	st, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "landlord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func statuses(t *testing.T, st *state.Store) []string {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(ds) - 1; i >= 0; i-- {
		out = append(out, ds[i].Status)
	}
	return out
}

// A delivery that fails with a server error is retried after the backoff
// and recorded attempt by attempt; the body is signed.
func TestDeliverRetriesAndRecords(t *testing.T) {
	rc := &receiver{t: t, secret: "s3cret-for-hooks", codes: []int{503, 500, 200}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st := openStore(t)
	n := New(Options{Webhooks: []Webhook{{Name: "ops", URL: srv.URL + "/hook/s3cret-path", Secret: "s3cret-for-hooks"}},
		Backoff: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}, Replica: "r1"}, st, nil, nil)
	n.Notify(Event{Type: RunFinished, Revision: "abc", RunID: 7, Data: map[string]any{"outcome": "succeeded"}})
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(statuses(t, st), []string{"failed", "failed", "delivered"}); diff != "" {
		t.Errorf("attempts recorded (-got +want):\n%s", diff)
	}
	if len(rc.got) != 3 || rc.got[0].ID == "" || rc.got[0].ID != rc.got[2].ID || rc.got[0].Replica != "r1" || rc.got[0].RunID != 7 {
		t.Errorf("received %+v: want the same event three times", rc.got)
	}
	for i, ok := range rc.sigs {
		if !ok {
			t.Errorf("attempt %d: signature invalid", i+1)
		}
	}
	ds, _ := st.Deliveries(context.Background(), RunFinished, 10)
	for _, d := range ds {
		if strings.Contains(d.Webhook, "s3cret") || strings.Contains(d.Error, "s3cret") {
			t.Errorf("a delivery record holds the URL's secret path: %+v", d)
		}
		if d.Webhook != "ops ("+strings.TrimPrefix(srv.URL, "http://")+")" {
			t.Errorf("webhook recorded as %q, want name and host", d.Webhook)
		}
	}
}

// A receiver that refuses an event (4xx) is not asked again; one that is
// never reachable is abandoned after the last attempt.
func TestDeliverGivesUp(t *testing.T) {
	rc := &receiver{t: t, codes: []int{http.StatusUnprocessableEntity}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	st := openStore(t)
	n := New(Options{Webhooks: []Webhook{
		{Name: "refuses", URL: srv.URL, Events: []string{RevisionRejected}},
		{Name: "dead", URL: deadURL, Events: []string{RunFinished}},
	}, Backoff: []time.Duration{time.Millisecond}}, st, nil, nil)
	n.Notify(Event{Type: RevisionRejected})
	n.Notify(Event{Type: RunFinished})
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	byHook := map[string][]string{}
	ds, _ := st.Deliveries(context.Background(), "", 10)
	for i := len(ds) - 1; i >= 0; i-- {
		name, _, _ := strings.Cut(ds[i].Webhook, " ")
		byHook[name] = append(byHook[name], ds[i].Status)
	}
	want := map[string][]string{"refuses": {"abandoned"}, "dead": {"failed", "abandoned"}}
	if diff := cmp.Diff(byHook, want); diff != "" {
		t.Errorf("attempts by webhook (-got +want):\n%s", diff)
	}
	if len(rc.got) != 1 {
		t.Errorf("the refusing receiver got %d requests, want 1", len(rc.got))
	}
}

// Notify returns at once however slow the receiver; beyond MaxPending,
// events are dropped rather than queued against the caller; Close with a
// deadline cuts the deliveries short and records them.
func TestNotifyNeverBlocks(t *testing.T) {
	rc := &receiver{t: t, block: make(chan struct{})}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	defer close(rc.block)
	st := openStore(t)
	n := New(Options{Webhooks: []Webhook{{Name: "slow", URL: srv.URL}}, MaxPending: 2, Timeout: time.Minute,
		Backoff: []time.Duration{time.Hour}}, st, nil, nil)
	for range 5 {
		n.Notify(Event{Type: LayerApplied}) // returns though the receiver hangs
	}
	n.mu.Lock()
	pending := n.pending
	n.mu.Unlock()
	if pending != 2 {
		t.Errorf("pending deliveries %d, want MaxPending 2 (3 dropped)", pending)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := n.Close(ctx); err == nil {
		t.Error("Close returned no error though deliveries were cut short")
	}
	if diff := cmp.Diff(statuses(t, st), []string{"abandoned", "abandoned"}); diff != "" {
		t.Errorf("attempts recorded (-got +want):\n%s", diff)
	}
	n.Notify(Event{Type: LayerApplied}) // after Close: dropped, no panic
}
