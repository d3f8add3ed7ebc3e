package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/landlord/landlord/internal/testenv"
	"github.com/landlord/landlord/state"
)

// commit commits every file of the repository and returns the commit hash.
func (c *cli) commit(msg string) string {
	c.t.Helper()
	repo, err := git.PlainOpen(c.repo)
	if err == git.ErrRepositoryNotExists {
		repo, err = git.PlainInit(c.repo, false)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		c.t.Fatal(err)
	}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "test", Email: "test@example.org", When: time.Now()}})
	if err != nil {
		c.t.Fatal(err)
	}
	return h.String()
}

func (c *cli) status(slug string) state.Status {
	c.t.Helper()
	var s state.Status
	c.decode(c.mustRaw(0, "status", slug, "--state", c.state, "--output", "json"), &s)
	return s
}

// TestRollback is the rollback acceptance on MariaDB: rolling a tenant back
// to the revision before a column was added removes the column only with
// --allow-destructive and pins the tenant; reconcile leaves it; unpin and
// reconcile add the column back. A rollback to a run restores the
// snapshot that run recorded.
func TestRollback(t *testing.T) {
	c := newCLI(t)
	before := c.commit("the example")
	testenv.Replace(t, c.repo, "layers/modules/social/social.hcl", `  column "avatar_url" {`, `  column "bio" {
    type = varchar(255)
    null = true
  }
  column "avatar_url" {`)
	after := c.commit("social: users.bio")
	c.must(0, "reconcile")
	for _, slug := range []string{"rastriya-swatantra", "nepali-congress"} {
		if !c.hasColumn(slug, "users", "bio") {
			t.Fatalf("%s has no users.bio after reconcile", slug)
		}
	}

	out := c.must(1, "rollback", "rastriya-swatantra", "--to", before)
	if !strings.Contains(out, "drops column bio") || !c.hasColumn("rastriya-swatantra", "users", "bio") {
		t.Fatalf("rollback without --allow-destructive:\n%s", out)
	}
	if s := c.status("rastriya-swatantra"); s.Pin != nil || s.Sync == state.Pinned {
		t.Fatalf("a blocked rollback pinned the tenant: %+v", s.Pin)
	}
	var rb reconcileJSON
	c.decode(c.must(0, "rollback", "rastriya-swatantra", "--to", before, "--allow-destructive", "--output", "json"), &rb)
	if c.hasColumn("rastriya-swatantra", "users", "bio") {
		t.Fatal("rollback --allow-destructive left the column")
	}
	s := c.status("rastriya-swatantra")
	if s.Sync != state.Pinned || s.Pin == nil || s.Pin.Revision != before || s.Pin.RunID != rb.RunID || s.LastAppliedRevision != before ||
		s.LastRun == nil || s.LastRun.Trigger != "rollback" {
		t.Fatalf("status after rollback: sync %s pin %+v applied %s last run %+v", s.Sync, s.Pin, s.LastAppliedRevision, s.LastRun)
	}
	if text := c.mustRaw(0, "status", "--state", c.state); !strings.Contains(text, "Pinned ("+before[:12]+")") {
		t.Errorf("status does not show the pin:\n%s", text)
	}

	// Reconcile leaves the pinned tenant as it is.
	var rec reconcileJSON
	c.decode(c.must(0, "reconcile", "--output", "json"), &rec)
	for _, tn := range rec.Tenants {
		if tn.Slug == "rastriya-swatantra" && (tn.Action != "pinned" || tn.PinnedTo != before) {
			t.Errorf("reconcile of the pinned tenant: %+v", tn)
		}
	}
	c.must(0, "reconcile", "--plan", "--detailed-exitcode")
	if c.hasColumn("rastriya-swatantra", "users", "bio") || !c.hasColumn("nepali-congress", "users", "bio") {
		t.Fatal("reconcile touched the pinned tenant, or the other one lost its column")
	}
	if s := c.status("rastriya-swatantra"); s.Sync != state.Pinned {
		t.Errorf("after reconcile the pinned tenant is %s", s.Sync)
	}

	// Unpin and reconcile: the column is back.
	c.mustRaw(0, "unpin", "rastriya-swatantra", "--state", c.state)
	c.mustRaw(1, "unpin", "rastriya-swatantra", "--state", c.state)
	c.must(0, "reconcile")
	if !c.hasColumn("rastriya-swatantra", "users", "bio") {
		t.Fatal("unpin + reconcile did not add the column back")
	}
	if s := c.status("rastriya-swatantra"); s.Sync != state.Synced || s.Pin != nil || s.LastAppliedRevision != after {
		t.Errorf("after unpin + reconcile: sync %s pin %+v applied %s", s.Sync, s.Pin, s.LastAppliedRevision)
	}

	// Roll back to the snapshot the rollback run recorded: the schema
	// without the column, pinned at its revision.
	runID := strconv.FormatInt(rb.RunID, 10)
	c.must(0, "rollback", "rastriya-swatantra", "--to", runID, "--plan", "--allow-destructive")
	if !c.hasColumn("rastriya-swatantra", "users", "bio") {
		t.Fatal("rollback --plan changed the tenant")
	}
	c.must(0, "rollback", "rastriya-swatantra", "--to", runID, "--allow-destructive")
	s = c.status("rastriya-swatantra")
	if c.hasColumn("rastriya-swatantra", "users", "bio") || s.Pin == nil || s.Pin.SourceRunID != rb.RunID || s.Pin.Revision != before {
		t.Fatalf("rollback to run %s: pin %+v", runID, s.Pin)
	}
	c.must(1, "repair", "rastriya-swatantra")
	c.must(1, "rollback", "rastriya-swatantra", "--to", "no-such-revision")
	c.mustRaw(0, "unpin", "rastriya-swatantra", "--state", c.state)
}
