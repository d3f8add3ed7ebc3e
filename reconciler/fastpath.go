package reconciler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// fingerprintStore is a Store that keeps each tenant's live fingerprint at
// its last clean, verified reconcile (the landlord database does).
type fingerprintStore interface {
	TenantFingerprints(ctx context.Context) (map[string]state.Fingerprint, error)
	SetTenantFingerprint(ctx context.Context, tenant string, f state.Fingerprint) error
}

// fastPath is what a reconcile knows before it inspects any tenant: the
// live fingerprints of the tenants on MySQL and MariaDB servers, read in
// bulk per server, and the fingerprints recorded at each tenant's last
// clean, verified reconcile with their basis.
//
// A tenant whose live fingerprint is the recorded one, on the same basis
// (the same desired hash, database and comparison settings), has the
// schema it had when it was verified to match that desired schema: it is
// unchanged without being inspected, diffed or locked. Every other tenant
// takes the full path. The fingerprint covers every attribute drift
// compares (schema.Fingerprints), so this is no blind spot for drift.
type fastPath struct {
	store    fingerprintStore
	recorded map[string]state.Fingerprint
	live     map[string]string // by slug

	mu sync.Mutex
	// applied is the fingerprint of each tenant changed by the run, read
	// after its apply and before its verify (by slug).
	applied map[string]string
	// verified are the schemas tenants were changed to in this run and
	// verified by inspection, by alikeKey: another tenant changed to the
	// same fingerprint is verified by it (verifiedAlike).
	verified map[alikeKey]verifiedSchema
	// waiting counts the tenants of each likeKey, not pinned, not
	// observed yet (keys of one tenant are left out); inspected holds the
	// live schema inspected of one of them and its hash, for the others
	// to be observed by (liveAlike), until none waits for it. keptTables
	// counts the tables of the schemas inspected holds.
	waiting    map[likeKey]int
	inspected  map[likeKey]sharedLive
	keptTables int
	// like is the likeKey of each tenant whose key has two tenants or
	// more (by slug): read once, after the fingerprints.
	like map[string]likeKey
	// touched are the schemas tenants of a likeGroup were changed to in
	// this run and verified by inspection, by the fingerprint of the
	// tables their plan changed (verifiedTouched); touchable the same keys
	// without the fingerprint, which a tenant looks up before it reads
	// one. keptBytes counts the snapshots verified and touched hold.
	touched   map[touchedKey]verifiedSchema
	touchable map[touchedKey]bool
	keptBytes int
}

// touchedKey identifies a schema verified in this run by what a tenant of
// the same likeGroup, planned from the same live schema, must share with
// it to be verified by it: the desired hash and drift policy, the tables
// the plan changed and their fingerprint after the apply.
type touchedKey struct {
	likeGroup
	desiredHash, drift, tables, fingerprint string
}

// likeGroup is what tenants share when their live schemas are the same:
// the fingerprint (which has no database name in it), the server, and for
// tenants as last verified (their live fingerprint the recorded one) the
// hash of the baseline snapshot it was verified as. baseline is empty for
// a group of tenants whose fingerprints moved alike since their last
// verify, or that have open drift (a change made by hand to every tenant
// of a fleet: movedAlike).
type likeGroup struct {
	fingerprint, baseline, server string
}

// sharedLive is a live schema inspected in this run, kept for the other
// tenants of its likeKey, and its hash.
type sharedLive struct {
	live *schema.Live
	hash string
}

// likeKey is a likeGroup and the tenants' layer set: the desired schema
// the live one was read for (what the comparison settings leave out of it
// depends on it). On one server, one layer set is one desired schema.
type likeKey struct {
	likeGroup
	layers string
}

// The bounds of what a run keeps for tenants alike: at most maxInspected
// live schemas of maxKeptTables tables in all for liveAlike, and at most
// maxInspected verified schemas of each kind, of maxKeptBytes of snapshots
// in all, for verifiedAlike and verifiedTouched. Beyond them a tenant is
// inspected and verified as any other.
const (
	maxInspected = 64
	maxKeptBytes = 32 << 20
)

// maxKeptTables is a variable for the test of the bound.
var maxKeptTables = 4096

// verifiedSchema is a schema a tenant was changed to in this run and
// verified by inspection: its hash, the baseline snapshot recorded of it
// and its fingerprint.
type verifiedSchema struct {
	liveHash, fingerprint string
	snapshot              state.Snapshot
}

// alikeKey identifies a schema verified in this run by what another tenant
// must share with it to be verified by it: the fingerprint read after the
// apply (which has no database name in it), the desired hash, the server
// and the drift policy (the comparison settings are the run's).
type alikeKey struct {
	fingerprint, desiredHash, server, drift string
}

// verifiedAlike verifies a tenant the run just changed by the fingerprint
// read after its apply, when a tenant changed in this run to the same
// desired schema read the same fingerprint and was verified by inspection:
// the fingerprint covers everything the verify compares, so the two
// schemas are the same. It records what recordApplied and
// rememberFingerprint would (the baseline snapshot, no drift, the
// fingerprint) without inspecting, planning, hashing or marshalling the
// schema again. It reports false, changing nothing, when the tenant must
// be verified by inspection: no such tenant yet, drift found or left, or
// reference data to verify.
func (ru *run) verifiedAlike(ctx context.Context, t *desired.Tenant, dec *decision, tr *TenantResult) (bool, error) {
	if ru.fast == nil || ru.opts.Plan || ru.store == nil || dec.data != nil || len(dec.leave) > 0 || len(dec.drift) > 0 {
		return false, nil
	}
	ru.fast.mu.Lock()
	fp := ru.fast.applied[t.Slug]
	v, ok := ru.fast.verified[alikeKey{fp, tr.DesiredHash, t.Server, t.DriftPolicy}]
	ru.fast.mu.Unlock()
	if fp == "" || !ok {
		return false, nil
	}
	return true, ru.recordAlike(ctx, t, v, tr)
}

// recordAlike records t, just changed, as verified by v: what
// recordApplied and rememberFingerprint would record (the baseline
// snapshot, no drift, the fingerprint).
func (ru *run) recordAlike(ctx context.Context, t *desired.Tenant, v verifiedSchema, tr *TenantResult) error {
	tr.LiveHash = v.liveHash
	if v.snapshot.Hash != ru.snaps[t.Slug] {
		snap := v.snapshot
		snap.ID, snap.Tenant, snap.RunID, snap.Revision = 0, t.Slug, ru.id, ru.revision
		if err := ru.addSnapshot(ctx, snap); err != nil {
			return err
		}
	}
	ru.recordDrift(ctx, t, nil)
	if err := ru.fast.store.SetTenantFingerprint(ctx, t.Slug, state.Fingerprint{Fingerprint: v.fingerprint, Basis: ru.basis(t, tr.DesiredHash)}); err != nil {
		ru.log.Warn("record fingerprint", "tenant", t.Slug, "run_id", ru.id, "err", err)
	}
	ru.log.Debug("verified by fingerprint", "tenant", t.Slug, "run_id", ru.id)
	tr.alike = true
	return nil
}

// verifiedTouched verifies a tenant planned from the schema of a tenant
// alike (liveAlike) by the fingerprint of the tables its plan changed,
// read after the apply: when a tenant of its likeGroup, changed to the
// same desired schema by the same tables, was verified by inspection and
// read the same fingerprint of them. Both schemas were the same before
// the apply (their fingerprints then were), and the same statements ran
// on both: what they did to other objects too (a view's columns, a key
// referencing a renamed column) they did alike. The tables they changed
// read the same after, and the others are as the run's fingerprints read
// them: the two schemas are the same, and the tenant's fingerprint is the
// verified one's. A table changed out of band
// since the run's fingerprints were read, other than those the plan
// changed, is not seen here; the next run sees it, as the tenant's
// fingerprint no longer is the one recorded. It reports false, changing
// nothing, when the tenant must be verified otherwise.
func (ru *run) verifiedTouched(ctx context.Context, t *desired.Tenant, obs *observation, dec *decision, tr *TenantResult) (bool, error) {
	if !obs.alike || ru.fast == nil || ru.opts.Plan || ru.store == nil || dec.data != nil || len(dec.leave) > 0 || len(dec.drift) > 0 {
		return false, nil
	}
	g, ok := ru.likeOf(t)
	tables, changed := planTables(dec.plan)
	if !ok || !changed {
		return false, nil
	}
	key := touchedKey{g.likeGroup, tr.DesiredHash, t.DriftPolicy, strings.Join(tables, "\x00"), ""}
	ru.fast.mu.Lock()
	touchable := ru.fast.touchable[key]
	ru.fast.mu.Unlock()
	if !touchable {
		return false, nil
	}
	fp, err := obs.target.TablesFingerprint(ctx, tables)
	if err != nil {
		ru.log.Debug("fingerprint of the changed tables", "tenant", t.Slug, "run_id", ru.id, "err", err)
		return false, nil // verified by its whole fingerprint, or by inspection
	}
	key.fingerprint = fp
	ru.fast.mu.Lock()
	v, ok := ru.fast.touched[key]
	ru.fast.mu.Unlock()
	if !ok {
		return false, nil
	}
	tr.alikeTables = true
	return true, ru.recordAlike(ctx, t, v, tr)
}

// planTables returns the tables p changes, in order, and false when a
// statement changes no table (or the database), p creates the database,
// or it changes more than maxTouchedTables tables (their fingerprint,
// two round trips a table, would cost more than the database's).
func planTables(p *schema.Plan) ([]string, bool) {
	if p == nil || p.Create || len(p.Statements) == 0 {
		return nil, false
	}
	var tables []string
	for _, st := range p.Statements {
		if st.Table == "" {
			return nil, false
		}
		tables = append(tables, st.Table)
	}
	tables = slices.Compact(slices.Sorted(slices.Values(tables)))
	return tables, len(tables) <= maxTouchedTables
}

// maxTouchedTables bounds the tables verifiedTouched reads.
const maxTouchedTables = 8

// touchedOf returns the touchedKey under which the schema t was changed
// to may verify other tenants (verifiedTouched), with the fingerprint of
// the tables its plan changed: when t was as last verified with its
// baseline's schema before the apply, other tenants share its likeKey,
// and there is room. ok is false otherwise. Read before the verify's last
// fingerprint read, which brackets it.
func (ru *run) touchedOf(ctx context.Context, t *desired.Tenant, obs *observation, dec *decision, desiredHash string) (touchedKey, bool) {
	g, ok := ru.likeOf(t)
	if !ok || g.baseline == "" || dec.liveHash != g.baseline {
		return touchedKey{}, false
	}
	tables, changed := planTables(dec.plan)
	ru.fast.mu.Lock()
	room := len(ru.fast.touched) < maxInspected && ru.fast.keptBytes < maxKeptBytes
	ru.fast.mu.Unlock()
	if !changed || !room {
		return touchedKey{}, false
	}
	fp, err := obs.target.TablesFingerprint(ctx, tables)
	if err != nil {
		ru.log.Debug("fingerprint of the changed tables", "tenant", t.Slug, "run_id", ru.id, "err", err)
		return touchedKey{}, false
	}
	return touchedKey{g.likeGroup, desiredHash, t.DriftPolicy, strings.Join(tables, "\x00"), fp}, true
}

// snapshotBytes is what a kept snapshot holds.
func snapshotBytes(v verifiedSchema) int { return len(v.snapshot.HCL) + len(v.snapshot.DDL) }

// loadFingerprints sets ru.fast for a reconcile or a plan against live
// databases with a landlord database; a failure only leaves it unset (every
// tenant takes the full path).
func (ru *run) loadFingerprints(ctx context.Context, tenants []*desired.Tenant) {
	if ru.mode != modeReconcile || ru.opts.Against != AgainstLive || ru.target != nil {
		return
	}
	ru.readFingerprints(ctx, tenants)
}

// readFingerprints sets ru.fast: the recorded fingerprints and the live
// ones of tenants, in bulk per server.
func (ru *run) readFingerprints(ctx context.Context, tenants []*desired.Tenant) {
	fs, ok := ru.store.(fingerprintStore)
	if !ok {
		return
	}
	recorded, err := fs.TenantFingerprints(ctx)
	if err != nil {
		ru.log.Warn("read fingerprints", "err", err)
		return
	}
	if len(recorded) == 0 && ru.opts.Plan {
		return
	}
	fp := &fastPath{store: fs, recorded: recorded, live: map[string]string{}}
	byServer := map[string][]*desired.Tenant{}
	var order []string
	for _, t := range tenants {
		if !t.Valid() || t.Lifecycle != desired.Active {
			continue
		}
		if _, ok := byServer[t.Server]; !ok {
			order = append(order, t.Server)
		}
		byServer[t.Server] = append(byServer[t.Server], t)
	}
	for _, name := range order {
		srv, err := ru.server(ctx, ru.repo, name)
		if err != nil || (srv.Engine() != schema.MySQL && srv.Engine() != schema.MariaDB) {
			continue // the tenants fail or take the full path
		}
		ts := byServer[name]
		dbs := make([]string, len(ts))
		for i, t := range ts {
			dbs[i] = t.Database
		}
		start := time.Now()
		live, err := srv.Fingerprints(ctx, dbs)
		ru.log.Debug("read fingerprints", "server", name, "databases", len(dbs), "duration", time.Since(start), "err", err)
		if err != nil {
			ru.log.Warn("read fingerprints", "server", name, "err", err)
			continue
		}
		for _, t := range ts {
			if f, ok := live[t.Database]; ok {
				fp.live[t.Slug] = f
			}
		}
	}
	ru.fast = fp
	fp.waiting, fp.like = map[likeKey]int{}, map[string]likeKey{}
	for _, t := range tenants {
		if _, pinned := ru.pins[t.Slug]; pinned {
			continue
		}
		g, ok := ru.asVerified(t)
		if !ok {
			g, ok = ru.movedAlike(t)
		}
		if ok {
			k := likeKey{g, t.LayerKey()}
			fp.like[t.Slug] = k
			fp.waiting[k]++
		}
	}
	for slug, k := range fp.like {
		if fp.waiting[k] < 2 {
			delete(fp.like, slug)
		}
	}
	for k, n := range fp.waiting {
		if n < 2 {
			delete(fp.waiting, k)
		}
	}
}

// asVerified returns the likeGroup of t when its live fingerprint is the
// one recorded at its last clean, verified reconcile, on the basis of its
// baseline snapshot (the schema then verified is its baseline), with no
// drift open: its live schema is its baseline's.
func (ru *run) asVerified(t *desired.Tenant) (likeGroup, bool) {
	if !t.Valid() || t.Lifecycle != desired.Active {
		return likeGroup{}, false
	}
	live, ok := ru.fast.live[t.Slug]
	rec, recorded := ru.fast.recorded[t.Slug]
	base := ru.snaps[t.Slug]
	if !ok || !recorded || base == "" || live != rec.Fingerprint || ru.drifted[t.Slug].Open > 0 || ru.basis(t, base) != rec.Basis {
		return likeGroup{}, false
	}
	return likeGroup{live, base, t.Server}, true
}

// movedAlike returns the likeGroup of t, with no baseline, when it is not
// as last verified but its live fingerprint was read and it has a
// baseline: tenants whose schemas moved alike (the same change made by
// hand to each) share an inspection too, checked by a fingerprint read
// again after it (shareLive).
func (ru *run) movedAlike(t *desired.Tenant) (likeGroup, bool) {
	if !t.Valid() || t.Lifecycle != desired.Active || ru.snaps[t.Slug] == "" {
		return likeGroup{}, false
	}
	live, ok := ru.fast.live[t.Slug]
	if !ok || live == "" {
		return likeGroup{}, false
	}
	return likeGroup{fingerprint: live, server: t.Server}, true
}

// likeOf returns the likeKey of t when another tenant of the run shares
// its key (asVerified, movedAlike): only then can a schema be shared.
func (ru *run) likeOf(t *desired.Tenant) (likeKey, bool) {
	if ru.fast == nil {
		return likeKey{}, false
	}
	k, ok := ru.fast.like[t.Slug]
	return k, ok
}

// liveAlike returns the live schema of t as inspected of another tenant in
// this run, and its hash, or nil when t must be inspected. Both have the
// same fingerprint, on the same server, and either both are as last
// verified with the same baseline (asVerified) or their schemas moved
// alike (movedAlike): the fingerprint covers every attribute an
// inspection reads, so the two schemas are the same but for the
// database's name, which plans and comparisons do not read from a live
// schema. An apply verifies what it did as ever: a schema changed out of
// band since the fingerprints were read is found then.
func (ru *run) liveAlike(t *desired.Tenant) (*schema.Live, string) {
	k, ok := ru.likeOf(t)
	if !ok {
		return nil, ""
	}
	ru.fast.mu.Lock()
	defer ru.fast.mu.Unlock()
	shared, ok := ru.fast.inspected[k]
	if !ok {
		return nil, ""
	}
	return shared.live, shared.hash
}

// staleAlikeError is the failed apply or verify of a tenant planned from
// the schema of a tenant alike (liveAlike) that says its schema is not
// that one's: it changed out of band since the fingerprints were read. It
// is transient: the next run sees its fingerprint moved and inspects it.
type staleAlikeError struct{ err error }

func (e *staleAlikeError) Error() string {
	return e.err.Error() + " (planned from the schema of a tenant with the same fingerprint, read at the start of the run: the tenant may have changed since; the next run inspects it)"
}

func (e *staleAlikeError) Unwrap() error { return e.err }

// changedSinceRead returns err, as a staleAlikeError when the tenant was
// observed by a tenant alike and err says that its schema is not the one
// planned from: a failed verify, or a statement the server refused for an
// object that exists or does not (schemaMismatch). Any other failure (a
// statement timeout, a row that breaks a new key, a refused statement)
// keeps its class, as a tenant inspected would.
func changedSinceRead(obs *observation, err error, verify bool) error {
	if err == nil || !obs.alike {
		return err
	}
	var my *gomysql.MySQLError
	if verify || errors.As(err, &my) && schemaMismatch[my.Number] {
		return &staleAlikeError{err}
	}
	return err
}

// schemaMismatch are the errors of MySQL and MariaDB that a statement
// planned for another schema than the live one gets: a table, column,
// index or key that exists already, or does not.
var schemaMismatch = map[uint16]bool{
	1050: true, // table already exists
	1051: true, // unknown table
	1054: true, // unknown column
	1060: true, // duplicate column name
	1061: true, // duplicate key name
	1091: true, // can't drop: does not exist
	1146: true, // table does not exist
	1826: true, // duplicate foreign key constraint name
	3822: true, // duplicate check constraint name (MySQL)
}

// shareLive keeps the live schema inspected of t for the other tenants of
// its likeKey, when another tenant may use it and it is the schema the
// group's fingerprint was read of: for tenants as last verified, the hash
// compute took is the baseline's (nothing changed it since the
// fingerprints were read); for a group moved alike, which has no
// baseline to check by, t's fingerprint read again now, after the
// inspection and under its lock, is still the group's.
//
// Every tenant of a likeKey that gets here was observed: it waits no more,
// and the schema is dropped once none does.
func (ru *run) shareLive(ctx context.Context, t *desired.Tenant, obs *observation, dec *decision) {
	k, ok := ru.likeOf(t)
	if !ok {
		return
	}
	moved := k.baseline == ""
	still := false
	if moved && !obs.alike && dec.liveHash != "" && ru.wouldShare(k) {
		fp, err := obs.target.Fingerprint(ctx)
		still = err == nil && fp == k.fingerprint
	}
	ru.fast.mu.Lock()
	defer ru.fast.mu.Unlock()
	n, waits := ru.fast.waiting[k]
	if !waits {
		return
	}
	if n <= 1 {
		delete(ru.fast.waiting, k)
		if shared, ok := ru.fast.inspected[k]; ok {
			ru.fast.keptTables -= len(shared.live.Tables())
			delete(ru.fast.inspected, k)
		}
		return
	}
	ru.fast.waiting[k] = n - 1
	if _, ok := ru.fast.inspected[k]; ok || obs.alike || moved && !still || !moved && dec.liveHash != k.baseline {
		return
	}
	tables := len(obs.live.Tables())
	if len(ru.fast.inspected) >= maxInspected || ru.fast.keptTables+tables > maxKeptTables {
		return
	}
	if ru.fast.inspected == nil {
		ru.fast.inspected = map[likeKey]sharedLive{}
	}
	ru.fast.inspected[k] = sharedLive{obs.live, dec.liveHash}
	ru.fast.keptTables += tables
}

// wouldShare reports whether a schema inspected for k would be kept for
// others (shareLive): another tenant waits for it and none is kept yet.
func (ru *run) wouldShare(k likeKey) bool {
	ru.fast.mu.Lock()
	defer ru.fast.mu.Unlock()
	_, kept := ru.fast.inspected[k]
	return ru.fast.waiting[k] > 1 && !kept
}

// basis is what a tenant's recorded fingerprint was verified on: its
// desired hash, its database and server, and the settings that decide
// what a no-op is (comparison ignores, drift policy).
func (ru *run) basis(t *desired.Tenant, desiredHash string) string {
	h := sha256.New()
	fmt.Fprintf(h, "basis 1\x00%s\x00%s\x00%s\x00%s\x00%+v", desiredHash, t.Server, t.Database, t.DriftPolicy, ru.repo.Config.Comparison)
	return hex.EncodeToString(h.Sum(nil))
}

// fastNoop reports whether t is unchanged by its fingerprint, and fills tr
// as a verified no-op if so.
func (ru *run) fastNoop(ctx context.Context, t *desired.Tenant, tr *TenantResult) bool {
	if ru.fast == nil || declaresData(t) {
		return false
	}
	live, ok := ru.fast.live[t.Slug]
	rec, recorded := ru.fast.recorded[t.Slug]
	if !ok || !recorded || live != rec.Fingerprint || ru.drifted[t.Slug].Open > 0 {
		return false
	}
	srv, err := ru.tenantServer(ctx, t)
	if err != nil {
		return false
	}
	d, err := ru.desiredFor(srv.Engine(), t)
	if err != nil {
		return false
	}
	// The baseline snapshot must be the desired schema too, as a clean
	// reconcile leaves it: a baseline recorded since (a rollback, a
	// repair) takes the full path, which compares live with it.
	dh, err := srv.DesiredHash(ctx, d)
	if err != nil || ru.basis(t, dh) != rec.Basis || ru.snaps[t.Slug] != dh {
		return false
	}
	tr.Action, tr.Changes, tr.DesiredHash, tr.LiveHash = ActionNoop, []Change{}, dh, dh
	tr.fast = true
	return true
}

// declaresData reports whether a layer of t declares reference data rows.
// Such a tenant always takes the full path: a fingerprint is read from the
// catalog, and rows changed out of band (or in git) do not move it.
func declaresData(t *desired.Tenant) bool {
	for _, l := range t.Layers {
		if len(l.Data) > 0 {
			return true
		}
	}
	return false
}

// fingerprintApplied reads t's fingerprint after its plan applied and
// before the verify inspects it: the fingerprint that rememberFingerprint
// records if the one it reads after the verify is the same.
func (ru *run) fingerprintApplied(ctx context.Context, t *desired.Tenant, obs *observation) {
	if ru.fast == nil || ru.opts.Plan || obs.srv.Engine() != schema.MySQL && obs.srv.Engine() != schema.MariaDB {
		return
	}
	fp, err := obs.target.Fingerprint(ctx)
	if err != nil {
		fp = "" // no record matches it
	}
	ru.fast.mu.Lock()
	defer ru.fast.mu.Unlock()
	if ru.fast.applied == nil {
		ru.fast.applied = map[string]string{}
	}
	ru.fast.applied[t.Slug] = fp
}

// rememberFingerprint records t's fingerprint after a clean, verified
// reconcile: live equal to desired, no drift found or left. Only when the
// fingerprint read before the verify inspected the tenant (before it was
// inspected at all, for a tenant the run did not change; after the apply,
// for one it changed) is the one read now is it known to be the
// fingerprint of the schema that was verified.
func (ru *run) rememberFingerprint(ctx context.Context, t *desired.Tenant, obs *observation, dec *decision, tr *TenantResult) {
	if ru.fast == nil || ru.opts.Plan {
		return
	}
	ru.fast.mu.Lock()
	before := ru.fast.live[t.Slug]
	if applied, ok := ru.fast.applied[t.Slug]; ok {
		before = applied
	}
	ru.fast.mu.Unlock()
	if before == "" || tr.LiveHash == "" || tr.LiveHash != tr.DesiredHash || len(dec.leave) > 0 || len(dec.drift) > 0 {
		return
	}
	basis := ru.basis(t, tr.DesiredHash)
	if rec := ru.fast.recorded[t.Slug]; rec.Fingerprint == before && rec.Basis == basis {
		return
	}
	ru.fast.mu.Lock()
	_, changed := ru.fast.applied[t.Slug]
	ru.fast.mu.Unlock()
	var touched touchedKey
	canTouch := false
	if changed && obs.baseline != nil && dec.data == nil {
		touched, canTouch = ru.touchedOf(ctx, t, obs, dec, tr.DesiredHash)
	}
	now, err := obs.target.Fingerprint(ctx)
	if err != nil || now != before {
		return
	}
	if err := ru.fast.store.SetTenantFingerprint(ctx, t.Slug, state.Fingerprint{Fingerprint: before, Basis: basis}); err != nil {
		ru.log.Warn("record fingerprint", "tenant", t.Slug, "run_id", ru.id, "err", err)
	}
	// A tenant changed by the run and verified by inspection verifies the
	// next ones changed to the same fingerprint, or in its likeGroup by
	// the same tables to the same fingerprint of them.
	if !changed || obs.baseline == nil || dec.data != nil {
		return
	}
	v := verifiedSchema{liveHash: tr.LiveHash, fingerprint: before, snapshot: *obs.baseline}
	ru.fast.mu.Lock()
	defer ru.fast.mu.Unlock()
	if ru.fast.keptBytes >= maxKeptBytes {
		return
	}
	if len(ru.fast.verified) < maxInspected {
		if ru.fast.verified == nil {
			ru.fast.verified = map[alikeKey]verifiedSchema{}
		}
		k := alikeKey{before, tr.DesiredHash, t.Server, t.DriftPolicy}
		if _, again := ru.fast.verified[k]; !again {
			ru.fast.keptBytes += snapshotBytes(v)
		}
		ru.fast.verified[k] = v
	}
	if canTouch && len(ru.fast.touched) < maxInspected {
		if ru.fast.touched == nil {
			ru.fast.touched, ru.fast.touchable = map[touchedKey]verifiedSchema{}, map[touchedKey]bool{}
		}
		if _, again := ru.fast.touched[touched]; !again {
			ru.fast.keptBytes += snapshotBytes(v)
		}
		ru.fast.touched[touched] = v
		prefix := touched
		prefix.fingerprint = ""
		ru.fast.touchable[prefix] = true
	}
}

// fastClean reports whether t has no drift by its fingerprint: the live
// fingerprint is the one recorded at its last clean, verified reconcile,
// its baseline snapshot is still the schema verified then (the basis of
// the record is that of the baseline's hash), and no drift is open. It
// fills the baseline of td.
func (ru *run) fastClean(ctx context.Context, t *desired.Tenant, td *TenantDrift) bool {
	if ru.fast == nil || declaresData(t) {
		return false
	}
	live, ok := ru.fast.live[t.Slug]
	rec, recorded := ru.fast.recorded[t.Slug]
	base := ru.snaps[t.Slug]
	if !ok || !recorded || base == "" || live != rec.Fingerprint || ru.drifted[t.Slug].Open > 0 || ru.basis(t, base) != rec.Basis {
		return false
	}
	snap, ok, err := ru.store.BaselineInfo(ctx, t.Slug)
	if err != nil || !ok || snap.Hash != base {
		return false
	}
	td.Baseline = &Baseline{SnapshotID: snap.ID, RunID: snap.RunID, Revision: snap.Revision, TakenAt: snap.CreatedAt}
	td.Status, td.Drift = DriftClean, []state.Drift{}
	return true
}

// batchStore is a Store that records many tenants and what a run did to
// them in one transaction (the landlord database does).
type batchStore interface {
	SaveTenantRuns(ctx context.Context, tenants []state.Tenant, runs []state.TenantRun) error
}

// noopBatch is how many no-ops by fingerprint a run records at once.
const noopBatch = 256

// recordNoop queues the records of a tenant that is a no-op by its
// fingerprint, and writes the queue once it holds noopBatch of them; it
// reports false when the store records one tenant at a time.
func (ru *run) recordNoop(ctx context.Context, rec state.Tenant, tr state.TenantRun) bool {
	if _, ok := ru.store.(batchStore); !ok {
		return false
	}
	ru.mu.Lock()
	ru.noopTenants = append(ru.noopTenants, rec)
	ru.noopRuns = append(ru.noopRuns, tr)
	full := len(ru.noopTenants) >= noopBatch
	ru.mu.Unlock()
	if full {
		ru.flushNoops(ctx)
	}
	return true
}

// flushNoops writes the queued records of no-ops by fingerprint.
func (ru *run) flushNoops(ctx context.Context) {
	bs, ok := ru.store.(batchStore)
	if !ok {
		return
	}
	ru.mu.Lock()
	tenants, runs := ru.noopTenants, ru.noopRuns
	ru.noopTenants, ru.noopRuns = nil, nil
	ru.mu.Unlock()
	if len(tenants) == 0 {
		return
	}
	if err := bs.SaveTenantRuns(ctx, tenants, runs); err != nil {
		ru.log.Error("record unchanged tenants", "tenants", len(tenants), "run_id", ru.id, "err", err)
	}
}
