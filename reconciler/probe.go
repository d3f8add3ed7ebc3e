package reconciler

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/schema"
)

// TenantProbe is what a probe saw of a tenant's database.
type TenantProbe struct {
	Server string `json:"server"`
	// Reachable: the server answered within the probe's deadline.
	Reachable bool `json:"reachable"`
	// Exists: the database is on the server (when Reachable).
	Exists bool `json:"exists"`
	// Measured: Size was read (a probe that measures, and the read ended
	// in time); SizeError is why not, when it was asked for.
	Measured  bool        `json:"measured"`
	Size      schema.Size `json:"size"`
	SizeError string      `json:"size_error,omitempty"`
	// Error is why the server is not reachable (no secret in it).
	Error string `json:"error,omitempty"`
}

// ProbeOptions are the deadlines of ProbeTenants.
type ProbeOptions struct {
	// Timeout bounds the ping and the read of which databases exist, per
	// server.
	Timeout time.Duration
	// Measure reads the sizes too, within SizeTimeout (per server).
	Measure     bool
	SizeTimeout time.Duration
}

// ProbeTenants probes the database of every tenant of repo that is not
// decommissioned, server by server in parallel: a ping and a read of which
// databases exist; with measure, the sizes and table counts of all the
// server's tenant databases in one more query (the costly one: MariaDB
// opens every table for it). Each server's probe ends by its deadlines: a
// server that does not answer by Timeout marks its tenants unreachable,
// sizes not read by SizeTimeout are left unmeasured, and one server never
// holds up the others.
func (r *Reconciler) ProbeTenants(ctx context.Context, repo *desired.Repo, opts ProbeOptions) map[string]TenantProbe {
	byServer := map[string][]*desired.Tenant{}
	for _, t := range repo.Tenants {
		if t.Lifecycle == desired.Decommissioned || t.Server == "" || t.Database == "" {
			continue
		}
		byServer[t.Server] = append(byServer[t.Server], t)
	}
	names := make([]string, 0, len(byServer))
	for name := range byServer {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make(map[string]TenantProbe, len(repo.Tenants))
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, name := range names {
		wg.Go(func() {
			tenants := byServer[name]
			exists, sizes, err, sizeErr := r.probeServer(ctx, repo, name, tenants, opts)
			mu.Lock()
			defer mu.Unlock()
			for _, t := range tenants {
				p := TenantProbe{Server: name, Reachable: err == nil, Exists: exists[t.Database]}
				switch {
				case err != nil:
					p.Error = redact.Text(err.Error())
				case !p.Exists || !opts.Measure:
				case sizeErr != nil:
					p.SizeError = redact.Text(sizeErr.Error())
				default:
					p.Measured, p.Size = true, sizes[t.Database]
				}
				out[t.Slug] = p
			}
		})
	}
	wg.Wait()
	return out
}

// probeServer returns which tenant databases exist on the server, and
// with measure their sizes; err is why the server is unreachable, sizeErr
// why the sizes were not read.
func (r *Reconciler) probeServer(ctx context.Context, repo *desired.Repo, name string, tenants []*desired.Tenant,
	opts ProbeOptions) (exists map[string]bool, sizes map[string]schema.Size, err, sizeErr error) {
	within := func(ctx context.Context, timeout time.Duration, err error) error {
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("no answer within %s: %w", timeout, err)
		}
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	srv, err := r.server(pctx, repo, name)
	if err == nil {
		err = srv.Ping(pctx)
	}
	if err != nil {
		return nil, nil, within(pctx, opts.Timeout, err), nil
	}
	dbs := make([]string, len(tenants))
	for i, t := range tenants {
		dbs[i] = t.Database
	}
	if exists, err = srv.Existing(pctx, dbs); err != nil {
		return nil, nil, within(pctx, opts.Timeout, err), nil
	}
	if opts.Measure {
		sctx, cancel := context.WithTimeout(ctx, opts.SizeTimeout)
		defer cancel()
		sizes, sizeErr = srv.Sizes(sctx, dbs)
		sizeErr = within(sctx, opts.SizeTimeout, sizeErr)
	}
	return exists, sizes, nil, sizeErr
}
