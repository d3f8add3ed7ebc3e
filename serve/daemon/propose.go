package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/reconciler"
)

// TenantProposal is a new tenant's manifest checked as the loader checks
// it, against the newest revision of the repository, and planned.
type TenantProposal struct {
	Slug string
	// File is the manifest's path, YAML its content.
	File string
	YAML []byte
	// Revision is the revision the manifest was added to.
	Revision string
	// Problems are what keeps the tenant from being created, each at its
	// file, line and column; when there are some, nothing was planned.
	Problems []string
	// Plan is the dry run of the tenant's first reconcile.
	Plan *reconciler.TenantResult
}

// ProposeBranchPrefix starts the branch of a proposed tenant.
const ProposeBranchPrefix = "landlord/tenant-"

// CanPush reports whether PushTenant can push: serve has push
// credentials and follows a remote repository.
func (l *Loop) CanPush() bool {
	return l.cfg.Push != nil && desired.IsRemote(l.cfg.Source.Repo)
}

// ProposeTenant adds t's manifest to the newest revision of the
// repository (in memory), validates the repository as serve would, and
// plans the tenant's first reconcile: nothing is written, applied or
// recorded. A slug that a tenant of the repository or of the landlord
// database already has is a problem: a proposal never replaces a tenant.
func (l *Loop) ProposeTenant(ctx context.Context, t desired.NewTenant) (*TenantProposal, error) {
	p := &TenantProposal{Slug: t.Slug}
	file, err := desired.TenantFile(t.Slug)
	if err != nil {
		p.Problems = append(p.Problems, "slug: "+err.Error())
		return p, nil
	}
	p.File = file
	if p.YAML, err = t.YAML(); err != nil {
		return nil, err
	}
	if cur := l.Current(); cur != nil {
		if old, ok := cur.Tenant(t.Slug); ok {
			p.Problems = append(p.Problems, fmt.Sprintf("%s: tenant %s exists in the revision in force", old.File, t.Slug))
		}
	}
	if _, ok, err := l.store.Tenant(ctx, t.Slug); err != nil {
		return nil, err
	} else if ok {
		p.Problems = append(p.Problems, fmt.Sprintf("tenant %s is recorded in the landlord database: choose another slug", t.Slug))
	}
	if len(p.Problems) > 0 {
		return p, nil
	}
	co, err := desired.Open(ctx, l.cfg.Source)
	if err != nil {
		return nil, redact.Error(err)
	}
	p.Revision = co.Revision
	fsys, err := desired.WithFile(co.FS, file, p.YAML)
	if errors.Is(err, fs.ErrExist) {
		p.Problems = append(p.Problems, fmt.Sprintf("%s exists in revision %.12s: a proposal never replaces a manifest", file, co.Revision))
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	repo, problems := l.load(&desired.Checkout{FS: fsys, Revision: co.Revision, Dir: co.Dir})
	if repo == nil {
		p.Problems = problems
		return p, nil
	}
	nt, ok := repo.Tenant(t.Slug)
	if !ok {
		return nil, fmt.Errorf("the repository with %s has no tenant %s", file, t.Slug)
	}
	for _, e := range nt.Errors {
		p.Problems = append(p.Problems, redact.Text(e.Error()))
	}
	// Problems of the repository that name the new manifest (a database
	// another tenant has, say) are the proposal's too.
	for _, msg := range problems {
		if strings.Contains(msg, file) && !slices.Contains(p.Problems, msg) {
			p.Problems = append(p.Problems, msg)
		}
	}
	if len(p.Problems) > 0 {
		return p, nil
	}
	res, err := l.rec.Reconcile(ctx, repo, reconciler.Options{Tenants: []string{t.Slug}, Plan: true,
		Concurrency: 1, LockWait: l.cfg.LockWait})
	if err != nil {
		return nil, err
	}
	for _, tr := range res.Report().Tenants {
		if tr.Slug == t.Slug {
			p.Plan = &tr
		}
	}
	return p, nil
}

// ErrNoPush: serve has no push credentials, or follows a local directory.
var ErrNoPush = errors.New("serve pushes no proposals: it has no push credentials or follows a local directory")

// PushTenant checks t again (ProposeTenant) and, when it has no problem,
// commits its manifest on a new branch landlord/tenant-<slug> of the
// remote for review, within the source's git timeout. It returns the
// branch and commit.
func (l *Loop) PushTenant(ctx context.Context, t desired.NewTenant, actor string) (branch, commit string, p *TenantProposal, err error) {
	if !l.CanPush() {
		return "", "", nil, ErrNoPush
	}
	p, err = l.ProposeTenant(ctx, t)
	if err != nil {
		return "", "", nil, err
	}
	if len(p.Problems) > 0 {
		return "", "", p, fmt.Errorf("%s: %s", p.File, p.Problems[0])
	}
	branch = ProposeBranchPrefix + t.Slug
	commit, err = desired.Push(ctx, l.cfg.Source, *l.cfg.Push, desired.Proposal{Branch: branch, File: p.File, Data: p.YAML,
		Message: fmt.Sprintf("tenants: add %s\n\nProposed by %s from the landlord dashboard, planned against %.12s.\n", t.Slug, actor, p.Revision),
		Author:  "landlord", Email: "landlord@localhost", Parent: p.Revision})
	if err != nil {
		l.log.Warn("push proposal failed", "tenant", t.Slug, "actor", actor, "err", redact.Text(err.Error()))
		return "", "", p, err
	}
	l.log.Info("tenant proposed", "tenant", t.Slug, "actor", actor, "branch", branch, "commit", commit)
	return branch, commit, p, nil
}
