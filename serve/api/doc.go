// Package api is the HTTP face of landlord serve: the JSON API under
// /api/v1 (bearer tokens with read and operate scopes, an OpenAPI document
// at /api/v1/openapi.json), the webhooks that trigger a fetch
// (/hooks/github, /hooks/generic), /metrics, /healthz and /readyz.
//
// api reads the landlord database (state) and asks the loop (daemon) for
// every run: it decides nothing the loop decides, and none of the core
// packages imports it.
package api
