package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/internal/memlimit"
	"github.com/landlord/landlord/internal/redact"
	"github.com/landlord/landlord/reconciler"
	"github.com/landlord/landlord/serve/notify"
	"github.com/landlord/landlord/state"
)

// Rejection is a revision that failed validation: nothing of it is applied.
type Rejection struct {
	Revision string    `json:"revision"`
	Problems []string  `json:"problems"`
	At       time.Time `json:"at"`
}

// maxProblems bounds the problems kept per rejection (the first ones).
const maxProblems = 50

// refresh fetches the repository and, when it holds a new valid revision,
// reconciles the tenants whose desired schema changed (on the leader).
func (l *Loop) refresh(ctx context.Context, trigger string) {
	repo, changed, ok := l.update(ctx)
	if !ok || !l.isLeader() || len(changed) == 0 {
		return
	}
	l.reconcile(ctx, repo, changed, runOptions{trigger: trigger})
}

// reconcileAll fetches the repository, then reconciles every tenant of the
// revision in force.
func (l *Loop) reconcileAll(ctx context.Context, trigger string) {
	l.update(ctx)
	repo := l.Current()
	if repo == nil || !l.isLeader() {
		return
	}
	l.reconcile(ctx, repo, nil, runOptions{trigger: trigger})
}

// update fetches the repository. A revision not seen before is validated:
// rejected, or accepted as the revision in force. ok reports a newly
// accepted revision; changed lists the tenants to reconcile for it.
func (l *Loop) update(ctx context.Context) (repo *desired.Repo, changed []string, ok bool) {
	co, err := desired.Open(ctx, l.cfg.Source)
	now := time.Now().UTC()
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, false
		}
		msg := redact.Text(err.Error())
		l.metrics.GitFetches.WithLabelValues("error").Inc()
		l.metrics.GitFetchErrors.Inc()
		l.mu.Lock()
		l.fetched, l.fetchErr = now, msg
		l.mu.Unlock()
		l.log.Warn("fetch failed", "err", msg)
		return nil, nil, false
	}
	l.metrics.GitFetches.WithLabelValues("ok").Inc()
	l.mu.Lock()
	l.fetched, l.fetchErr = now, ""
	fresh := co.Revision != l.seen
	l.seen = co.Revision
	l.mu.Unlock()
	if !fresh {
		return nil, nil, false
	}
	repo, problems := l.load(co)
	if len(problems) > 0 {
		l.reject(ctx, co.Revision, problems)
		if l.Current() == nil {
			l.restoreLastGood(ctx)
		}
		return nil, nil, false
	}
	return repo, l.accept(ctx, repo), true
}

// load reads and validates a checkout; problems make the revision
// rejected.
func (l *Loop) load(co *desired.Checkout) (*desired.Repo, []string) {
	opts := desired.LoadOptions{Servers: l.cfg.Servers, Reserved: l.cfg.Reserved}
	if src := l.cfg.Source.Repo; !desired.IsRemote(src) {
		// A local repository: relative sqlite:// directories are in it.
		opts.Dir, _ = filepath.Abs(src)
	}
	repo, err := desired.Load(co.FS, co.Revision, opts)
	if err != nil {
		return nil, []string{redact.Text(err.Error())}
	}
	memlimit.Fit(len(repo.Tenants))
	var problems []string
	for _, p := range reconciler.Validate(repo).Errors {
		problems = append(problems, redact.Text(p.String()))
	}
	return repo, problems
}

// reject records a rejected revision; the revision in force stays.
func (l *Loop) reject(ctx context.Context, revision string, problems []string) {
	all := len(problems)
	if len(problems) > maxProblems {
		problems = append(problems[:maxProblems:maxProblems], fmt.Sprintf("… and %d more", all-maxProblems))
	}
	rej := &Rejection{Revision: revision, Problems: problems, At: time.Now().UTC()}
	l.mu.Lock()
	l.rejected = rej
	inForce := ""
	if l.good != nil {
		inForce = l.good.Revision
	}
	l.mu.Unlock()
	l.metrics.Rejected(revision)
	l.log.Error("revision rejected: nothing of it is applied", "revision", revision, "problems", all,
		"in_force", inForce, "first_problem", problems[0])
	err := l.store.RecordRevision(context.WithoutCancel(ctx), state.Revision{Revision: revision, Status: state.RevisionRejected,
		Problems: all, Error: strings.Join(problems, "\n"), SeenBy: l.cfg.Replica})
	if err != nil {
		l.log.Error("record rejected revision", "revision", revision, "err", err)
	}
	if l.isLeader() {
		l.notify.Notify(notify.Event{Type: notify.RevisionRejected, Revision: revision,
			Data: map[string]any{"problems": problems, "problem_count": all, "revision_in_force": inForce}})
	}
}

// accept makes repo the revision in force and returns the tenants to
// reconcile: those whose desired schema or policy changed, the new ones,
// and those waiting for a new revision after failing (they start over).
func (l *Loop) accept(ctx context.Context, repo *desired.Repo) []string {
	prints := fingerprints(repo)
	now := time.Now().UTC()
	l.mu.Lock()
	first := l.good == nil
	removed := false
	for slug := range l.prints {
		if _, ok := prints[slug]; !ok {
			removed = true
		}
	}
	var changed []string
	for slug, p := range prints {
		_, failed := l.retries[slug]
		if first || failed || l.prints[slug] != p {
			changed = append(changed, slug)
		}
	}
	gone := make([]string, 0)
	for slug := range l.retries {
		if _, ok := prints[slug]; !ok {
			gone = append(gone, slug)
			delete(l.retries, slug)
		}
	}
	l.good, l.goodAt, l.prints = repo, now, prints
	if repo.Revision == l.seen {
		l.rejected = nil // not when restoring the last good one
	}
	l.mu.Unlock()
	sort.Strings(changed)
	wctx := context.WithoutCancel(ctx)
	for _, slug := range gone {
		if err := l.store.DeleteRetry(wctx, slug); err != nil {
			l.log.Warn("forget retry", "tenant", slug, "err", err)
		}
	}
	l.metrics.Accepted(repo.Revision, now)
	l.log.Info("revision accepted", "revision", repo.Revision, "tenants", len(repo.Tenants), "changed", len(changed))
	if err := l.store.RecordRevision(wctx, state.Revision{Revision: repo.Revision, Status: state.RevisionAccepted, SeenBy: l.cfg.Replica}); err != nil {
		l.log.Error("record accepted revision", "revision", repo.Revision, "err", err)
	}
	if removed && l.isLeader() {
		// Runs of some tenants only do not mark the others; do it here.
		keep := make([]string, 0, len(repo.Tenants))
		for _, t := range repo.Tenants {
			keep = append(keep, t.Slug)
		}
		if err := l.store.MarkRemoved(wctx, keep); err != nil {
			l.log.Warn("mark removed tenants", "err", err)
		}
	}
	return changed
}

// loadAt reads the repository at an earlier revision: what a tenant was
// last applied at, to tell rows removed from git (deleted) and drops from
// what the tenant holds of its own. It needs a git repository that still
// holds the commit.
func (l *Loop) loadAt(ctx context.Context, revision string) (*desired.Repo, error) {
	src := l.cfg.Source
	src.Ref = revision
	co, err := desired.Open(ctx, src)
	if err != nil {
		return nil, err
	}
	opts := desired.LoadOptions{Servers: l.cfg.Servers, Reserved: l.cfg.Reserved}
	if !desired.IsRemote(src.Repo) {
		opts.Dir, _ = filepath.Abs(src.Repo)
	}
	return desired.Load(co.FS, co.Revision, opts)
}

// restoreLastGood loads the last revision accepted (by any replica, before
// a restart) when the newest one is rejected and none is in force, so the
// last good revision stays in force across restarts. It needs a git
// repository that still holds the commit.
func (l *Loop) restoreLastGood(ctx context.Context) {
	revs, err := l.store.Revisions(ctx, state.RevisionAccepted, 1)
	if err != nil || len(revs) == 0 {
		return
	}
	src := l.cfg.Source
	src.Ref = revs[0].Revision
	co, err := desired.Open(ctx, src)
	if err != nil {
		l.log.Warn("last good revision not readable", "revision", revs[0].Revision, "err", redact.Text(err.Error()))
		return
	}
	repo, problems := l.load(co)
	if len(problems) > 0 {
		return
	}
	l.log.Info("last good revision restored", "revision", repo.Revision)
	l.accept(ctx, repo)
}

// fingerprints hash, per tenant, everything its reconcile depends on: its
// manifest's effective fields, its server, the database options and every
// file of its layers, its data files included. Equal fingerprints mean an equal desired schema and
// policy, so the tenant has nothing new to apply.
func fingerprints(repo *desired.Repo) map[string]string {
	out := make(map[string]string, len(repo.Tenants))
	for _, t := range repo.Tenants {
		h := sha256.New()
		url := ""
		if def := repo.Config.Servers[t.Server]; def != nil {
			url = def.URL
		}
		db := repo.Config.Database
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%t\x00%s\x00%s\x00%s\x00", t.Server, url, t.Database, t.Lifecycle,
			t.AllowDestructive, t.DriftPolicy, db.Charset, db.Collation)
		for _, layer := range t.Layers {
			fmt.Fprintf(h, "layer\x00%s\x00", layer.Name)
			files := append(slices.Clone(layer.Files), layer.Data...)
			sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
			for _, f := range files {
				fmt.Fprintf(h, "%s\x00%d\x00", f.Path, len(f.Data))
				h.Write(f.Data)
			}
		}
		out[t.Slug] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}
