package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/state"
)

// limit reads ?limit=N (1..1000), default def.
func limit(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, errors.New("limit: want a number from 1 to 1000")
	}
	return n, nil
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, _ Token) {
	st := s.loop.Status()
	leases, err := s.store.Leases(r.Context(), "serve:")
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	leader, replicas := "", []string{}
	for _, l := range leases {
		if l.Name == "serve:leader" {
			leader = l.Owner
		} else {
			replicas = append(replicas, l.Owner)
		}
	}
	health, err := s.store.HealthCounts(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"serve": st, "leader": leader, "replicas": replicas, "health": health})
}

// TenantStatus is a tenant's recorded status (as `landlord status --output
// json` shows it: record, pin, open drift, snapshots, last run) with its
// retry state.
type TenantStatus struct {
	state.Status
	// InRepository: the revision in force has the tenant.
	InRepository bool         `json:"in_repository"`
	Retry        *state.Retry `json:"retry,omitempty"`
}

// TenantList is every recorded tenant plus those of the revision in force
// not recorded yet (Unknown, Missing).
func (s *Server) TenantList(ctx context.Context) ([]TenantStatus, error) {
	recs, err := s.store.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	retries, err := s.loop.Retries(ctx)
	if err != nil {
		return nil, err
	}
	inRepo := map[string]bool{}
	repo := s.loop.Current()
	if repo != nil {
		for _, t := range repo.Tenants {
			inRepo[t.Slug] = true
		}
	}
	out := make([]TenantStatus, 0, len(recs))
	recorded := map[string]bool{}
	for _, st := range recs {
		recorded[st.Slug] = true
		tj := TenantStatus{Status: st, InRepository: inRepo[st.Slug]}
		if rt, ok := retries[st.Slug]; ok {
			tj.Retry = &rt
		}
		out = append(out, tj)
	}
	if repo != nil {
		for _, t := range repo.Tenants {
			if !recorded[t.Slug] {
				out = append(out, TenantStatus{InRepository: true, Status: state.Status{Tenant: state.Tenant{Slug: t.Slug, Name: t.Name,
					Template: t.Template, Modules: t.Modules, Server: t.Server, Database: t.Database, Domain: t.Domain,
					Lifecycle: t.Lifecycle, Sync: state.Unknown, Health: state.Missing}}})
			}
		}
	}
	return out, nil
}

func (s *Server) tenants(w http.ResponseWriter, r *http.Request, _ Token) {
	list, err := s.TenantList(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenants": list})
}

func (s *Server) tenant(w http.ResponseWriter, r *http.Request, _ Token) {
	slug := r.PathValue("slug")
	list, err := s.TenantList(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	var found *TenantStatus
	for i := range list {
		if list[i].Slug == slug {
			found = &list[i]
		}
	}
	if found == nil {
		writeError(w, http.StatusNotFound, "no tenant "+strconv.Quote(slug))
		return
	}
	runs, err := s.store.TenantRuns(r.Context(), slug, 0, 20)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	snaps, err := s.store.Snapshots(r.Context(), slug)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	drift, err := s.store.OpenDrift(r.Context(), slug)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenant": found, "runs": orEmpty(runs), "snapshots": orEmpty(snaps), "drift": orEmpty(drift)})
}

func (s *Server) runs(w http.ResponseWriter, r *http.Request, _ Token) {
	n, err := limit(r, 50)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	runs, err := s.store.Runs(r.Context(), n)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": orEmpty(runs)})
}

func (s *Server) run(w http.ResponseWriter, r *http.Request, _ Token) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "run id: want a number")
		return
	}
	run, ok, err := s.store.GetRun(r.Context(), id)
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	case !ok:
		writeError(w, http.StatusNotFound, "no run "+strconv.FormatInt(id, 10))
		return
	}
	tenants, err := s.store.TenantRuns(r.Context(), "", id, 100000)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	sts, err := s.store.Statements(r.Context(), id, r.URL.Query().Get("tenant"))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": run, "tenants": orEmpty(tenants), "statements": orEmpty(sts)})
}

func (s *Server) revisions(w http.ResponseWriter, r *http.Request, _ Token) {
	n, err := limit(r, 50)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	status := r.URL.Query().Get("status")
	if status != "" && status != state.RevisionAccepted && status != state.RevisionRejected {
		writeError(w, http.StatusBadRequest, "status: want accepted or rejected")
		return
	}
	revs, err := s.store.Revisions(r.Context(), status, n)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"revisions": orEmpty(revs)})
}

func (s *Server) deliveries(w http.ResponseWriter, r *http.Request, _ Token) {
	n, err := limit(r, 100)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ds, err := s.store.Deliveries(r.Context(), r.URL.Query().Get("event"), n)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": orEmpty(ds)})
}

// reconcileBody is the body of POST /api/v1/reconcile.
type reconcileBody struct {
	Tenants          []string `json:"tenants"`
	Plan             bool     `json:"plan"`
	AllowDestructive bool     `json:"allow_destructive"`
}

func (s *Server) reconcile(w http.ResponseWriter, r *http.Request, tok Token) {
	var body reconcileBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	s.runRequest(w, r, daemon.Request{Tenants: body.Tenants, Plan: body.Plan, AllowDestructive: body.AllowDestructive,
		Actor: tok.Name, Trigger: "api"})
}

// repairBody is the body of POST /api/v1/tenants/{slug}/repair.
type repairBody struct {
	Plan             bool `json:"plan"`
	AllowDestructive bool `json:"allow_destructive"`
}

// repair restores a tenant's desired schema, drift included whatever its
// drift policy (landlord repair), recorded with trigger "repair".
func (s *Server) repair(w http.ResponseWriter, r *http.Request, tok Token) {
	var body repairBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	s.runRequest(w, r, daemon.Request{Tenants: []string{r.PathValue("slug")}, Plan: body.Plan,
		AllowDestructive: body.AllowDestructive, Actor: tok.Name, Repair: true})
}

func (s *Server) runRequest(w http.ResponseWriter, r *http.Request, req daemon.Request) {
	// A reconcile takes as long as it takes (each statement has its own
	// deadline); the server's timeouts are for everything else. The read
	// deadline goes too: the server reads on in the background to see the
	// client leave, and a timeout there would cancel the run.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	res, err := s.loop.Reconcile(r.Context(), req)
	var unknown *daemon.UnknownTenantError
	switch {
	case errors.As(err, &unknown):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, daemon.ErrBusy):
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	case errors.Is(err, daemon.ErrNotReady), errors.Is(err, daemon.ErrStopping):
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, resultJSON(res))
}

// resultJSON is the JSON of a reconcile: the one `landlord reconcile
// --output json` prints.
func resultJSON(res *reconciler.Result) reconciler.Report { return res.Report() }

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
