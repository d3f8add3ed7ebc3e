// Package notify delivers landlord's events as signed JSON to webhooks.
//
// Notify never blocks its caller: each delivery runs in a goroutine of the
// Notifier, retried with backoff and jitter, and every attempt is recorded
// in the landlord database. Close waits for the deliveries in flight.
// Webhook URLs may carry a secret in their path (Slack, Teams): they are
// never logged nor recorded; the webhook's name and host are.
// Names of live databases in a body, and errors that quote them, have
// what is not printable escaped (internal/printable).
//
// notify knows nothing of tenants or runs beyond the events it is given; it
// imports state only to record deliveries.
package notify
