package ui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/serve/api"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/state"
)

// Loop is what the dashboard asks of serve's loop (*daemon.Loop): the
// API's questions, and proposals of new tenants.
type Loop interface {
	api.Loop
	ProposeTenant(ctx context.Context, t desired.NewTenant) (*daemon.TenantProposal, error)
	PushTenant(ctx context.Context, t desired.NewTenant, actor string) (branch, commit string, p *daemon.TenantProposal, err error)
	CanPush() bool
	Unpin(ctx context.Context, slug, actor string) (state.Pin, bool, error)
}

// proposeTimeout bounds a proposal: a fetch of the repository, a plan
// against the tenant's server and a push.
const proposeTimeout = 2 * time.Minute

type choice struct {
	Name, Description, Version string
	Requires                   []string
	Checked                    bool
}

type newTenantData struct {
	Form      desired.NewTenant
	Templates []choice
	Modules   []choice
	Servers   []string
	Default   string
	CanPush   bool
	Proposal  *daemon.TenantProposal
	Branch    string
	Commit    string
	PushError string
}

// newTenantForm reads the form's fields (none on a GET).
func newTenantForm(r *http.Request) desired.NewTenant {
	f := r.PostForm
	t := desired.NewTenant{Slug: strings.TrimSpace(f.Get("slug")), Name: strings.TrimSpace(f.Get("name")),
		Template: f.Get("template"), Server: f.Get("server"), Domain: strings.TrimSpace(f.Get("domain")),
		Database: strings.TrimSpace(f.Get("database"))}
	for _, m := range f["modules"] {
		if m != "" && !slices.Contains(t.Modules, m) {
			t.Modules = append(t.Modules, m)
		}
	}
	return t
}

// newTenantData lists the revision in force's active templates, modules
// and servers, checked as form says.
func (s *Server) newTenantData(form desired.NewTenant) (newTenantData, bool) {
	d := newTenantData{Form: form, CanPush: s.loop.CanPush()}
	repo := s.loop.Current()
	if repo == nil {
		return d, false
	}
	for name, t := range repo.Templates {
		if t.IsActive() && len(t.Errors) == 0 {
			d.Templates = append(d.Templates, choice{Name: name, Description: t.Description, Version: t.Version, Requires: t.Requires, Checked: name == form.Template})
		}
	}
	for name, m := range repo.Modules {
		if len(m.Errors) == 0 {
			d.Modules = append(d.Modules, choice{Name: name, Description: m.Description, Version: m.Version, Requires: m.Requires, Checked: slices.Contains(form.Modules, name)})
		}
	}
	for name := range repo.Config.Servers {
		d.Servers = append(d.Servers, name)
	}
	d.Default = repo.Config.Defaults.Server
	sort.Slice(d.Templates, func(i, j int) bool { return d.Templates[i].Name < d.Templates[j].Name })
	sort.Slice(d.Modules, func(i, j int) bool { return d.Modules[i].Name < d.Modules[j].Name })
	sort.Strings(d.Servers)
	return d, true
}

// newTenant shows the form of a new tenant.
func (s *Server) newTenant(w http.ResponseWriter, r *http.Request, ss *session) {
	d, ok := s.newTenantData(desired.NewTenant{})
	if !ok {
		s.fail(w, r, ss, http.StatusServiceUnavailable, daemon.ErrNotReady.Error())
		return
	}
	s.render(w, r, http.StatusOK, "newtenant", "", page{Title: "New tenant", Nav: "new", Session: ss, Data: d})
}

// proposeTenant checks and plans the form's tenant (action "plan"), or
// with an operate token pushes it on a branch for review ("push").
func (s *Server) proposeTenant(w http.ResponseWriter, r *http.Request, ss *session) {
	form := newTenantForm(r)
	d, ok := s.newTenantData(form)
	if !ok {
		s.fail(w, r, ss, http.StatusServiceUnavailable, daemon.ErrNotReady.Error())
		return
	}
	select {
	case s.proposals <- struct{}{}:
		defer func() { <-s.proposals }()
	default:
		w.Header().Set("Retry-After", "10")
		s.fail(w, r, ss, http.StatusTooManyRequests, "other new tenant checks are running; try again in a few seconds")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), proposeTimeout)
	defer cancel()
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(proposeTimeout + 10*time.Second))
	code := http.StatusOK
	var err error
	if r.PostForm.Get("action") == "push" {
		if ss.token.Scope < api.ScopeOperate {
			s.fail(w, r, ss, http.StatusForbidden, "token "+ss.token.Name+" has scope "+ss.token.Scope.String()+"; pushing a tenant needs operate")
			return
		}
		d.Branch, d.Commit, d.Proposal, err = s.loop.PushTenant(ctx, form, ss.token.Name)
		if err != nil && d.Proposal != nil {
			d.PushError, err, code = err.Error(), nil, http.StatusUnprocessableEntity
		}
		if errors.Is(err, daemon.ErrNoPush) {
			d.PushError, err, code = err.Error(), nil, http.StatusConflict
		}
	} else {
		d.Proposal, err = s.loop.ProposeTenant(ctx, form)
		if err == nil && len(d.Proposal.Problems) > 0 {
			code = http.StatusUnprocessableEntity
		}
	}
	if err != nil {
		s.fail(w, r, ss, http.StatusBadGateway, err.Error())
		return
	}
	s.render(w, r, code, "newtenant", "", page{Title: "New tenant", Nav: "new", Session: ss, Data: d})
}
