package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/state"
)

// writeJSON writes v as indented JSON. encoding/json escapes control
// characters but writes bidirectional overrides and other unprintable
// characters of live names raw: printable.JSON escapes them as \u, which
// changes no decoded value, so JSON too is safe to print on a terminal.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(printable.JSON(b.Bytes()))
	return err
}

// resultJSON is the documented JSON form of a reconcile (docs/cli.md,
// "JSON"), the one the API answers too.
func resultJSON(res *reconciler.Result) reconciler.Report { return res.Report() }

// writeResult prints a reconcile for people: with --plan the plans, one
// per group of tenants with the same plan, each statement with its layer
// and file; then a table of tenants, errors and a summary line.
//
// Names read from a live database (drift, plans, errors) may hold terminal
// escapes, line breaks or bidirectional overrides: they are printed
// escaped (printable), and w is guarded by printable.Writer too.
func writeResult(w io.Writer, res *reconciler.Result) {
	w = printable.Writer(w)
	if res.Plan {
		for _, g := range reconciler.GroupPlans(res.Tenants) {
			fmt.Fprintf(w, "%s %s: %d statement(s)\n", g.Action, strings.Join(tenantNames(g), ", "), len(g.Changes))
			for _, t := range g.Tenants {
				if t.Snapshot != nil || res.Against == reconciler.AgainstState {
					fmt.Fprintf(w, "  %s: %s\n", t.Slug, basis(t))
				}
			}
			writeChanges(w, g.Changes)
			if len(g.Tenants) > 0 && len(g.Tenants[0].Data) > 0 {
				counts := make([]string, len(g.Tenants[0].Data))
				for i, tc := range g.Tenants[0].Data {
					counts[i] = tc.String()
				}
				fmt.Fprintf(w, "  rows: %s\n", strings.Join(counts, "; "))
			}
			fmt.Fprintln(w)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if res.Plan {
		fmt.Fprintln(tw, "TENANT\tSERVER\tENGINE\tDATABASE\tACTION\tSTATEMENTS\tDESTRUCTIVE")
	} else {
		fmt.Fprintln(tw, "TENANT\tSERVER\tENGINE\tDATABASE\tACTION\tAPPLIED\tDURATION")
	}
	for _, t := range res.Tenants {
		if res.Plan {
			destructive := 0
			for _, c := range t.Changes {
				if c.Destructive {
					destructive++
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", t.Slug, t.Server, engineOf(t.Engine), t.Database, t.Action, len(t.Changes), destructive)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", t.Slug, t.Server, engineOf(t.Engine), t.Database, t.Action, t.Applied, t.Duration.Round(time.Millisecond))
		}
	}
	tw.Flush()
	var problems []string
	// A server that fails fails every tenant on it the same way: one line
	// per server, naming its tenants, not one per tenant.
	var serverErrs []string
	onServer := map[string][]string{}
	for _, t := range res.Tenants {
		switch {
		case t.Error == "":
		case t.ServerFailed:
			if _, ok := onServer[t.Error]; !ok {
				serverErrs = append(serverErrs, t.Error)
			}
			onServer[t.Error] = append(onServer[t.Error], t.Slug)
		default:
			problems = append(problems, fmt.Sprintf("%s: %s", t.Slug, strings.ReplaceAll(printable.Lines(t.Error), "\n", "\n    ")))
		}
	}
	for i, e := range serverErrs {
		slugs := onServer[e]
		serverErrs[i] = fmt.Sprintf("%s (%d tenant(s): %s)", printable.Lines(e), len(slugs), strings.Join(slugs, ", "))
	}
	problems = append(serverErrs, problems...)
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
		restored := "drift restored"
		if res.Plan {
			restored = "drift the plan restores"
		}
		for _, group := range []struct{ action, title string }{
			{reconciler.DriftLeft, "drift left as it is (policy report; landlord repair %[1]s restores it" + exportHint(t.Drift) + ")"},
			{reconciler.DriftRestored, restored},
			{reconciler.DriftNotRestored, notRestoredTitle(t)},
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
		fmt.Fprintln(w, "warning: "+printable.Text(warn))
	}
	for _, t := range res.Tenants {
		for _, warn := range t.Warnings {
			fmt.Fprintf(w, "warning: %s: %s\n", t.Slug, printable.Text(warn))
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

// exportHint suggests drift export when drift left in place added an
// object: removed and modified objects cannot be written as a layer.
func exportHint(ds []reconciler.DriftFinding) string {
	for _, d := range ds {
		if d.Action == reconciler.DriftLeft && d.Change == "added" {
			return ", landlord drift export %[1]s adopts what it added"
		}
	}
	return ""
}

func notRestoredTitle(t reconciler.TenantResult) string {
	if t.Action == reconciler.ActionBlocked {
		return "drift not restored: the plan is blocked, nothing was changed"
	}
	return "drift not restored: the reconcile failed"
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
		out[i] = fmt.Sprintf("%s (%s on %s, %s)", t.Slug, t.Database, t.Server, engineOf(t.Engine))
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

// engineOf names an engine for a table: "-" when it is unknown.
func engineOf(e string) string {
	if e == "" {
		return "-"
	}
	return e
}

func location(c reconciler.Change) string {
	if c.File == "" {
		return ""
	}
	at := c.File
	if c.Line > 0 {
		at = fmt.Sprintf("%s:%d", c.File, c.Line)
	}
	if c.Revision != "" {
		// A drop: where the object was declared before the change that
		// removed it.
		return fmt.Sprintf("(removed: declared at %s in revision %s)", at, shortRevision(c.Revision))
	}
	return "(" + at + ")"
}

// oneLine is s, a statement or a message, on one line of at most n bytes:
// what is not printable escaped, its white space one space each, cut at a
// character with an ellipsis. Inside backquotes, a name of a live
// database, a line break is escaped too: it belongs to the name.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(printable.SQL(s)), " ")
	if len(s) > n {
		cut := n - 1
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
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
