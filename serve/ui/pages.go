package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/serve/api"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/state"
)

// PageSize is the number of tenants on a page of the fleet's table.
const PageSize = 50

type count struct {
	Name string
	N    int
}

type serverRow struct {
	Name                                string
	Tenants, OutOfSync, Degraded, Drift int
	// Probed: the loop has probed the server; Up and Error are what the
	// last probe found, at CheckedAt.
	Probed, Up bool
	Error      string
	CheckedAt  time.Time
}

type fleetData struct {
	Status                           daemon.Status
	Total                            int
	Sync, Health, Checks             []count
	Servers                          []serverRow
	Rows                             []api.TenantStatus
	Matched, Page, Pages             int
	Q, SyncF, HealthF, ServerF, Sort string
	// CheckF filters on the health check status.
	CheckF     string
	Prev, Next string
	Sorts      []string
	Chart      chart
}

var fleetSorts = []string{"slug", "sync", "health", "server", "drift", "updated"}

func counted(m map[string]int) []count {
	out := make([]count, 0, len(m))
	for k, n := range m {
		out = append(out, count{k, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// fleet: counts by sync and health, the servers, the revision in force,
// and one page of the tenants that match the filter, sorted.
func (s *Server) fleet(w http.ResponseWriter, r *http.Request, ss *session) {
	list, err := s.api.TenantList(r.Context())
	if err != nil {
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	q := r.URL.Query()
	d := fleetData{Status: s.loop.Status(), Total: len(list), Q: strings.TrimSpace(q.Get("q")), SyncF: q.Get("sync"),
		HealthF: q.Get("health"), ServerF: q.Get("server"), Sort: q.Get("sort"), Sorts: fleetSorts, CheckF: q.Get("check")}
	if !contains(fleetSorts, d.Sort) {
		d.Sort = "slug"
	}
	syncs, healths, checks := map[string]int{}, map[string]int{}, map[string]int{}
	servers := map[string]*serverRow{}
	needle := strings.ToLower(d.Q)
	matched := make([]api.TenantStatus, 0, len(list))
	for _, t := range list {
		syncs[string(t.Sync)]++
		healths[string(t.Health)]++
		check := state.CheckUnknown
		if t.Check != nil {
			check = t.Check.Status
		}
		checks[check]++
		sr := servers[t.Server]
		if sr == nil {
			sr = &serverRow{Name: t.Server}
			servers[t.Server] = sr
		}
		sr.Tenants++
		if t.Sync != state.Synced {
			sr.OutOfSync++
		}
		if t.Health == state.Degraded {
			sr.Degraded++
		}
		if t.Drift.Open > 0 {
			sr.Drift++
		}
		if (d.SyncF == "" || string(t.Sync) == d.SyncF) && (d.HealthF == "" || string(t.Health) == d.HealthF) &&
			(d.ServerF == "" || t.Server == d.ServerF) && (d.CheckF == "" || check == d.CheckF) &&
			(needle == "" || strings.Contains(strings.ToLower(t.Slug), needle) || strings.Contains(strings.ToLower(t.Name), needle)) {
			matched = append(matched, t)
		}
	}
	d.Sync, d.Health = counted(syncs), counted(healths)
	for _, st := range state.CheckStatuses {
		d.Checks = append(d.Checks, count{st, checks[st]})
	}
	for _, h := range d.Status.Servers {
		sr := servers[h.Name]
		if sr == nil {
			sr = &serverRow{Name: h.Name}
			servers[h.Name] = sr
		}
		sr.Probed, sr.Up, sr.Error, sr.CheckedAt = true, h.Up, h.Error, h.CheckedAt
	}
	for _, sr := range servers {
		d.Servers = append(d.Servers, *sr)
	}
	if d.Chart, err = s.runChart(r); err != nil {
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	sort.Slice(d.Servers, func(i, j int) bool { return d.Servers[i].Name < d.Servers[j].Name })
	// Sort pointers with their keys computed once: 10,000 tenants sort
	// in a few milliseconds.
	type entry struct {
		t   *api.TenantStatus
		key string
	}
	entries := make([]entry, len(matched))
	for i := range matched {
		t := &matched[i]
		e := entry{t: t}
		switch d.Sort {
		case "sync":
			e.key = string(t.Sync)
		case "health":
			e.key = string(t.Health)
		case "server":
			e.key = t.Server
		case "drift":
			e.key = strconv.Itoa(9 - state.SeverityRank(t.Drift.Highest))
		case "updated":
			e.key = t.UpdatedAt.Format(time.RFC3339Nano)
		}
		entries[i] = e
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		if a.key != b.key {
			if d.Sort == "updated" {
				return strings.Compare(b.key, a.key)
			}
			return strings.Compare(a.key, b.key)
		}
		return strings.Compare(a.t.Slug, b.t.Slug)
	})
	d.Matched = len(entries)
	d.Pages = max(1, (len(entries)+PageSize-1)/PageSize)
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = min(max(d.Page, 1), d.Pages)
	from := (d.Page - 1) * PageSize
	for _, e := range entries[from:min(from+PageSize, len(entries))] {
		d.Rows = append(d.Rows, *e.t)
	}
	link := func(p int) string {
		v := url.Values{}
		for k, x := range map[string]string{"q": d.Q, "sync": d.SyncF, "health": d.HealthF, "server": d.ServerF, "sort": d.Sort, "check": d.CheckF} {
			if x != "" {
				v.Set(k, x)
			}
		}
		v.Set("page", strconv.Itoa(p))
		return "/ui/fleet?" + v.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.Next = link(d.Page + 1)
	}
	block := ""
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "tenants" {
		block = "tenants"
	}
	s.render(w, r, http.StatusOK, "fleet", block, page{Title: "Fleet", Nav: "fleet", Session: ss, Data: d})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// maxStatements bounds the statements of one run on a tenant's page.
const maxStatements = 25

type runRow struct {
	state.TenantRun
	// SQL are the statements shown; More were not; Open: unfolded.
	SQL  []state.Statement
	More int
	Open bool
}

type tenantData struct {
	T         api.TenantStatus
	Manifest  *desired.Tenant
	OpenDrift []state.Drift
	Runs      []runRow
	Snapshots []state.Snapshot
}

// tenantStatus finds slug as the API's tenant list has it.
func (s *Server) tenantStatus(r *http.Request, slug string) (api.TenantStatus, bool, error) {
	st, ok, err := s.store.Status(r.Context(), slug)
	if err != nil {
		return api.TenantStatus{}, false, err
	}
	if ok {
		ts := api.TenantStatus{Status: st}
		if repo := s.loop.Current(); repo != nil {
			for _, t := range repo.Tenants {
				ts.InRepository = ts.InRepository || t.Slug == slug
			}
		}
		if rt, err := s.loop.Retries(r.Context()); err == nil {
			if x, ok := rt[slug]; ok {
				ts.Retry = &x
			}
		}
		return ts, true, nil
	}
	list, err := s.api.TenantList(r.Context())
	if err != nil {
		return api.TenantStatus{}, false, err
	}
	for _, t := range list {
		if t.Slug == slug {
			return t, true, nil
		}
	}
	return api.TenantStatus{}, false, nil
}

func (s *Server) tenant(w http.ResponseWriter, r *http.Request, ss *session) {
	slug := r.PathValue("slug")
	ts, ok, err := s.tenantStatus(r, slug)
	if err != nil {
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	if !ok {
		s.fail(w, r, ss, http.StatusNotFound, "no tenant "+strconv.Quote(slug))
		return
	}
	d := tenantData{T: ts, OpenDrift: ts.OpenDrift}
	if repo := s.loop.Current(); repo != nil {
		for i := range repo.Tenants {
			if repo.Tenants[i].Slug == slug {
				d.Manifest = repo.Tenants[i]
			}
		}
	}
	trs, err := s.store.TenantRuns(r.Context(), slug, 0, 10)
	shown := 0
	for i := 0; err == nil && i < len(trs); i++ {
		row := runRow{TenantRun: trs[i]}
		// The statements of the newest runs that ran some, each cut at
		// maxStatements: the run's page has them all.
		if shown < 3 && trs[i].Statements > 0 {
			shown++
			row.SQL, err = s.store.Statements(r.Context(), trs[i].RunID, slug)
			if len(row.SQL) > maxStatements {
				row.More = len(row.SQL) - maxStatements
				row.SQL = row.SQL[:maxStatements]
			}
			row.Open = shown == 1
		}
		d.Runs = append(d.Runs, row)
	}
	if err == nil {
		d.Snapshots, err = s.store.Snapshots(r.Context(), slug)
	}
	if err != nil {
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	s.render(w, r, http.StatusOK, "tenant", "", page{Title: slug, Nav: "fleet", Session: ss, Data: d})
}

type diffData struct {
	Slug string
	A, B state.Snapshot
	Rows []diffRow
	Same bool
}

func (s *Server) diff(w http.ResponseWriter, r *http.Request, ss *session) {
	slug := r.PathValue("slug")
	snap := func(name string) (state.Snapshot, error) {
		id, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
		if err != nil {
			return state.Snapshot{}, fmt.Errorf("snapshot %s: want a snapshot id", name)
		}
		sn, ok, err := s.store.GetSnapshot(r.Context(), slug, id)
		if err == nil && !ok {
			err = fmt.Errorf("%s has no snapshot %d", slug, id)
		}
		return sn, err
	}
	a, err := snap("a")
	var b state.Snapshot
	if err == nil {
		b, err = snap("b")
	}
	if err != nil {
		s.fail(w, r, ss, http.StatusNotFound, err.Error())
		return
	}
	rows := lineDiff(a.HCL, b.HCL)
	same := true
	for _, row := range rows {
		same = same && row.Op == "same"
	}
	if r.URL.Query().Get("full") == "" {
		rows = fold(rows)
	}
	s.render(w, r, http.StatusOK, "diff", "", page{Title: slug + ": snapshots " + strconv.FormatInt(a.ID, 10) + " and " + strconv.FormatInt(b.ID, 10),
		Nav: "fleet", Session: ss, Data: diffData{Slug: slug, A: a, B: b, Rows: rows, Same: same}})
}

// Runs the runs page looks through, newest first, and shows at most.
const (
	runsSearched = 1000
	runsShown    = 100
)

type runsData struct {
	Runs                          []state.Run
	Trigger, Actor, Outcome, Self string
	Triggers, Actors, Outcomes    []string
	Running                       bool
}

// runs: the newest runs, filtered by trigger, actor and outcome; while one
// runs the table refreshes itself.
func (s *Server) runs(w http.ResponseWriter, r *http.Request, ss *session) {
	all, err := s.store.Runs(r.Context(), runsSearched)
	if err != nil {
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	q := r.URL.Query()
	d := runsData{Trigger: q.Get("trigger"), Actor: q.Get("actor"), Outcome: q.Get("outcome"), Self: r.URL.RequestURI()}
	seen := map[string]bool{}
	add := func(list *[]string, kind, v string) {
		if v != "" && !seen[kind+v] {
			seen[kind+v] = true
			*list = append(*list, v)
		}
	}
	for _, run := range all {
		add(&d.Triggers, "t", run.Trigger)
		add(&d.Actors, "a", run.Actor)
		add(&d.Outcomes, "o", string(run.Outcome))
		d.Running = d.Running || run.Outcome == state.RunRunning
		if len(d.Runs) < runsShown && (d.Trigger == "" || run.Trigger == d.Trigger) && (d.Actor == "" || run.Actor == d.Actor) &&
			(d.Outcome == "" || string(run.Outcome) == d.Outcome) {
			d.Runs = append(d.Runs, run)
		}
	}
	for _, l := range [][]string{d.Triggers, d.Actors, d.Outcomes} {
		sort.Strings(l)
	}
	s.render(w, r, http.StatusOK, "runs", "", page{Title: "Runs", Nav: "runs", Session: ss, Data: d})
}

type runData struct {
	Run        state.Run
	Tenants    []state.TenantRun
	Statements []state.Statement
}

func (s *Server) run(w http.ResponseWriter, r *http.Request, ss *session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, ss, http.StatusBadRequest, "run id: want a number")
		return
	}
	run, ok, err := s.store.GetRun(r.Context(), id)
	if err == nil && !ok {
		s.fail(w, r, ss, http.StatusNotFound, "no run "+strconv.FormatInt(id, 10))
		return
	}
	d := runData{Run: run}
	if err == nil {
		d.Tenants, err = s.store.TenantRuns(r.Context(), "", id, 1000)
	}
	if err == nil {
		d.Statements, err = s.store.Statements(r.Context(), id, "")
	}
	if err != nil {
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	s.render(w, r, http.StatusOK, "run", "", page{Title: "Run " + strconv.FormatInt(id, 10), Nav: "runs", Session: ss, Data: d})
}

// maxDriftTenants bounds the tenants the drift page lists, worst first.
const maxDriftTenants = 200

type driftTenant struct {
	Slug    string
	Summary state.DriftSummary
	Open    []state.Drift
}

type driftData struct {
	Tenants []driftTenant
	Total   int
	More    int
}

// drift: every open finding across the fleet, tenants by highest
// severity.
func (s *Server) drift(w http.ResponseWriter, r *http.Request, ss *session) {
	sums, err := s.store.DriftSummaries(r.Context())
	if err != nil {
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	d := driftData{}
	for slug, sum := range sums {
		d.Tenants = append(d.Tenants, driftTenant{Slug: slug, Summary: sum})
		d.Total += sum.Open
	}
	sort.Slice(d.Tenants, func(i, j int) bool {
		a, b := d.Tenants[i].Summary, d.Tenants[j].Summary
		if ra, rb := state.SeverityRank(a.Highest), state.SeverityRank(b.Highest); ra != rb {
			return ra > rb
		}
		return d.Tenants[i].Slug < d.Tenants[j].Slug
	})
	if len(d.Tenants) > maxDriftTenants {
		d.More = len(d.Tenants) - maxDriftTenants
		d.Tenants = d.Tenants[:maxDriftTenants]
	}
	for i := range d.Tenants {
		if d.Tenants[i].Open, err = s.store.OpenDrift(r.Context(), d.Tenants[i].Slug); err != nil {
			s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
			return
		}
	}
	s.render(w, r, http.StatusOK, "drift", "", page{Title: "Drift", Nav: "drift", Session: ss, Data: d})
}

type previewData struct {
	Slug, Action, Back, Error string
	Changes                   []reconciler.Change
	Warnings                  []string
}

// repair asks the loop to restore a tenant's desired schema, drift
// included (as POST /api/v1/tenants/{slug}/repair does), then goes back
// to the page the form was on; with preview set it plans the repair,
// changes nothing, and shows the statements it would run.
func (s *Server) repair(w http.ResponseWriter, r *http.Request, ss *session) {
	s.run1(w, r, ss, "repair")
}

// reconcile reconciles one tenant now (as POST /api/v1/reconcile with its
// slug does, trigger "api"), drift handled by its policy; with preview
// set it plans and changes nothing.
func (s *Server) reconcile(w http.ResponseWriter, r *http.Request, ss *session) {
	s.run1(w, r, ss, "reconcile")
}

// run1 runs a repair or a reconcile of the tenant of the path.
func (s *Server) run1(w http.ResponseWriter, r *http.Request, ss *session, action string) {
	slug := r.PathValue("slug")
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	preview := r.PostForm.Get("preview") != ""
	req := daemon.Request{Tenants: []string{slug}, Actor: ss.token.Name, Plan: preview}
	if action == "repair" {
		req.Repair = true
	} else {
		req.Trigger = "api"
	}
	res, err := s.loop.Reconcile(r.Context(), req)
	var unknown *daemon.UnknownTenantError
	switch {
	case errors.As(err, &unknown):
		s.fail(w, r, ss, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, daemon.ErrBusy), errors.Is(err, daemon.ErrNotReady), errors.Is(err, daemon.ErrStopping):
		s.fail(w, r, ss, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	rep := res.Report()
	if preview {
		d := previewData{Slug: slug, Action: action, Back: localPath(r.PostForm.Get("back"))}
		for _, t := range rep.Tenants {
			if t.Slug == slug {
				d.Changes, d.Error, d.Warnings = t.Changes, t.Error, t.Warnings
			}
		}
		d.Warnings = append(d.Warnings, rep.Warnings...)
		s.render(w, r, http.StatusOK, "preview", "", page{Title: action + " " + slug + ": preview", Nav: "drift", Session: ss, Data: d})
		return
	}
	flash := fmt.Sprintf("%s of %s: run %d, %d statements applied, %d failed", action, slug, rep.RunID, rep.Applied, rep.Counts.Failed)
	back := localPath(r.PostForm.Get("back"))
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"flash="+url.QueryEscape(flash), http.StatusSeeOther)
}
