// Package signature signs and checks webhook bodies the way GitHub does:
// a header "sha256=<hex>" holding the HMAC-SHA256 of the body under a
// shared secret. landlord checks GitHub's pushes with it and signs its own
// notifications with it, so a receiver can reuse GitHub's recipe.
//
// signature imports nothing of landlord.
package signature
