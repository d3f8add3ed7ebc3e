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
