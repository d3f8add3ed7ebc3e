package ui

import (
	"fmt"
	"net/http"
	"time"

	"github.com/landlord/landlord/state"
)

// The runs chart: the last chartHours hours, an hour a bar, from at most
// chartRuns runs.
const (
	chartHours = 24
	chartRuns  = 2000
	chartW     = 720
	chartH     = 120
)

// chart is a stacked bar chart of runs per hour, drawn as SVG on the
// server (no script, no inline style).
type chart struct {
	Bars                        []bar
	Max, Applied, Failed, Other int
	// Drift is the drift findings first seen in the chart's hours.
	Drift    int
	W, H     int
	From, To time.Time
}

type bar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

// runChart counts the runs of each of the last chartHours hours by what
// they did: applied statements, failed, or neither; and beside them the
// drift findings first seen each hour.
func (s *Server) runChart(r *http.Request) (chart, error) {
	runs, err := s.store.Runs(r.Context(), chartRuns)
	if err != nil {
		return chart{}, err
	}
	to := time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	c := chart{W: chartW, H: chartH, From: to.Add(-chartHours * time.Hour), To: to}
	type counts struct{ applied, failed, other int }
	hours := make([]counts, chartHours)
	for _, run := range runs {
		i := int(run.StartedAt.Sub(c.From) / time.Hour)
		if i < 0 || i >= chartHours {
			continue
		}
		switch {
		case run.Outcome == state.RunFailed || run.Outcome == state.RunError:
			hours[i].failed++
			c.Failed++
		case run.StatementsApplied > 0:
			hours[i].applied++
			c.Applied++
		default:
			hours[i].other++
			c.Other++
		}
	}
	found, err := s.store.DriftFound(r.Context(), chartRuns)
	if err != nil {
		return chart{}, err
	}
	drift := make([]int, chartHours)
	for _, at := range found {
		if i := int(at.Sub(c.From) / time.Hour); at.After(c.From) && i < chartHours {
			drift[i]++
			c.Drift++
		}
	}
	for i, h := range hours {
		c.Max = max(c.Max, h.applied+h.failed+h.other, drift[i])
	}
	if c.Max == 0 {
		return c, nil
	}
	slot := chartW / chartHours
	for i, h := range hours {
		y := chartH
		at := c.From.Add(time.Duration(i) * time.Hour).Format("15:04")
		for _, part := range []struct {
			n     int
			class string
		}{{h.failed, "failed"}, {h.applied, "applied"}, {h.other, "other"}} {
			if part.n == 0 {
				continue
			}
			ht := max(1, part.n*(chartH-4)/c.Max)
			y -= ht
			c.Bars = append(c.Bars, bar{X: i*slot + 2, Y: y, W: slot*2/3 - 2, H: ht, Class: part.class,
				Title: fmt.Sprintf("%s: %d %s", at, part.n, part.class)})
		}
		// Drift found that hour: a narrow bar beside the runs'.
		if n := drift[i]; n > 0 {
			ht := max(1, n*(chartH-4)/c.Max)
			c.Bars = append(c.Bars, bar{X: i*slot + slot*2/3 + 1, Y: chartH - ht, W: slot/3 - 3, H: ht, Class: "drift",
				Title: fmt.Sprintf("%s: %d drift found", at, n)})
		}
	}
	return c, nil
}
