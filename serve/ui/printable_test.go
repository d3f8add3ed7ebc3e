package ui_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/serve/daemon"
	"github.com/landlord/landlord/state"
)

// hostile is a name a tenant database may hold: a bidirectional override,
// a terminal escape, a line break and a C1 control. escaped is how the
// pages write it.
const (
	hostile = "tbl\u202eexe\x1b[31m\nok\u009b"
	escaped = `tbl\u202eexe\x1b[31m\nok\u009b`
)

// Names of a live database and the errors that quote them, recorded in
// the landlord database, are rendered with what is not printable
// escaped: html/template escapes markup, not control characters nor
// bidirectional overrides.
func TestPagesEscapeUnprintable(t *testing.T) {
	e := newEnv(t)
	e.start(t)
	e.drift(t)
	ctx := context.Background()

	// A table made by hand in the tenant's SQLite file: drift, and a
	// repair that would drop it.
	ten, _, err := e.store.Tenant(ctx, drifted)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(e.dir, "tenants", ten.Database+"*"))
	db, err := sql.Open("sqlite", "file:"+files[0]+"?_pragma=busy_timeout(15000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE "` + hostile + `" (id integer PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := e.loop.Reconcile(ctx, daemon.Request{Tenants: []string{drifted}, Trigger: "api", Actor: "test"}); err != nil {
		t.Fatal(err)
	}

	// Errors that quote the name (and a byte that is not UTF-8), as a
	// failed run records them.
	msg := "inspect `" + hostile + "`: bad\xff"
	ten, _, err = e.store.Tenant(ctx, drifted)
	if err != nil {
		t.Fatal(err)
	}
	ten.LastError = msg
	if err := e.store.SaveTenant(ctx, ten); err != nil {
		t.Fatal(err)
	}
	run, err := e.store.StartRun(ctx, "api", "test", ten.LastAppliedRevision)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := e.store.RecordTenantRun(ctx, state.TenantRun{RunID: run, Tenant: drifted, Revision: ten.LastAppliedRevision, Action: "repair",
		Outcome: state.OutcomeFailed, Statements: 1, Error: msg, StartedAt: now, FinishedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddStatements(ctx, []state.Statement{{RunID: run, Tenant: drifted, Seq: 1, Layer: "drift",
		SQL: "DROP TABLE `" + hostile + "`", Destructive: true, Status: state.StatementFailed, Error: msg}}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.FinishRun(ctx, run, state.OutcomeFailed, state.Counts{Total: 1, Failed: 1}, 0, msg); err != nil {
		t.Fatal(err)
	}
	if err := e.store.StartBackup(ctx, state.Backup{ID: "hostile-backup", Tenant: drifted, Database: ten.Database, Kind: "manual",
		Status: "running", StartedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.FinishBackup(ctx, "hostile-backup", "failed", 0, 0, 0, msg); err != nil {
		t.Fatal(err)
	}
	last, _, err := e.store.LatestSnapshot(ctx, drifted)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddSnapshot(ctx, state.Snapshot{Tenant: drifted, Revision: last.Revision, Kind: state.SnapshotManual,
		Engine: last.Engine, Hash: "hostile", HCL: last.HCL + "\ntable \"" + hostile + "\" {\n}\n"}); err != nil {
		t.Fatal(err)
	}
	snaps, err := e.store.Snapshots(ctx, drifted)
	if err != nil || len(snaps) < 2 {
		t.Fatalf("snapshots %v %v", snaps, err)
	}

	c, csrf := e.client(t, operateToken)
	check := func(what, page, name string) {
		t.Helper()
		if r, ok := testenv.RawUnprintable(page); ok {
			i := strings.IndexRune(page, r)
			t.Errorf("%s holds the raw character %U: …%q…", what, r, page[max(0, i-80):min(len(page), i+80)])
		}
		if !strings.Contains(page, name) {
			t.Errorf("%s does not name %s", what, name)
		}
	}
	for _, p := range []string{"/ui/tenants/" + drifted, "/ui/drift", fmt.Sprintf("/ui/runs/%d", run)} {
		check(p, get(t, c, e.url+p), escaped)
	}
	// The diff shows a snapshot line by line: the name's line break ends
	// its line there.
	diff := fmt.Sprintf("/ui/tenants/%s/diff?a=%d&b=%d", drifted, snaps[1].ID, snaps[0].ID)
	check(diff, get(t, c, e.url+diff), `tbl\u202eexe\x1b[31m`)
	if !strings.Contains(get(t, c, e.url+"/ui/tenants/"+drifted), `bad\xff`) {
		t.Errorf("the tenant page does not show the byte that is not UTF-8 as \\xff")
	}
	code, page := post(t, c, e.url+"/ui/tenants/"+drifted+"/repair", url.Values{"csrf": {csrf}, "preview": {"1"}})
	if code != 200 {
		t.Fatalf("repair preview: %d\n%s", code, page)
	}
	check("repair preview", page, escaped)
	page = get(t, c, e.url+"/ui/fleet?flash="+url.QueryEscape(msg))
	check("flash", page, escaped)
}
