package state

import (
	"context"
	"strings"
	"testing"
)

// TestDesiredHashes: a desired hash is found by its key, a key keeps its
// first hash, and hashes older than DesiredHashKeep are forgotten.
func TestDesiredHashes(t *testing.T) {
	ctx := context.Background()
	for dialect, dsn := range stores(t) {
		t.Run(dialect, func(t *testing.T) {
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			key, other := strings.Repeat("a", 64), strings.Repeat("b", 64)
			if _, ok, err := s.DesiredHash(ctx, key); err != nil || ok {
				t.Fatalf("empty cache: ok %v, err %v", ok, err)
			}
			if err := s.PutDesiredHash(ctx, key, strings.Repeat("1", 64)); err != nil {
				t.Fatal(err)
			}
			if err := s.PutDesiredHash(ctx, key, strings.Repeat("2", 64)); err != nil {
				t.Fatal(err)
			}
			if h, ok, err := s.DesiredHash(ctx, key); err != nil || !ok || h != strings.Repeat("1", 64) {
				t.Fatalf("got %q %v %v, want the first hash", h, ok, err)
			}
			if _, err := s.DB().Exec("UPDATE desired_hashes SET created_at = ?", now().Add(-DesiredHashKeep-1)); err != nil {
				t.Fatal(err)
			}
			if err := s.PutDesiredHash(ctx, other, strings.Repeat("3", 64)); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := s.DesiredHash(ctx, key); err != nil || ok {
				t.Errorf("an old hash is still there: ok %v, err %v", ok, err)
			}
			if h, ok, err := s.DesiredHash(ctx, other); err != nil || !ok || h != strings.Repeat("3", 64) {
				t.Errorf("got %q %v %v for the new key", h, ok, err)
			}
		})
	}
}

// TestTenantFingerprints: a tenant's fingerprint is recorded, replaced and
// forgotten.
func TestTenantFingerprints(t *testing.T) {
	ctx := context.Background()
	for dialect, dsn := range stores(t) {
		t.Run(dialect, func(t *testing.T) {
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			a := Fingerprint{Fingerprint: strings.Repeat("a", 64), Basis: strings.Repeat("b", 64)}
			c := Fingerprint{Fingerprint: strings.Repeat("c", 64), Basis: strings.Repeat("d", 64)}
			if err := s.SetTenantFingerprint(ctx, "acme", a); err != nil {
				t.Fatal(err)
			}
			if err := s.SetTenantFingerprint(ctx, "globex", a); err != nil {
				t.Fatal(err)
			}
			if err := s.SetTenantFingerprint(ctx, "acme", c); err != nil {
				t.Fatal(err)
			}
			got, err := s.TenantFingerprints(ctx)
			if err != nil || len(got) != 2 || got["acme"] != c || got["globex"] != a {
				t.Fatalf("got %v (%v)", got, err)
			}
			if err := s.ForgetTenantFingerprint(ctx, "acme"); err != nil {
				t.Fatal(err)
			}
			if got, err := s.TenantFingerprints(ctx); err != nil || len(got) != 1 {
				t.Fatalf("after forgetting: %v (%v)", got, err)
			}
		})
	}
}
