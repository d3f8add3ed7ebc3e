// Package ui is landlord serve's dashboard under /ui/: server-rendered
// pages (html/template) over the same data the API serves — the fleet
// (paged in the landlord database), a tenant with the provenance of its
// tables, its snapshots side by side, runs, open drift with a repair
// button, and a new tenant form that plans a proposed manifest and pushes
// it on a branch for review. Its assets (a small stylesheet, one small
// script of the new tenant form, and htmx, vendored at a pinned version)
// are embedded in the binary: the dashboard works offline.
//
// html/template escapes markup but not control characters, bidirectional
// overrides or line breaks: names and messages from live databases and
// the landlord database go through the text, lines and sql functions
// (internal/printable) wherever a page shows them.
//
// A token logs in once and the browser then holds only an HttpOnly,
// SameSite=Strict session cookie; every form carries the session's CSRF
// token, checked on every POST. Read tokens read (and plan proposals);
// operate tokens reconcile, repair, roll back, unpin, back up and push.
//
// ui reads through the API (api.Server) and the landlord database (state)
// and asks the loop (daemon) for runs; nothing below imports it.
package ui
