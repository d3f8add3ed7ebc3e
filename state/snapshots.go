package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Snapshot kinds.
const (
	// SnapshotApplied is recorded after a reconcile, repair or rollback:
	// the schema landlord made the tenant have. The newest one is the
	// baseline that drift detection compares the live schema with.
	SnapshotApplied = "applied"
	// SnapshotManual is taken on demand (landlord snapshot); it is history
	// only and never a baseline.
	SnapshotManual = "manual"
)

// Snapshot is a tenant's schema as Atlas HCL at one point in time.
type Snapshot struct {
	ID       int64  `json:"id"`
	Tenant   string `json:"tenant"`
	RunID    int64  `json:"run_id,omitempty"`
	Revision string `json:"revision"`
	// Kind is SnapshotApplied or SnapshotManual.
	Kind string `json:"kind"`
	// Engine is the engine the HCL is written for ("mysql", "mariadb",
	// "sqlite"); empty for snapshots recorded before version 2.
	Engine string `json:"engine,omitempty"`
	Hash   string `json:"hash"`
	HCL    string `json:"hcl,omitempty"`
	// DDL is every table as the server showed it (JSON; MySQL and
	// MariaDB, from schema version 4 on).
	DDL       string    `json:"ddl,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// AddSnapshot records a snapshot and returns its id. An empty Kind is
// SnapshotApplied. Its text is kept once for every snapshot of the same
// text (snapshot_texts, version 9).
func (s *Store) AddSnapshot(ctx context.Context, snap Snapshot) (int64, error) {
	if snap.Kind == "" {
		snap.Kind = SnapshotApplied
	}
	digest := textDigest(snap.HCL, snap.DDL)
	keep := "INSERT INTO snapshot_texts (digest, refs, hcl, ddl) VALUES (?, 1, ?, ?) ON CONFLICT (digest) DO UPDATE SET refs = refs + 1"
	if s.dialect == MySQL {
		keep = "INSERT INTO snapshot_texts (digest, refs, hcl, ddl) VALUES (?, 1, ?, ?) ON DUPLICATE KEY UPDATE refs = refs + 1"
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, keep, digest, snap.HCL, snap.DDL); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO snapshots (tenant, run_id, revision, kind, engine, hash, hcl, ddl, text_digest, created_at) VALUES (?, ?, ?, ?, ?, ?, '', '', ?, ?)",
			snap.Tenant, sql.NullInt64{Int64: snap.RunID, Valid: snap.RunID != 0}, snap.Revision, snap.Kind, snap.Engine, snap.Hash, digest, now())
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record snapshot of %s: %w", snap.Tenant, err)
	}
	return id, nil
}

// textDigest is the key of a snapshot's text in snapshot_texts.
func textDigest(hcl, ddl string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00", len(hcl))
	io.WriteString(h, hcl)
	io.WriteString(h, ddl)
	return hex.EncodeToString(h.Sum(nil))
}

// Snapshots returns a tenant's snapshots, newest first, without their HCL.
func (s *Store) Snapshots(ctx context.Context, tenant string) ([]Snapshot, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, tenant, run_id, revision, kind, engine, hash, created_at FROM snapshots WHERE tenant = ? ORDER BY id DESC", tenant)
	if err != nil {
		return nil, fmt.Errorf("read snapshots of %s: %w", tenant, err)
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		var sn Snapshot
		var run sql.NullInt64
		var at sql.NullTime
		if err := rows.Scan(&sn.ID, &sn.Tenant, &run, &sn.Revision, &sn.Kind, &sn.Engine, &sn.Hash, &at); err != nil {
			return nil, err
		}
		sn.RunID, sn.CreatedAt = run.Int64, at.Time.UTC()
		out = append(out, sn)
	}
	return out, rows.Err()
}

// LatestSnapshot returns the newest snapshot of tenant, of any kind, with
// its HCL.
func (s *Store) LatestSnapshot(ctx context.Context, tenant string) (Snapshot, bool, error) {
	return s.snapshot(ctx, "WHERE s.tenant = ? ORDER BY s.id DESC LIMIT 1", tenant)
}

// Baseline returns the snapshot drift detection compares tenant with: its
// newest applied snapshot, with its HCL.
func (s *Store) Baseline(ctx context.Context, tenant string) (Snapshot, bool, error) {
	return s.snapshot(ctx, "WHERE s.tenant = ? AND s.kind = ? ORDER BY s.id DESC LIMIT 1", tenant, SnapshotApplied)
}

// BaselineInfo is Baseline without the snapshot's HCL and DDL: what a
// drift check of an unchanged tenant reports of its baseline.
func (s *Store) BaselineInfo(ctx context.Context, tenant string) (Snapshot, bool, error) {
	return s.readSnapshot(ctx, false, "WHERE s.tenant = ? AND s.kind = ? ORDER BY s.id DESC LIMIT 1", tenant, SnapshotApplied)
}

// GetSnapshot returns snapshot id of tenant, with its HCL.
func (s *Store) GetSnapshot(ctx context.Context, tenant string, id int64) (Snapshot, bool, error) {
	return s.snapshot(ctx, "WHERE s.tenant = ? AND s.id = ?", tenant, id)
}

// RunSnapshot returns the snapshot that run runID recorded of tenant, with
// its HCL.
func (s *Store) RunSnapshot(ctx context.Context, tenant string, runID int64) (Snapshot, bool, error) {
	return s.snapshot(ctx, "WHERE s.tenant = ? AND s.run_id = ? ORDER BY s.id DESC LIMIT 1", tenant, runID)
}

func (s *Store) snapshot(ctx context.Context, where string, args ...any) (Snapshot, bool, error) {
	return s.readSnapshot(ctx, true, where, args...)
}

// readSnapshot reads the snapshot where selects, with its HCL and DDL when
// text is set: from snapshot_texts, or from its own row when it was
// recorded before version 9.
func (s *Store) readSnapshot(ctx context.Context, text bool, where string, args ...any) (Snapshot, bool, error) {
	var sn Snapshot
	var run sql.NullInt64
	var at sql.NullTime
	// The snapshot's own text (before version 9), the digest it names
	// and that text as kept (NULL when it is missing: hcl is NOT NULL).
	var hcl, ddl, digest, keptHCL, keptDDL sql.NullString
	cols := "s.id, s.tenant, s.run_id, s.revision, s.kind, s.engine, s.hash, s.created_at"
	dest := []any{&sn.ID, &sn.Tenant, &run, &sn.Revision, &sn.Kind, &sn.Engine, &sn.Hash, &at}
	from := "snapshots s"
	if text {
		cols += ", s.hcl, s.ddl, s.text_digest, t.hcl, t.ddl"
		dest = append(dest, &hcl, &ddl, &digest, &keptHCL, &keptDDL)
		from += " LEFT JOIN snapshot_texts t ON t.digest = s.text_digest"
	}
	err := s.db.QueryRowContext(ctx, "SELECT "+cols+" FROM "+from+" "+where, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return sn, false, nil
	}
	if err != nil {
		return sn, false, fmt.Errorf("read snapshot: %w", err)
	}
	sn.RunID, sn.CreatedAt = run.Int64, at.Time.UTC()
	switch {
	case !text:
	case !digest.Valid:
		sn.HCL, sn.DDL = hcl.String, ddl.String
	case !keptHCL.Valid:
		return sn, false, fmt.Errorf("read snapshot %d of %s: its text %s is missing from snapshot_texts", sn.ID, sn.Tenant, digest.String)
	default:
		sn.HCL, sn.DDL = keptHCL.String, keptDDL.String
	}
	return sn, true, nil
}

// LatestSnapshotHashes returns the hash of each tenant's baseline: its
// newest applied snapshot.
func (s *Store) LatestSnapshotHashes(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.tenant, s.hash FROM snapshots s
		JOIN (SELECT tenant, MAX(id) AS id FROM snapshots WHERE kind = ? GROUP BY tenant) latest ON latest.id = s.id`, SnapshotApplied)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var t, h string
		if err := rows.Scan(&t, &h); err != nil {
			return nil, err
		}
		out[t] = h
	}
	return out, rows.Err()
}

// Retention says which snapshots of a tenant to keep: the newest Keep and
// every one younger than MaxAge. The newest snapshot and the baseline (the
// newest applied one) are always kept.
type Retention struct {
	Keep   int
	MaxAge time.Duration
}

// pruneQuery reads what PruneSnapshots decides by, from the index
// snapshots_prune alone (version 8).
const pruneQuery = "SELECT id, kind, created_at FROM snapshots WHERE tenant = ? ORDER BY id DESC"

// PruneSnapshots deletes the snapshots of tenant that the retention does not
// keep and returns how many it deleted.
func (s *Store) PruneSnapshots(ctx context.Context, tenant string, r Retention) (int, error) {
	var deleted int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, pruneQuery, tenant)
		if err != nil {
			return err
		}
		var drop []int64
		cutoff := now().Add(-r.MaxAge)
		baseline := false
		for i := 0; rows.Next(); i++ {
			var (
				id   int64
				kind string
				at   sql.NullTime
			)
			if err := rows.Scan(&id, &kind, &at); err != nil {
				rows.Close()
				return err
			}
			isBaseline := kind == SnapshotApplied && !baseline
			baseline = baseline || kind == SnapshotApplied
			if i == 0 || isBaseline || i < r.Keep || at.Time.After(cutoff) {
				continue
			}
			drop = append(drop, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var digests []string
		for _, id := range drop {
			var digest sql.NullString
			if err := tx.QueryRowContext(ctx, "SELECT text_digest FROM snapshots WHERE id = ?", id).Scan(&digest); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, "DELETE FROM snapshots WHERE id = ?", id)
			if err != nil {
				return err
			}
			// A snapshot another prune deleted first is not counted twice.
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				continue
			}
			if digest.Valid {
				digests = append(digests, digest.String)
			}
		}
		// The texts in one order, in every transaction: two prunes of
		// snapshots of the same texts wait for each other, never in a
		// circle. Every lock is on a row by its key (no gap locks).
		slices.Sort(digests)
		for _, d := range digests {
			if _, err := tx.ExecContext(ctx, "UPDATE snapshot_texts SET refs = refs - 1 WHERE digest = ?", d); err != nil {
				return err
			}
		}
		for _, d := range slices.Compact(digests) {
			if _, err := tx.ExecContext(ctx, "DELETE FROM snapshot_texts WHERE digest = ? AND refs <= 0", d); err != nil {
				return err
			}
		}
		deleted = len(drop)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune snapshots of %s: %w", tenant, err)
	}
	return deleted, nil
}

// CountSnapshots returns the number of snapshots of each tenant.
func (s *Store) CountSnapshots(ctx context.Context) (map[string]int, error) {
	return s.countBy(ctx, "count snapshots", "SELECT tenant, COUNT(*) FROM snapshots GROUP BY tenant")
}
