package notify

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/internal/signature"
	"github.com/landlord/landlord/serve/metrics"
	"github.com/landlord/landlord/state"
)

// Event types.
const (
	ProvisioningStarted   = "tenant.provisioning.started"
	ProvisioningCompleted = "tenant.provisioning.completed"
	ProvisioningFailed    = "tenant.provisioning.failed"
	LayerApplied          = "tenant.layer.applied"
	DriftDetected         = "tenant.drift.detected"
	RunFinished           = "run.finished"
	RevisionRejected      = "revision.rejected"
	BackupCompleted       = "tenant.backup.completed"
	BackupFailed          = "tenant.backup.failed"
	// HealthAlert opens an alert episode: a tenant's health fell to the
	// alerting level. HealthResolved closes it. Each is sent once per
	// episode, whatever the restarts in between.
	HealthAlert    = "tenant.health.alert"
	HealthResolved = "tenant.health.resolved"
)

// Types lists every event type.
var Types = []string{ProvisioningStarted, ProvisioningCompleted, ProvisioningFailed, LayerApplied, DriftDetected, RunFinished, RevisionRejected,
	BackupCompleted, BackupFailed, HealthAlert, HealthResolved}

// Headers of a delivery.
const (
	HeaderEvent     = "X-Landlord-Event"
	HeaderDelivery  = "X-Landlord-Delivery"
	HeaderSignature = "X-Landlord-Signature-256"
)

// Event is one notification: the JSON body of a delivery.
type Event struct {
	// ID is unique per event; every delivery of it carries the same one,
	// so receivers can drop repeats.
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Time     time.Time `json:"time"`
	Replica  string    `json:"replica,omitempty"`
	Tenant   string    `json:"tenant,omitempty"`
	Revision string    `json:"revision,omitempty"`
	RunID    int64     `json:"run_id,omitempty"`
	Data     any       `json:"data,omitempty"`
}

// Webhook is a receiver of events.
type Webhook struct {
	// Name identifies the webhook in logs and records.
	Name string
	// URL receives a POST per event. It may hold a secret: never printed.
	URL string
	// Secret signs each body (HeaderSignature); empty sends unsigned.
	Secret redact.Secret
	// Events limits the webhook to these types; empty means all.
	Events []string
	// Format of the body: FormatLandlord (the Event, the default) or
	// FormatSlack (a Slack-compatible message).
	Format string
}

// Body formats.
const (
	FormatLandlord = "landlord"
	FormatSlack    = "slack"
)

// LogValue implements slog.LogValuer: name and host only.
func (w Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", w.Name), slog.String("host", host(w.URL)))
}

func host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "invalid-url"
	}
	return u.Host
}

// label is how a webhook is recorded: "name (host)".
func (w Webhook) label() string { return w.Name + " (" + host(w.URL) + ")" }

func (w Webhook) wants(eventType string) bool {
	return len(w.Events) == 0 || slices.Contains(w.Events, eventType)
}

// Options configure a Notifier.
type Options struct {
	Webhooks []Webhook
	// Backoff is the wait before each retry; its length is the number of
	// retries. Default 1s, 5s, 30s, 2m (5 attempts).
	Backoff []time.Duration
	// Jitter spreads each wait by up to ± this fraction. Default 0.2.
	Jitter float64
	// Timeout bounds one attempt. Default 10s.
	Timeout time.Duration
	// MaxPending bounds the deliveries in flight or waiting to retry;
	// beyond it events are dropped (logged and counted), never queued
	// against the caller. Default 1000.
	MaxPending int
	// Replica is written into every event.
	Replica string
	// Client sends the requests; default: an http.Client that does not
	// follow redirects.
	Client *http.Client
}

// Recorder records delivery attempts (the landlord database).
type Recorder interface {
	RecordDelivery(ctx context.Context, d state.Delivery) error
}

// Notifier delivers events. The zero Notifier is not usable; a nil
// *Notifier drops every event.
type Notifier struct {
	opts    Options
	rec     Recorder
	metrics *metrics.Set
	log     *slog.Logger

	// stopped ends when Close gives up waiting: attempts in flight are
	// cut short and no retry waits.
	stopped context.Context
	stop    context.CancelFunc
	mu      sync.Mutex
	closed  bool
	pending int
	wg      sync.WaitGroup
}

// New returns a Notifier. rec and m may be nil.
func New(opts Options, rec Recorder, m *metrics.Set, log *slog.Logger) *Notifier {
	if opts.Backoff == nil {
		opts.Backoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
	}
	if opts.Jitter == 0 {
		opts.Jitter = 0.2
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 1000
	}
	if opts.Client == nil {
		opts.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{opts: opts, rec: rec, metrics: m, log: log}
	n.stopped, n.stop = context.WithCancel(context.Background())
	return n
}

// Notify sends e to every webhook that wants it, in the background. It
// fills in e's ID, Time and Replica when empty, and never blocks.
func (n *Notifier) Notify(e Event) {
	if n == nil {
		return
	}
	if e.ID == "" {
		e.ID = newID()
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if e.Replica == "" {
		e.Replica = n.opts.Replica
	}
	for _, w := range n.opts.Webhooks {
		if !w.wants(e.Type) {
			continue
		}
		if !n.admit() {
			n.count(e.Type, "dropped")
			n.log.Error("notification dropped: too many pending deliveries", "event", e.Type, "event_id", e.ID, "webhook", w, "max_pending", n.opts.MaxPending)
			continue
		}
		go func() {
			defer n.done()
			n.deliver(e, w)
		}()
	}
}

// admit reserves a pending slot, unless closed or full.
func (n *Notifier) admit() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || n.pending >= n.opts.MaxPending {
		return false
	}
	n.pending++
	n.wg.Add(1)
	return true
}

func (n *Notifier) done() {
	n.mu.Lock()
	n.pending--
	n.mu.Unlock()
	n.wg.Done()
}

// Close stops accepting events and waits for the deliveries in flight.
// When ctx ends first, deliveries waiting to retry give up (recorded as
// abandoned) and attempts in flight are cut short; Close still waits for
// them to record.
func (n *Notifier) Close(ctx context.Context) error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		n.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		n.stop()
		return nil
	case <-ctx.Done():
	}
	n.stop()
	<-finished
	return ctx.Err()
}

// deliver posts e to w until it is delivered, refused or out of attempts.
func (n *Notifier) deliver(e Event, w Webhook) {
	body, err := encode(e, w.Format)
	if err != nil {
		n.log.Error("notification not encodable", "event", e.Type, "event_id", e.ID, "err", err)
		return
	}
	for attempt := 1; ; attempt++ {
		start := time.Now()
		code, err := n.post(e, w, body)
		d := state.Delivery{EventID: e.ID, EventType: e.Type, Webhook: w.label(), Attempt: attempt, StatusCode: code,
			DurationMS: float64(time.Since(start).Microseconds()) / 1000, AttemptedAt: start.UTC()}
		stopped := err != nil && n.stopped.Err() != nil
		retry := err != nil && !stopped && retryable(code) && attempt <= len(n.opts.Backoff)
		switch {
		case err == nil:
			d.Status = state.DeliveryDelivered
		case stopped:
			d.Status, d.Error = state.DeliveryAbandoned, "cut short: serve stopped ("+err.Error()+")"
		case retry:
			d.Status, d.Error = state.DeliveryFailed, err.Error()
		default:
			d.Status, d.Error = state.DeliveryAbandoned, err.Error()
		}
		n.record(d)
		if !retry {
			if err != nil {
				n.log.Warn("notification abandoned", "event", e.Type, "event_id", e.ID, "webhook", w, "attempts", attempt, "err", err)
			}
			return
		}
		n.log.Info("notification attempt failed", "event", e.Type, "event_id", e.ID, "webhook", w, "attempt", attempt, "err", err)
		wait := time.NewTimer(jitter(n.opts.Backoff[attempt-1], n.opts.Jitter))
		select {
		case <-wait.C:
		case <-n.stopped.Done():
			wait.Stop()
			n.record(state.Delivery{EventID: e.ID, EventType: e.Type, Webhook: w.label(), Attempt: attempt + 1,
				Status: state.DeliveryAbandoned, Error: "not attempted: serve stopped", AttemptedAt: time.Now().UTC()})
			return
		}
	}
}

// post makes one attempt; the error says why it did not count as
// delivered, without the URL.
func (n *Notifier) post(e Event, w Webhook, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(n.stopped, n.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("invalid webhook url")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "landlord")
	req.Header.Set(HeaderEvent, e.Type)
	req.Header.Set(HeaderDelivery, e.ID)
	if w.Secret != "" {
		req.Header.Set(HeaderSignature, signature.Sign([]byte(w.Secret.Reveal()), body))
	}
	resp, err := n.opts.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL
		}
		return 0, errors.New(redact.Text(err.Error()))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// retryable: network errors (no code), timeouts, rate limits and server
// errors. Any other 4xx is the receiver refusing the event: retrying would
// not change its mind.
func retryable(code int) bool {
	return code == 0 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

func (n *Notifier) record(d state.Delivery) {
	n.count(d.EventType, d.Status)
	if n.rec == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.rec.RecordDelivery(ctx, d); err != nil {
		n.log.Error("record notification delivery", "event_id", d.EventID, "err", err)
	}
}

func (n *Notifier) count(eventType, status string) {
	if n.metrics != nil {
		n.metrics.Notifications.WithLabelValues(eventType, status).Inc()
	}
}

// jitter spreads d by up to ± frac.
func jitter(d time.Duration, frac float64) time.Duration {
	if frac <= 0 || d <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 + frac*(2*rand.Float64()-1)))
}

// NewID returns a new event ID, for a caller that records it before
// Notify.
func NewID() string { return newID() }

func newID() string {
	var b [16]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		return fmt.Sprintf("%x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}
