package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/state"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// planJSON is the documented JSON form of a reconcile (docs/cli.md, "JSON").
type planJSON struct {
	Revision string                    `json:"revision"`
	Plan     bool                      `json:"plan"`
	Against  string                    `json:"against,omitempty"`
	RunID    int64                     `json:"run_id,omitempty"`
	Counts   any                       `json:"counts"`
	Tenants  []reconciler.TenantResult `json:"tenants"`
	Warnings []string                  `json:"warnings,omitempty"`
}

func resultJSON(res *reconciler.Result) planJSON {
	out := planJSON{Revision: res.Revision, Plan: res.Plan, RunID: res.RunID, Counts: res.Counts, Tenants: res.Tenants, Warnings: res.Warnings}
	if res.Plan {
		out.Against = res.Against
	}
	for i := range out.Tenants {
		if out.Tenants[i].Changes == nil {
			out.Tenants[i].Changes = []reconciler.Change{}
		}
	}
	if out.Tenants == nil {
		out.Tenants = []reconciler.TenantResult{}
	}
	return out
}

// writeResult prints a reconcile for people: with --plan the plans, one
// per group of tenants with the same plan, each statement with its layer
// and file; then a table of tenants, errors and a summary line.
func writeResult(w io.Writer, res *reconciler.Result) {
	if res.Plan {
		for _, g := range reconciler.GroupPlans(res.Tenants) {
			fmt.Fprintf(w, "%s %s: %d statement(s)\n", g.Action, strings.Join(tenantNames(g), ", "), len(g.Changes))
			for _, t := range g.Tenants {
				if t.Snapshot != nil || res.Against == reconciler.AgainstState {
					fmt.Fprintf(w, "  %s: %s\n", t.Slug, basis(t))
				}
			}
			writeChanges(w, g.Changes)
			fmt.Fprintln(w)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if res.Plan {
		fmt.Fprintln(tw, "TENANT\tSERVER\tDATABASE\tACTION\tSTATEMENTS\tDESTRUCTIVE")
	} else {
		fmt.Fprintln(tw, "TENANT\tSERVER\tDATABASE\tACTION\tAPPLIED\tDURATION")
	}
	for _, t := range res.Tenants {
		if res.Plan {
			destructive := 0
			for _, c := range t.Changes {
				if c.Destructive {
					destructive++
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", t.Slug, t.Server, t.Database, t.Action, len(t.Changes), destructive)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", t.Slug, t.Server, t.Database, t.Action, t.Applied, t.Duration.Round(time.Millisecond))
		}
	}
	tw.Flush()
	var problems []string
	for _, t := range res.Tenants {
		if t.Error != "" {
			problems = append(problems, fmt.Sprintf("%s: %s", t.Slug, strings.ReplaceAll(t.Error, "\n", "\n    ")))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintln(w)
		for _, p := range problems {
			fmt.Fprintln(w, p)
		}
	}
	for _, t := range res.Tenants {
		if t.Action == reconciler.ActionPinned {
			fmt.Fprintf(w, "\n%s: pinned to %s by a rollback, left as it is (landlord unpin %s releases it)\n", t.Slug, shortRevision(t.PinnedTo), t.Slug)
		}
		if t.Backup != "" {
			fmt.Fprintf(w, "\n%s: what the destructive statements destroyed is in backup %s (landlord restore %s --from %s)\n", t.Slug, t.Backup, t.Slug, t.Backup)
		}
		for _, group := range []struct{ action, title string }{
			{reconciler.DriftLeft, "drift left as it is (policy report; landlord repair %[1]s restores it, landlord drift export %[1]s adopts it)"},
			{reconciler.DriftRestored, "drift restored"},
			{reconciler.DriftSuperseded, "drift superseded: git changed these objects too, the plan follows git"},
		} {
			var ds []state.Drift
			for _, f := range t.Drift {
				if f.Action == group.action {
					ds = append(ds, f.Drift)
				}
			}
			if len(ds) > 0 {
				fmt.Fprintf(w, "\n%s: "+group.title+":\n", t.Slug)
				writeFindings(w, ds, "  ")
			}
		}
	}
	for _, warn := range res.Warnings {
		fmt.Fprintln(w, "warning: "+warn)
	}
	for _, t := range res.Tenants {
		for _, warn := range t.Warnings {
			fmt.Fprintf(w, "warning: %s: %s\n", t.Slug, warn)
		}
	}
	fmt.Fprintln(w)
	c := res.Counts
	verb := "applied"
	if res.Plan {
		verb = "planned"
	}
	summary := fmt.Sprintf("revision %s: %d to create, %d to update, %d unchanged, %d blocked, %d failed, %d suspended",
		shortRevision(res.Revision), c.Created, c.Updated, c.Unchanged, c.Blocked, c.Failed, c.Suspended)
	if !res.Plan {
		summary = fmt.Sprintf("revision %s: %d created, %d updated, %d unchanged, %d blocked, %d failed, %d suspended",
			shortRevision(res.Revision), c.Created, c.Updated, c.Unchanged, c.Blocked, c.Failed, c.Suspended)
	}
	if c.Pinned > 0 {
		summary += fmt.Sprintf(", %d pinned", c.Pinned)
	}
	if !res.Plan {
		summary += fmt.Sprintf("; %d statements %s in %s (run %d)", res.Applied, verb, res.Duration.Round(time.Millisecond), res.RunID)
	}
	fmt.Fprintln(w, summary)
}

// writeChanges lists statements with their layer and file; ! marks a
// destructive one.
func writeChanges(w io.Writer, changes []reconciler.Change) {
	for _, c := range changes {
		mark := "  "
		if c.Destructive {
			mark = "! "
		}
		fmt.Fprintf(w, "  %s%s  -- %s %s\n", mark, oneLine(c.SQL, 110), c.Layer, location(c))
	}
}

// tenantNames names the tenants of a group with their databases.
func tenantNames(g reconciler.PlanGroup) []string {
	out := make([]string, len(g.Tenants))
	for i, t := range g.Tenants {
		out[i] = fmt.Sprintf("%s (%s on %s)", t.Slug, t.Database, t.Server)
	}
	return out
}

// basis says what a tenant's plan against the landlord database starts
// from.
func basis(t reconciler.TenantResult) string {
	if t.Snapshot == nil {
		return "no snapshot: planned as a new database"
	}
	s := t.Snapshot
	return fmt.Sprintf("planned from snapshot %d of %s (revision %s)", s.ID, s.CreatedAt.UTC().Format(time.RFC3339), shortRevision(s.Revision))
}

func location(c reconciler.Change) string {
	if c.File == "" {
		return ""
	}
	if c.Line > 0 {
		return fmt.Sprintf("(%s:%d)", c.File, c.Line)
	}
	return "(" + c.File + ")"
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

func shortRevision(r string) string {
	if len(r) > 12 && !strings.Contains(r[:12], ":") {
		if i := strings.Index(r, "+"); i > 0 {
			return r[:12] + r[i:i+min(len(r)-i, 19)]
		}
		return r[:12]
	}
	if strings.HasPrefix(r, "sha256:") && len(r) > 19 {
		return r[:19]
	}
	return r
}
