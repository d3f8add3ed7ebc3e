// Package ui is landlord serve's dashboard under /ui/: server-rendered
// pages (html/template) over the same data the API serves — the fleet, a
// tenant, its snapshots side by side, runs, and open drift with a repair
// button. Its assets (a small stylesheet and htmx, vendored at a pinned
// version) are embedded in the binary: the dashboard works offline.
//
// A token logs in once and the browser then holds only an HttpOnly,
// SameSite=Strict session cookie; every form carries the session's CSRF
// token, checked on every POST. Read tokens read; operate tokens repair.
//
// ui reads through the API (api.Server) and the landlord database (state)
// and asks the loop (daemon) for runs; nothing below imports it.
package ui
