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
	Exists bool        `json:"exists"`
	Size   schema.Size `json:"size"`
	// Error is why the server is not reachable (no secret in it).
	Error string `json:"error,omitempty"`
}

// ProbeTenants probes the database of every tenant of repo that is not
// decommissioned, server by server in parallel: a ping, then the sizes
// and table counts of all the server's tenant databases in one query.
// Each server's probe ends by timeout: a server that does not answer by
// then marks its tenants unreachable, and one server never holds up the
// others.
func (r *Reconciler) ProbeTenants(ctx context.Context, repo *desired.Repo, timeout time.Duration) map[string]TenantProbe {
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
			sizes, err := r.probeServer(ctx, repo, name, tenants, timeout)
			mu.Lock()
			defer mu.Unlock()
			for _, t := range tenants {
				p := TenantProbe{Server: name, Reachable: err == nil}
				if err != nil {
					p.Error = redact.Text(err.Error())
				} else if sz, ok := sizes[t.Database]; ok {
					p.Exists, p.Size = true, sz
				}
				out[t.Slug] = p
			}
		})
	}
	wg.Wait()
	return out
}

func (r *Reconciler) probeServer(ctx context.Context, repo *desired.Repo, name string, tenants []*desired.Tenant, timeout time.Duration) (map[string]schema.Size, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	srv, err := r.server(ctx, repo, name)
	if err == nil {
		err = srv.Ping(ctx)
	}
	if err != nil {
		return nil, err
	}
	dbs := make([]string, len(tenants))
	for i, t := range tenants {
		dbs[i] = t.Database
	}
	sizes, err := srv.Sizes(ctx, dbs)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	return sizes, err
}
