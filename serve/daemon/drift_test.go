package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/serve/metrics"
	"github.com/landlord/landlord/serve/notify"
)

// Scheduled drift scans record a column added by hand, export it and
// notify it once, however many scans see it again.
func TestDriftScans(t *testing.T) {
	f := newFixture(t, false)
	rev := strings.TrimSpace(f.git.Commit(t, "start"))
	var (
		mu     sync.Mutex
		events []notify.Event
	)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var e notify.Event
		json.Unmarshal(body, &e)
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}))
	defer rc.Close()
	n := notify.New(notify.Options{Webhooks: []notify.Webhook{{Name: "test", URL: rc.URL, Events: []string{notify.DriftDetected}}}}, f.store, nil, nil)
	defer n.Close(context.Background())
	m := metrics.New(metrics.Sources{Tenants: f.store.Tenants, Drift: f.store.OpenDriftBySeverity})
	cfg := f.config("a")
	cfg.DriftSchedule = "@every 1s"
	l := f.startWith(cfg, f.store, n, m)
	eventually(t, "Synced", func() bool { return f.synced(f.store, rev) })
	if _, err := testenv.DB(t).Exec("ALTER TABLE `" + f.prefix + "cpn_uml`.`members` ADD COLUMN nickname varchar(40) NULL"); err != nil {
		t.Fatal(err)
	}
	drifted := func() []notify.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]notify.Event(nil), events...)
	}
	eventually(t, "the drift notified", func() bool { return len(drifted()) > 0 })
	scans := testutil.ToFloat64(m.Triggers.WithLabelValues("drift"))
	eventually(t, "two more scans", func() bool { return testutil.ToFloat64(m.Triggers.WithLabelValues("drift")) >= scans+2 })
	n.Close(context.Background())
	got := drifted()
	if len(got) != 1 || got[0].Tenant != "cpn-uml" || got[0].Type != notify.DriftDetected {
		t.Fatalf("drift events %+v, want one for cpn-uml", got)
	}
	if data, _ := json.Marshal(got[0].Data); !strings.Contains(string(data), "members.nickname") || !strings.Contains(string(data), `"severity":"medium"`) {
		t.Errorf("event data %s, want members.nickname, medium", data)
	}
	if v := testutil.ToFloat64(m.Triggers.WithLabelValues("drift")); v < 3 {
		t.Errorf("%v drift scans", v)
	}
	open, err := f.store.OpenDrift(context.Background(), "cpn-uml")
	if err != nil || len(open) != 1 || open[0].Object != "members.nickname" {
		t.Errorf("open drift %+v %v", open, err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `landlord_drift_open{severity="medium"} 1`) {
		t.Errorf("/metrics lacks landlord_drift_open{severity=\"medium\"} 1")
	}
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
}
