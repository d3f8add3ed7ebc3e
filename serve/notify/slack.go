package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/state"
)

// HealthData is the Data of HealthAlert and HealthResolved events.
type HealthData struct {
	// Status is the tenant's health: at the alert, the one that fired it;
	// at the resolution, the one it is back to.
	Status  string               `json:"status"`
	Reasons []state.HealthReason `json:"reasons"`
	// AlertID is the ID of the HealthAlert event that opened the episode.
	AlertID string `json:"alert_id,omitempty"`
	// Since is when the episode began.
	Since time.Time `json:"since"`
}

// encode is the body of e for a webhook of format. Names of live
// databases and the errors that quote them may hold characters that are
// not printable; encoding/json writes bidirectional overrides raw, so the
// body goes through printable.JSON, which escapes them as \u.
func encode(e Event, format string) ([]byte, error) {
	var v any = e
	if format == FormatSlack {
		v = struct {
			Text string `json:"text"`
		}{slackEscape.Replace(Summary(e))}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return printable.JSON(b), nil
}

// slackEscape escapes what Slack reads as markup in a message's text.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Summary is a line of text that says what e is, for chat messages. What
// it quotes that is not printable (a line break or a terminal escape in an
// error naming a live object) is written as its Go escape
// (printable.Text), so the summary stays one line that reads as it is.
func Summary(e Event) string {
	var b strings.Builder
	b.WriteString("landlord")
	if e.Replica != "" {
		fmt.Fprintf(&b, " (%s)", e.Replica)
	}
	b.WriteString(": ")
	h, _ := e.Data.(HealthData)
	switch e.Type {
	case HealthAlert:
		fmt.Fprintf(&b, ":red_circle: tenant %s is %s", e.Tenant, h.Status)
		for i, r := range h.Reasons {
			sep := "; "
			if i == 0 {
				sep = ": "
			}
			b.WriteString(sep + r.Message)
		}
	case HealthResolved:
		fmt.Fprintf(&b, ":white_check_mark: tenant %s recovered: now %s (the alert since %s is resolved)", e.Tenant, h.Status, h.Since.UTC().Format(time.RFC3339))
	default:
		b.WriteString(e.Type)
		if e.Tenant != "" {
			b.WriteString(" tenant " + e.Tenant)
		}
		if e.Revision != "" {
			b.WriteString(" at revision " + shortRev(e.Revision))
		}
		if e.RunID != 0 {
			fmt.Fprintf(&b, " (run %d)", e.RunID)
		}
	}
	return printable.Text(b.String())
}

func shortRev(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}
