package schema

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// HashCache keeps desired hashes beyond one process (the landlord
// database), by a key of the desired schema's content and of the server's
// version and defaults: a revision whose layers did not change costs no
// scratch database. Get's ok is false for a key it does not hold.
type HashCache interface {
	DesiredHash(ctx context.Context, key string) (hash string, ok bool, err error)
	PutDesiredHash(ctx context.Context, key, hash string) error
}

// SetHashCache makes DesiredHash consult c before it applies a desired
// schema to a scratch database, and keep what it computes there (MySQL and
// MariaDB; an in-memory SQLite database costs next to nothing). A failing
// cache is no failure: the hash is computed.
func (s *Server) SetHashCache(c HashCache) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hashCache = c
}

// traitVariables, with the server's version, decide what a scratch
// database inspects back as besides the desired schema: the server's
// defaults and the session's sql_mode and time zone (TIMESTAMP defaults
// read back in it).
var traitVariables = []string{
	"character_set_server", "collation_server", "default_storage_engine", "explicit_defaults_for_timestamp",
	"innodb_default_row_format", "innodb_strict_mode", "lower_case_table_names", "sql_mode", "time_zone",
}

func (s *Server) traits(ctx context.Context) (string, error) {
	s.traitsOnce.Do(func() {
		var b strings.Builder
		b.WriteString(s.version)
		rows, err := s.db.QueryContext(ctx, "SHOW VARIABLES WHERE Variable_name IN ('"+strings.Join(traitVariables, "','")+"')")
		if err != nil {
			s.traitsErr = err
			return
		}
		defer rows.Close()
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				s.traitsErr = err
				return
			}
			fmt.Fprintf(&b, "\n%s=%s", k, v)
		}
		s.traitsText, s.traitsErr = b.String(), rows.Err()
	})
	return s.traitsText, s.traitsErr
}

// desiredKey is the key of d's hash on this server in a HashCache.
func (s *Server) desiredKey(ctx context.Context, d *Desired) (string, error) {
	traits, err := s.traits(ctx)
	if err != nil {
		return "", err
	}
	c := copySchema(d.schema, placeholder)
	sortSchema(c)
	h := sha256.New()
	fmt.Fprintf(h, "%s%s\n%s\n", hashVersion, s.engine, traits)
	writeCanonical(h, c)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cachedHash returns d's hash from the server's HashCache, or "" and a
// function that stores the hash computed instead.
func (s *Server) cachedHash(ctx context.Context, d *Desired) (string, func(string)) {
	s.mu.Lock()
	c := s.hashCache
	s.mu.Unlock()
	if c == nil || !isMySQLFamily(s.engine) {
		return "", func(string) {}
	}
	key, err := s.desiredKey(ctx, d)
	if err != nil {
		return "", func(string) {}
	}
	if h, ok, err := c.DesiredHash(ctx, key); err == nil && ok {
		return h, nil
	}
	return "", func(h string) { c.PutDesiredHash(context.WithoutCancel(ctx), key, h) }
}
