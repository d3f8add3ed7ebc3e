package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
)

// Size is a database's size and table count.
type Size struct {
	// Bytes is its data and indexes (MySQL, MariaDB), or its file
	// (SQLite).
	Bytes int64
	// Tables counts its base tables (views aside).
	Tables int64
}

// sizesQuery reads every schema's base tables and size in one query
// (a join with SCHEMATA, for the schemas without tables, takes twice as
// long on MariaDB: Sizes reads both apart).
const sizesQuery = `SELECT TABLE_SCHEMA, COUNT(*), COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0)
	FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'`

// Existing returns which of databases exist on the server: one read of
// information_schema.SCHEMATA (no table is opened), or a stat per file on
// SQLite.
func (s *Server) Existing(ctx context.Context, databases []string) (map[string]bool, error) {
	out := make(map[string]bool, len(databases))
	if s.engine == SQLite {
		for _, db := range databases {
			path, err := s.sqliteFile(db)
			if err != nil {
				return nil, err
			}
			if _, err := os.Stat(path); err == nil {
				out[db] = true
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
		return out, nil
	}
	want := make(map[string]bool, len(databases))
	for _, db := range databases {
		want[db] = true
	}
	qctx, cancel := context.WithTimeout(ctx, s.opts.StallTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(qctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return nil, s.stallCause(qctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, s.stallCause(qctx, err)
		}
		if want[name] {
			out[name] = true
		}
	}
	return out, s.stallCause(qctx, rows.Err())
}

// Sizes returns the size of each of databases that has tables on the
// server (SQLite: that exists); a database missing from the result has no
// table, or does not exist (see Existing). On MySQL and MariaDB
// it is one information_schema query for the whole server (or one per
// database, for a handful of them), under the stall timeout's watchdog and
// ctx's deadline; on SQLite a stat and a read-only count per file.
func (s *Server) Sizes(ctx context.Context, databases []string) (map[string]Size, error) {
	out := make(map[string]Size, len(databases))
	if s.engine == SQLite {
		for _, db := range databases {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			size, ok, err := s.sqliteSize(ctx, db)
			if err != nil {
				return nil, fmt.Errorf("size of %s: %w", db, err)
			}
			if ok {
				out[db] = size
			}
		}
		return out, nil
	}
	want := make(map[string]bool, len(databases))
	for _, db := range databases {
		want[db] = true
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, s.stallCause(ctx, err)
	}
	defer c.Close()
	conn, err := s.watched(ctx, c)
	if err != nil {
		return nil, err
	}
	defer conn.close()
	read := func(q string, args ...any) error {
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				name string
				sz   Size
			)
			if err := rows.Scan(&name, &sz.Tables, &sz.Bytes); err != nil {
				return err
			}
			if want[name] {
				out[name] = sz
			}
		}
		return rows.Err()
	}
	if len(databases) > fingerprintOneByOneUpTo {
		if err := read(sizesQuery + " GROUP BY TABLE_SCHEMA"); err != nil {
			return nil, fmt.Errorf("sizes: %w", err)
		}
		return out, nil
	}
	for _, db := range databases {
		if err := read(sizesQuery+" AND TABLE_SCHEMA = ? GROUP BY TABLE_SCHEMA", db); err != nil {
			return nil, fmt.Errorf("size of %s: %w", db, err)
		}
	}
	return out, nil
}

func (s *Server) sqliteSize(ctx context.Context, database string) (Size, bool, error) {
	path, err := s.sqliteFile(database)
	if err != nil {
		return Size{}, false, err
	}
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return Size{}, false, nil
	}
	if err != nil {
		return Size{}, false, err
	}
	size := Size{Bytes: fi.Size()}
	if wal, err := os.Stat(path + "-wal"); err == nil {
		size.Bytes += wal.Size()
	}
	if fi.Size() == 0 {
		return size, true, nil // created, not written yet
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(1000)")
	if err != nil {
		return size, false, err
	}
	defer db.Close()
	wait := s.opts.StallTimeout
	if wait <= 0 {
		wait = 10 * time.Second
	}
	qctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	err = db.QueryRowContext(qctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").Scan(&size.Tables)
	return size, true, err
}
