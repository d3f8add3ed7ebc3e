package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/serve/api"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/state"
)

// PageSize is the number of tenants on a page of the fleet's table.
const PageSize = 50

type serverRow struct {
	state.FleetServer
	// Probed: the loop has probed the server; Up, Error and the
	// connections of landlord's pool are what the last probe found, at
	// CheckedAt.
	Probed, Up  bool
	Error       string
	Open, InUse int
	CheckedAt   time.Time
}

type fleetData struct {
	Status                           daemon.Status
	Total                            int
	Sync, Health, Checks             []state.FleetCount
	Servers                          []serverRow
	Rows                             []api.TenantStatus
	Matched, Page, Pages             int
	Q, SyncF, HealthF, ServerF, Sort string
	// CheckF filters on the health check status.
	CheckF     string
	Prev, Next string
	Sorts      []string
	Chart      chart
	// LastRejected is the newest revision ever rejected, when the loop
	// has none pending (a later one was accepted).
	LastRejected *state.Revision
	// Unrecorded are tenants of the revision in force with no record
	// yet (at most PageSize of them); UnrecordedN counts them all.
	Unrecorded  []string
	UnrecordedN int
}

// fleet: counts by sync and health, the servers, the revision in force,
// and one page of the tenants that match the filter, sorted. The landlord
// database filters, sorts and pages (state.FleetPage), so a page costs
// the same with 10,000 tenants as with 100.
func (s *Server) fleet(w http.ResponseWriter, r *http.Request, ss *session) {
	q := r.URL.Query()
	d := fleetData{Status: s.loop.Status(), Q: strings.TrimSpace(q.Get("q")), SyncF: q.Get("sync"),
		HealthF: q.Get("health"), ServerF: q.Get("server"), Sort: q.Get("sort"), Sorts: state.FleetSorts,
		CheckF: q.Get("check")}
	if !slices.Contains(state.FleetSorts, d.Sort) {
		d.Sort = "slug"
	}
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = max(d.Page, 1)
	fq := state.FleetQuery{Search: d.Q, Sync: d.SyncF, Health: d.HealthF, Server: d.ServerF, Check: d.CheckF, Sort: d.Sort,
		Offset: (d.Page - 1) * PageSize, Limit: PageSize}
	f, err := s.store.FleetPage(r.Context(), fq)
	if err == nil && f.Matched > 0 && len(f.Rows) == 0 {
		// Past the last page: show the last one.
		d.Page = (f.Matched + PageSize - 1) / PageSize
		fq.Offset = (d.Page - 1) * PageSize
		f, err = s.store.FleetPage(r.Context(), fq)
	}
	var retries map[string]state.Retry
	if err == nil {
		retries, err = s.loop.Retries(r.Context())
	}
	if err == nil {
		err = s.unrecorded(r, &d, &f)
	}
	if err == nil {
		d.Chart, err = s.runChart(r)
	}
	if err == nil && d.Status.Rejected == nil {
		var revs []state.Revision
		if revs, err = s.store.Revisions(r.Context(), state.RevisionRejected, 1); err == nil && len(revs) > 0 {
			d.LastRejected = &revs[0]
		}
	}
	if err != nil {
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	d.Total, d.Matched, d.Sync, d.Health, d.Checks = f.Total, f.Matched, f.Sync, f.Health, f.Checks
	inRepo := map[string]bool{}
	if repo := s.loop.Current(); repo != nil {
		for _, t := range f.Rows {
			_, inRepo[t.Slug] = repo.Tenant(t.Slug)
		}
	}
	for _, st := range f.Rows {
		ts := api.TenantStatus{Status: st, InRepository: inRepo[st.Slug]}
		if rt, ok := retries[st.Slug]; ok {
			ts.Retry = &rt
		}
		d.Rows = append(d.Rows, ts)
	}
	servers := map[string]*serverRow{}
	for _, sv := range f.Servers {
		servers[sv.Name] = &serverRow{FleetServer: sv}
	}
	for _, h := range d.Status.Servers {
		sr := servers[h.Name]
		if sr == nil {
			sr = &serverRow{FleetServer: state.FleetServer{Name: h.Name}}
			servers[h.Name] = sr
		}
		sr.Probed, sr.Up, sr.Error, sr.CheckedAt, sr.Open, sr.InUse = true, h.Up, h.Error, h.CheckedAt, h.Open, h.InUse
	}
	for _, sr := range servers {
		d.Servers = append(d.Servers, *sr)
	}
	sort.Slice(d.Servers, func(i, j int) bool { return d.Servers[i].Name < d.Servers[j].Name })
	d.Pages = max(1, (d.Matched+PageSize-1)/PageSize)
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

// unrecorded finds the tenants of the revision in force that have no
// record yet and counts them in d's and f's totals as Unknown and Missing.
func (s *Server) unrecorded(r *http.Request, d *fleetData, f *state.Fleet) error {
	repo := s.loop.Current()
	if repo == nil || len(repo.Tenants) == 0 {
		return nil
	}
	missing, err := s.missingRecords(r, repo, f.Total)
	if err != nil || len(missing) == 0 {
		return err
	}
	d.UnrecordedN = len(missing)
	d.Unrecorded = missing[:min(len(missing), PageSize)]
	f.Total += len(missing)
	add := func(list []state.FleetCount, name string) []state.FleetCount {
		for i := range list {
			if list[i].Name == name {
				list[i].N += len(missing)
				return list
			}
		}
		return append(list, state.FleetCount{Name: name, N: len(missing)})
	}
	f.Sync, f.Health = add(f.Sync, string(state.Unknown)), add(f.Health, string(state.Missing))
	return nil
}

// missingRecords returns the tenants of repo the landlord database has no
// record of, when it holds records of others. The answer is kept until the
// revision in force or the number of records changes: the fleet page asks
// on every view and every refresh, and the question sends every slug of the
// repository to the database.
func (s *Server) missingRecords(r *http.Request, repo *desired.Repo, records int) ([]string, error) {
	s.missing.Lock()
	defer s.missing.Unlock()
	if s.missing.repo == repo && s.missing.records == records {
		return s.missing.slugs, nil
	}
	slugs := make([]string, len(repo.Tenants))
	for i, t := range repo.Tenants {
		slugs[i] = t.Slug
	}
	missing, err := s.store.Unrecorded(r.Context(), slugs)
	if err != nil {
		return nil, err
	}
	s.missing.repo, s.missing.records, s.missing.slugs = repo, records, missing
	return missing, nil
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
	// TemplateVersion and Modules are the versions the revision in force
	// declares for the manifest's template and modules.
	TemplateVersion string
	Modules         []versioned
	// Tables are where each desired table is defined; TablesError why
	// they are not known.
	Tables      []reconciler.TableProvenance
	TablesError string
	Backups     []state.Backup
}

type versioned struct{ Name, Version string }

// maxBackups bounds the backups a tenant's page lists.
const maxBackups = 10

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
		if m, ok := repo.Tenant(slug); ok {
			d.Manifest = m
			if t := repo.Templates[m.Template]; t != nil {
				d.TemplateVersion = t.Version
			}
			for _, name := range m.Modules {
				v := versioned{Name: name}
				if mod := repo.Modules[name]; mod != nil {
					v.Version = mod.Version
				}
				d.Modules = append(d.Modules, v)
			}
			if m.Valid() {
				if d.Tables, err = reconciler.Provenance(repo, m); err != nil {
					d.TablesError, err = err.Error(), nil
				}
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
	if err == nil {
		d.Backups, err = s.store.Backups(r.Context(), slug, maxBackups)
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
	// To is what a rollback goes back to: a run id or a revision.
	To       string
	Changes  []reconciler.Change
	Warnings []string
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

// rollback rolls the tenant back to the snapshot of a run (to: a run id)
// or a git revision and pins it there (as landlord rollback does); with
// preview set it plans and changes nothing.
func (s *Server) rollback(w http.ResponseWriter, r *http.Request, ss *session) {
	s.run1(w, r, ss, "rollback")
}

// rollbackTarget is what a rollback form may name: a run id, or a
// commit, branch or tag name.
var rollbackTarget = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$`)

// run1 runs a repair, rollback or reconcile of the tenant of the path.
func (s *Server) run1(w http.ResponseWriter, r *http.Request, ss *session, action string) {
	slug := r.PathValue("slug")
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	preview := r.PostForm.Get("preview") != ""
	req := daemon.Request{Tenants: []string{slug}, Actor: ss.token.Name, Plan: preview}
	to := strings.TrimSpace(r.PostForm.Get("to"))
	switch action {
	case "repair":
		req.Repair = true
	case "rollback":
		if !rollbackTarget.MatchString(to) {
			s.fail(w, r, ss, http.StatusBadRequest, "rollback: want a run id or a git revision (commit, branch or tag)")
			return
		}
		req.RollbackTo = to
	default:
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
	case err != nil && action == "rollback":
		// What to roll back to is the user's: a run without a snapshot,
		// a revision git does not have.
		s.fail(w, r, ss, http.StatusUnprocessableEntity, err.Error())
		return
	case err != nil:
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
		return
	}
	rep := res.Report()
	if preview {
		d := previewData{Slug: slug, Action: action, To: req.RollbackTo, Back: localPath(r.PostForm.Get("back"))}
		for _, t := range rep.Tenants {
			if t.Slug == slug {
				d.Changes, d.Error, d.Warnings = t.Changes, t.Error, t.Warnings
			}
		}
		d.Warnings = append(d.Warnings, rep.Warnings...)
		s.render(w, r, http.StatusOK, "preview", "", page{Title: action + " " + slug + ": preview", Nav: "drift", Session: ss, Data: d})
		return
	}
	s.back(w, r, fmt.Sprintf("%s of %s: run %d, %d statements applied, %d failed%s", action, slug, rep.RunID, rep.Applied, rep.Counts.Failed, tenantError(rep, slug)))
}

func tenantError(rep reconciler.Report, slug string) string {
	for _, t := range rep.Tenants {
		if t.Slug == slug && t.Error != "" {
			return ": " + t.Error
		}
	}
	return ""
}

// back redirects to the form's back page (a page of the dashboard) with
// flash to show there.
func (s *Server) back(w http.ResponseWriter, r *http.Request, flash string) {
	back := localPath(r.PostForm.Get("back"))
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"flash="+url.QueryEscape(redact.Text(flash)), http.StatusSeeOther)
}

// unpin releases a tenant a rollback pinned.
func (s *Server) unpin(w http.ResponseWriter, r *http.Request, ss *session) {
	slug := r.PathValue("slug")
	p, ok, err := s.loop.Unpin(r.Context(), slug, ss.token.Name)
	switch {
	case err != nil:
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
	case !ok:
		s.fail(w, r, ss, http.StatusConflict, slug+" is not pinned")
	default:
		s.back(w, r, fmt.Sprintf("%s unpinned from %.12s: the next reconcile brings it to the revision in force", slug, p.Revision))
	}
}

// backupNow takes a backup of the tenant now.
func (s *Server) backupNow(w http.ResponseWriter, r *http.Request, ss *session) {
	slug := r.PathValue("slug")
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	m, err := s.loop.Backup(r.Context(), slug, ss.token.Name)
	var unknown *daemon.UnknownTenantError
	switch {
	case errors.As(err, &unknown):
		s.fail(w, r, ss, http.StatusNotFound, err.Error())
	case errors.Is(err, daemon.ErrNotReady), errors.Is(err, daemon.ErrStopping):
		s.fail(w, r, ss, http.StatusServiceUnavailable, err.Error())
	case err != nil:
		s.fail(w, r, ss, http.StatusInternalServerError, err.Error())
	default:
		s.back(w, r, fmt.Sprintf("backup %s of %s taken: %d rows", m.ID, slug, m.Rows()))
	}
}
