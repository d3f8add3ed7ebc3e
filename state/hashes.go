package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DesiredHashKeep is how long a desired hash stays in the landlord
// database after it was computed: the cache is bounded by age, and a hash
// dropped is only computed again.
const DesiredHashKeep = 30 * 24 * time.Hour

// DesiredHash returns the desired hash recorded under key; ok is false
// when there is none.
func (s *Store) DesiredHash(ctx context.Context, key string) (hash string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, "SELECT hash FROM desired_hashes WHERE cache_key = ?", key).Scan(&hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read desired hash: %w", err)
	}
	return hash, true, nil
}

// PutDesiredHash records the desired hash of key (a key recorded already
// keeps its hash: one key has one hash) and forgets the hashes older than
// DesiredHashKeep.
func (s *Store) PutDesiredHash(ctx context.Context, key, hash string) error {
	q := "INSERT INTO desired_hashes (cache_key, hash, created_at) VALUES (?, ?, ?) ON CONFLICT (cache_key) DO NOTHING"
	if s.dialect == MySQL {
		q = "INSERT INTO desired_hashes (cache_key, hash, created_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE cache_key = cache_key"
	}
	if _, err := s.db.ExecContext(ctx, q, key, hash, now()); err != nil {
		return fmt.Errorf("record desired hash: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, "DELETE FROM desired_hashes WHERE created_at < ?", now().Add(-DesiredHashKeep)); err != nil {
		return fmt.Errorf("forget old desired hashes: %w", err)
	}
	return nil
}

// Fingerprint is a tenant's live fingerprint at its last clean, verified
// reconcile, and the basis that reconcile was verified on.
type Fingerprint struct {
	Fingerprint string
	Basis       string
}

// TenantFingerprints returns the recorded fingerprints by tenant.
func (s *Store) TenantFingerprints(ctx context.Context) (map[string]Fingerprint, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT tenant, fingerprint, basis FROM tenant_fingerprints")
	if err != nil {
		return nil, fmt.Errorf("read fingerprints: %w", err)
	}
	defer rows.Close()
	out := map[string]Fingerprint{}
	for rows.Next() {
		var t string
		var f Fingerprint
		if err := rows.Scan(&t, &f.Fingerprint, &f.Basis); err != nil {
			return nil, fmt.Errorf("read fingerprints: %w", err)
		}
		out[t] = f
	}
	return out, rows.Err()
}

// SetTenantFingerprint records a tenant's fingerprint, replacing the last.
func (s *Store) SetTenantFingerprint(ctx context.Context, tenant string, f Fingerprint) error {
	q := "INSERT INTO tenant_fingerprints (tenant, fingerprint, basis, recorded_at) VALUES (?, ?, ?, ?) " +
		"ON CONFLICT (tenant) DO UPDATE SET fingerprint = excluded.fingerprint, basis = excluded.basis, recorded_at = excluded.recorded_at"
	if s.dialect == MySQL {
		q = "INSERT INTO tenant_fingerprints (tenant, fingerprint, basis, recorded_at) VALUES (?, ?, ?, ?) " +
			"ON DUPLICATE KEY UPDATE fingerprint = VALUES(fingerprint), basis = VALUES(basis), recorded_at = VALUES(recorded_at)"
	}
	if _, err := s.db.ExecContext(ctx, q, tenant, f.Fingerprint, f.Basis, now()); err != nil {
		return fmt.Errorf("record fingerprint of %s: %w", tenant, err)
	}
	return nil
}

// ForgetTenantFingerprint removes a tenant's fingerprint: its next
// reconcile inspects it.
func (s *Store) ForgetTenantFingerprint(ctx context.Context, tenant string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM tenant_fingerprints WHERE tenant = ?", tenant); err != nil {
		return fmt.Errorf("forget fingerprint of %s: %w", tenant, err)
	}
	return nil
}
