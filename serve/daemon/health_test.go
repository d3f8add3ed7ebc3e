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
	"time"

	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/internal/signature"
	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/serve/metrics"
	"github.com/landlord/landlord/serve/notify"
	"github.com/landlord/landlord/state"
)

const healthSecret = "health-test-secret"

// alertReceiver is a webhook endpoint that keeps the health events it
// receives, with whether each was signed with healthSecret.
type alertReceiver struct {
	t  *testing.T
	mu sync.Mutex
	// events are the landlord-format events; texts the Slack-format
	// messages.
	events []notify.Event
	data   []notify.HealthData
	texts  []string
}

func (rc *alertReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !signature.Valid([]byte(healthSecret), body, r.Header.Get(notify.HeaderSignature)) {
		rc.t.Errorf("%s: delivery %s not signed with the secret", r.URL.Path, r.Header.Get(notify.HeaderDelivery))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.URL.Path == "/slack" {
		var m struct{ Text string }
		if err := json.Unmarshal(body, &m); err != nil || m.Text == "" {
			rc.t.Errorf("slack body %q: %v", body, err)
		}
		rc.texts = append(rc.texts, m.Text)
		return
	}
	var e struct {
		notify.Event
		Data notify.HealthData `json:"data"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		rc.t.Errorf("body %q: %v", body, err)
	}
	rc.events = append(rc.events, e.Event)
	rc.data = append(rc.data, e.Data)
}

// of returns the events of a type for a tenant, with their data.
func (rc *alertReceiver) of(typ, tenant string) ([]notify.Event, []notify.HealthData) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var es []notify.Event
	var ds []notify.HealthData
	for i, e := range rc.events {
		if e.Type == typ && e.Tenant == tenant {
			es, ds = append(es, e), append(ds, rc.data[i])
		}
	}
	return es, ds
}

// TestHealthAlerts: a tenant whose server is stopped, one with high drift
// and one whose last sync is older than the threshold each fire one
// alert, with its reason, however many rounds see them and across a
// restart of serve; each resolves once when fixed (the server started
// again, the drift repaired, a sync done). The other tenants never alert.
func TestHealthAlerts(t *testing.T) {
	own := testenv.StartMariaDB(t) // the server that is stopped: never the shared one
	f := newFixture(t, false)
	f.write("landlord.yaml", strings.Replace(readFile(t, f.git.Work, "landlord.yaml"), "defaults:", `  secondary:
    url: mysql://root@127.0.0.1:1/

health:
  interval: 1s
  probeTimeout: 3s
  sizeInterval: 1h

defaults:`, 1))
	f.write("tenants/lone.yaml", "slug: lone\nname: Lone\ntemplate: political-party\nmodules: [election]\nserver: secondary\ndatabase: "+f.prefix+"lone\n")
	f.git.Commit(t, "a second server")
	rev := strings.TrimSpace(f.git.Commit(t, "start"))

	rc := &alertReceiver{t: t}
	hooks := httptest.NewServer(rc)
	defer hooks.Close()
	types := []string{notify.HealthAlert, notify.HealthResolved}
	newNotifier := func() *notify.Notifier {
		return notify.New(notify.Options{Webhooks: []notify.Webhook{
			{Name: "alerts", URL: hooks.URL + "/alerts", Secret: redact.Secret(healthSecret), Events: types},
			{Name: "chat", URL: hooks.URL + "/slack", Secret: redact.Secret(healthSecret), Events: types, Format: notify.FormatSlack},
		}, Backoff: []time.Duration{100 * time.Millisecond}}, f.store, nil, nil)
	}
	cfg := f.config("a")
	cfg.Servers["secondary"] = own.URL()
	cfg.DriftSchedule = "@every 1s"
	n := newNotifier()
	m := metrics.New(metrics.Sources{Tenants: f.store.Tenants, Health: f.store.HealthChecks})
	l := f.startWith(cfg, f.store, n, m)
	all := []string{"cpn-uml", "nepali-congress", "rastriya-swatantra", "lone"}
	eventually(t, "Synced", func() bool { return f.synced(f.store, rev, all...) })
	checks := func() map[string]state.HealthCheck {
		t.Helper()
		cs, err := f.store.HealthChecks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	eventually(t, "every tenant healthy", func() bool {
		cs := checks()
		for _, s := range all {
			if cs[s].Status != state.CheckHealthy {
				return false
			}
		}
		return true
	})
	// A database first seen reachable in a round that did not measure
	// sizes is measured in the next round.
	eventually(t, "lone's size and tables measured", func() bool {
		c := checks()["lone"]
		return c.Reachable && c.Tables != nil && *c.Tables > 0 && c.SizeBytes != nil && *c.SizeBytes > 0
	})
	if c := checks()["janamat"]; c.Status != state.CheckUnknown {
		t.Errorf("janamat (suspended, never provisioned) is %s, want unknown", c.Status)
	}

	// Three faults.
	own.Stop()
	db := testenv.DB(t)
	if _, err := db.Exec("ALTER TABLE `" + f.prefix + "rsp`.posts DROP INDEX posts_published_idx"); err != nil {
		t.Fatal(err)
	}
	ageSync := func() {
		t.Helper()
		old := time.Now().UTC().Add(-48 * time.Hour)
		rec, _, err := f.store.Tenant(context.Background(), "nepali-congress")
		if err != nil {
			t.Fatal(err)
		}
		rec.LastSyncedAt = &old
		if err := f.store.SaveTenant(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	wantAlert := map[string]string{"lone": "unreachable", "rastriya-swatantra": "drift", "nepali-congress": "syncAge"}
	eventually(t, "three alerts", func() bool {
		// A drift scan's record of the tenant may overwrite the aged
		// sync: write it again until the alert is seen.
		if es, _ := rc.of(notify.HealthAlert, "nepali-congress"); len(es) == 0 {
			ageSync()
		}
		for slug := range wantAlert {
			if es, _ := rc.of(notify.HealthAlert, slug); len(es) == 0 {
				return false
			}
		}
		return true
	})
	rounds := func(k int) {
		t.Helper()
		start := l.LastHealthRound().At
		seen := 0
		eventually(t, "more health rounds", func() bool {
			if at := l.LastHealthRound().At; at.After(start) {
				start, seen = at, seen+1
			}
			return seen >= k
		})
	}
	rounds(3)
	once := func(typ string, slugs map[string]string) {
		t.Helper()
		for slug, rule := range slugs {
			es, ds := rc.of(typ, slug)
			if len(es) != 1 {
				t.Errorf("%s: %d %s events, want 1", slug, len(es), typ)
				continue
			}
			if typ == notify.HealthAlert && (ds[0].Status != state.CheckUnhealthy || len(ds[0].Reasons) == 0 || ds[0].Reasons[0].Rule != rule) {
				t.Errorf("%s: alert %+v, want unhealthy by %s first", slug, ds[0], rule)
			}
		}
	}
	once(notify.HealthAlert, wantAlert)
	for _, slug := range []string{"cpn-uml", "janamat"} {
		if es, _ := rc.of(notify.HealthAlert, slug); len(es) != 0 {
			t.Errorf("%s alerted: %+v", slug, es)
		}
	}
	c := checks()
	for slug, msg := range map[string]string{"lone": `server "secondary" does not answer`, "rastriya-swatantra": "1 high", "nepali-congress": "last successful reconcile 48h"} {
		if c[slug].Status != state.CheckUnhealthy || c[slug].Alert != state.CheckUnhealthy || !strings.Contains(c[slug].Reasons[0].Message, msg) {
			t.Errorf("%s: check %+v, want unhealthy with %q", slug, c[slug], msg)
		}
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`landlord_tenant_health{slug="lone",status="unhealthy"} 1`, `landlord_tenant_health{slug="cpn-uml",status="healthy"} 1`,
		`landlord_tenant_health_count{status="unhealthy"} 3`, `landlord_tenant_health_omitted 0`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if c["lone"].Reachable || c["lone"].SizeBytes != nil {
		t.Errorf("lone's check %+v: unreachable, no size", c["lone"])
	}

	// serve restarts: the open episodes are not fired again. (Its start
	// reconciles every tenant: that sync may already resolve
	// nepali-congress's episode, once.)
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
	n.Close(context.Background())
	n = newNotifier()
	defer n.Close(context.Background())
	l = f.startWith(cfg, f.store, n, metrics.New(metrics.Sources{Tenants: f.store.Tenants}))
	rounds(3)
	once(notify.HealthAlert, wantAlert)

	// Fixed: the server started again, the drift repaired, a sync done.
	own.Start()
	ctx := context.Background()
	if _, err := l.Reconcile(ctx, Request{Tenants: []string{"rastriya-swatantra"}, Repair: true, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reconcile(ctx, Request{Tenants: []string{"nepali-congress"}, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "three resolutions", func() bool {
		for slug := range wantAlert {
			if es, _ := rc.of(notify.HealthResolved, slug); len(es) == 0 {
				return false
			}
		}
		return true
	})
	rounds(3)
	once(notify.HealthResolved, wantAlert)
	for slug := range wantAlert {
		alerts, _ := rc.of(notify.HealthAlert, slug)
		_, ds := rc.of(notify.HealthResolved, slug)
		if len(alerts) == 1 && len(ds) == 1 && ds[0].AlertID != alerts[0].ID {
			t.Errorf("%s: resolution of alert %q, want %q", slug, ds[0].AlertID, alerts[0].ID)
		}
		if c := checks()[slug]; c.Alert != "" || state.CheckRank(c.Status) >= 2 {
			t.Errorf("%s after the fix: %+v", slug, c)
		}
	}
	rc.mu.Lock()
	texts := strings.Join(rc.texts, "\n")
	rc.mu.Unlock()
	for _, want := range []string{"tenant lone is unhealthy: server \"secondary\" does not answer", "tenant rastriya-swatantra is unhealthy: 1 open drift finding(s): 1 high",
		"tenant lone recovered: now ", "tenant nepali-congress recovered: now healthy"} {
		if !strings.Contains(texts, want) {
			t.Errorf("slack messages lack %q:\n%s", want, texts)
		}
	}
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
}
