package main

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/landlord/landlord/internal/printable"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/refdata"
)

// MarkdownMarker opens every markdown report, so that a CI job can find
// and update its earlier comment instead of adding one per push.
const markdownMarker = "<!-- landlord:plan -->"

// markdownLimit keeps a report under GitHub's 65,536-character limit for
// a comment: groups past it are listed without their statements.
const markdownLimit = 60000

// longSQL is the length past which a statement's SQL is folded into
// <details>.
const longSQL = 100

// foldStatements is the number of statements past which a group's whole
// list is folded.
const foldStatements = 12

// writeMarkdown writes a reconcile as a pull-request comment: a summary
// line, the destructive statements at the top, then one section per group
// of tenants with the same plan, each statement with its layer and file,
// long SQL folded; then unchanged, suspended and failed tenants.
func writeMarkdown(w io.Writer, res *reconciler.Result, limit int) {
	var b bytes.Buffer
	c := res.Counts
	title := "landlord plan"
	if !res.Plan {
		title = "landlord reconcile"
	}
	fmt.Fprintf(&b, "%s\n### %s · revision `%s`\n\n", markdownMarker, title, shortRevision(res.Revision))
	if res.Plan {
		fmt.Fprintf(&b, "**%d to create · %d to update · %d unchanged · %d blocked · %d failed**", c.Created, c.Updated, c.Unchanged, c.Blocked, c.Failed)
	} else {
		fmt.Fprintf(&b, "**%d created · %d updated · %d unchanged · %d blocked · %d failed**", c.Created, c.Updated, c.Unchanged, c.Blocked, c.Failed)
	}
	if c.Suspended > 0 {
		fmt.Fprintf(&b, " · %d suspended", c.Suspended)
	}
	b.WriteString("\n\n")
	if res.Against == reconciler.AgainstState && res.Plan {
		b.WriteString("Planned against the snapshots in the landlord database, not the live databases.\n\n")
	}

	groups := reconciler.GroupPlans(res.Tenants)
	writeDestructive(&b, res.Tenants)
	var warnings []string
	for _, warn := range res.Warnings {
		warnings = append(warnings, md(warn))
	}
	for _, t := range res.Tenants {
		for _, warn := range t.Warnings {
			warnings = append(warnings, fmt.Sprintf("`%s`: %s", t.Slug, md(warn)))
		}
	}
	if len(warnings) > 0 {
		b.WriteString("> [!WARNING]\n")
		for _, warn := range warnings {
			fmt.Fprintf(&b, "> - %s\n", warn)
		}
		b.WriteString("\n")
	}

	var omitted []string
	for _, g := range groups {
		var gb bytes.Buffer
		writeGroup(&gb, g, res.Against == reconciler.AgainstState, true)
		if b.Len()+gb.Len() > limit {
			gb.Reset()
			writeGroup(&gb, g, res.Against == reconciler.AgainstState, false)
			omitted = append(omitted, g.Slugs()...)
		}
		b.Write(gb.Bytes())
	}
	if len(omitted) > 0 {
		fmt.Fprintf(&b, "_The statements of %s are left out to keep this comment within GitHub's size limit: see `landlord reconcile --plan --output json`._\n\n", codeList(omitted))
	}

	var unchanged, suspended []string
	var failed []reconciler.TenantResult
	for _, t := range res.Tenants {
		switch t.Action {
		case reconciler.ActionNoop:
			unchanged = append(unchanged, t.Slug)
		case reconciler.ActionSuspended:
			suspended = append(suspended, t.Slug)
		case reconciler.ActionError:
			failed = append(failed, t)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(&b, "#### Failed · %d\n\n", len(failed))
		for _, t := range failed {
			fmt.Fprintf(&b, "- `%s`\n\n  ```\n  %s\n  ```\n", t.Slug, strings.ReplaceAll(strings.ReplaceAll(t.Error, "```", "'''"), "\n", "\n  "))
		}
		b.WriteString("\n")
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(&b, "**Unchanged:** %s\n\n", codeList(unchanged))
	}
	if len(suspended) > 0 {
		fmt.Fprintf(&b, "**Suspended** (left alone): %s\n\n", codeList(suspended))
	}
	fmt.Fprintf(&b, "<sub>landlord · revision `%s`", res.Revision)
	if res.Plan {
		basis := "the live databases"
		if res.Against == reconciler.AgainstState {
			basis = "the landlord database's snapshots"
		}
		fmt.Fprintf(&b, " · planned against %s", basis)
	}
	b.WriteString("</sub>\n")
	// Names of live databases, in statements and errors, may hold
	// terminal escapes or bidirectional overrides: a comment is also
	// printed in CI logs.
	printable.Writer(w).Write(b.Bytes())
}

// writeDestructive lists every destructive statement at the top of the
// report, once for all the tenants it would run on.
func writeDestructive(b *bytes.Buffer, tenants []reconciler.TenantResult) {
	type item struct {
		change  reconciler.Change
		tenants []string
	}
	var (
		items []*item
		index = map[string]*item{}
	)
	for _, t := range tenants {
		for _, c := range t.Changes {
			if !c.Destructive {
				continue
			}
			c.SQL = reconciler.NormalizeSQL(c.SQL, t.Database)
			key := fmt.Sprintf("%s\x00%s\x00%s\x00%d", c.SQL, c.Layer, c.File, c.Line)
			it, ok := index[key]
			if !ok {
				it = &item{change: c}
				index[key] = it
				items = append(items, it)
			}
			it.tenants = append(it.tenants, t.Slug)
		}
	}
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "> [!CAUTION]\n> **%d destructive statement(s)**: they can lose data, and are blocked unless `allowDestructive` is set.\n>\n", len(items))
	for _, it := range items {
		c := it.change
		fmt.Fprintf(b, "> - %s — %s · %s — on %s\n", inlineSQL(oneLine(c.SQL, 160)), md(strings.Join(c.Reasons, "; ")), sourceOf(c), codeList(it.tenants))
	}
	b.WriteString("\n")
}

// writeGroup writes one plan and its tenants. Without statements, only the
// header and the counts.
func writeGroup(b *bytes.Buffer, g reconciler.PlanGroup, against bool, statements bool) {
	label := map[reconciler.Action]string{reconciler.ActionCreate: "Create", reconciler.ActionUpdate: "Update", reconciler.ActionBlocked: "Blocked"}[g.Action]
	if label == "" {
		label = string(g.Action)
	}
	fmt.Fprintf(b, "#### %s · %s\n\n", label, codeList(g.Slugs()))
	var databases []string
	for _, t := range g.Tenants {
		databases = append(databases, fmt.Sprintf("`%s` on `%s` (%s)", t.Database, t.Server, engineOf(t.Engine)))
	}
	plural := ""
	if len(g.Tenants) > 1 {
		plural = fmt.Sprintf("; the SQL is shown without the database name (%s stands for it)", inlineSQL(reconciler.DatabasePlaceholder))
	}
	fmt.Fprintf(b, "%d statement(s), %d destructive · database %s%s\n\n", len(g.Changes), len(g.Destructive()), strings.Join(databases, ", "), plural)
	if against {
		for _, t := range g.Tenants {
			fmt.Fprintf(b, "- `%s`: %s\n", t.Slug, basis(t))
		}
		b.WriteString("\n")
	}
	if g.Action == reconciler.ActionBlocked && len(g.Tenants) > 0 {
		fmt.Fprintf(b, "**Blocked**: %s\n\n", md(strings.TrimPrefix(g.Tenants[0].Error, "blocked: ")))
	}
	if len(g.Tenants) > 0 {
		writeRows(b, g.Tenants[0], len(g.Tenants) > 1 && statements)
	}
	if !statements || len(g.Changes) == 0 {
		return
	}
	fold := len(g.Changes) > foldStatements
	if fold {
		fmt.Fprintf(b, "<details><summary>%d statements by layer: %s</summary>\n\n", len(g.Changes), html.EscapeString(layerCounts(g.Changes)))
	}
	for i, c := range g.Changes {
		mark := ""
		if c.Destructive {
			mark = "⚠️ **destructive** · "
		}
		sql := strings.TrimSpace(c.SQL)
		if len(sql) <= longSQL && !strings.Contains(sql, "\n") {
			fmt.Fprintf(b, "%d. %s%s\n   %s\n", i+1, mark, sourceOf(c), inlineSQL(sql))
			continue
		}
		fmt.Fprintf(b, "%d. %s%s\n   <details><summary><code>%s</code></summary>\n\n   ```sql\n   %s\n   ```\n   </details>\n",
			i+1, mark, sourceOf(c), html.EscapeString(oneLine(sql, 80)), strings.ReplaceAll(sql, "\n", "\n   "))
	}
	b.WriteString("\n")
	if fold {
		b.WriteString("</details>\n\n")
	}
}

// writeRows counts the rows a tenant's plan inserts, updates and deletes
// per table and, with rows, lists the first of each kind (those of t: the
// group's other tenants have the same statements, their values may
// differ).
func writeRows(b *bytes.Buffer, t reconciler.TenantResult, group bool) {
	if len(t.Data) == 0 {
		return
	}
	counts := make([]string, len(t.Data))
	n := 0
	for i, tc := range t.Data {
		name, rest, _ := strings.Cut(tc.String(), ": ")
		counts[i] = fmt.Sprintf("`%s` %s", name, rest)
		n += len(tc.Rows)
	}
	fmt.Fprintf(b, "Rows · %s\n\n", strings.Join(counts, " · "))
	if n == 0 {
		return
	}
	whose := ""
	if group {
		whose = fmt.Sprintf(" of `%s`", t.Slug)
	}
	fmt.Fprintf(b, "<details><summary>The first rows%s, %d of each kind per table</summary>\n\n", whose, refdata.SampleRows)
	for _, tc := range t.Data {
		for _, r := range tc.Rows {
			fmt.Fprintf(b, "- `%s` %s\n", tc.Table, md(strings.ReplaceAll(r, "`", "\\`")))
		}
	}
	b.WriteString("\n</details>\n\n")
}

// sourceOf names a statement's layer and file.
func sourceOf(c reconciler.Change) string {
	if c.File == "" {
		return fmt.Sprintf("`%s`", c.Layer)
	}
	file := c.File
	if c.Line > 0 {
		file = fmt.Sprintf("%s:%d", c.File, c.Line)
	}
	if c.Layer == "" {
		return fmt.Sprintf("`%s`", file)
	}
	if c.Revision != "" {
		return fmt.Sprintf("`%s` · removed: declared at `%s` in revision `%s`", c.Layer, file, shortRevision(c.Revision))
	}
	return fmt.Sprintf("`%s` · `%s`", c.Layer, file)
}

// layerCounts says how many statements come from each layer, in order.
func layerCounts(changes []reconciler.Change) string {
	var (
		order  []string
		counts = map[string]int{}
	)
	for _, c := range changes {
		l := c.Layer
		if l == "" {
			l = "(dropped objects)"
		}
		if counts[l] == 0 {
			order = append(order, l)
		}
		counts[l]++
	}
	parts := make([]string, len(order))
	for i, l := range order {
		parts[i] = fmt.Sprintf("%s %d", l, counts[l])
	}
	return strings.Join(parts, ", ")
}

// inlineSQL is SQL as inline code: SQL quotes names in backticks, so the
// span is delimited by two.
func inlineSQL(sql string) string {
	return "`` " + strings.ReplaceAll(sql, "``", "` `") + " ``"
}

func codeList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}

// md escapes text for a markdown line.
func md(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	r := strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", `\|`, "*", `\*`, "_", `\_`)
	return r.Replace(s)
}
