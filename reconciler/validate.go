package reconciler

import (
	"errors"
	"fmt"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/schema"
)

// Validate checks a revision without touching any database: every manifest
// problem of the repository, then the composition of every distinct layer
// set on the engine of each server that uses it (a table defined twice
// differently, HCL that does not evaluate). It returns every problem found,
// each naming its file and line; none means the revision can be applied.
// A server whose URL cannot be known (an unset variable) is composed for
// the engine landlord.yaml declares, or not at all: that is the
// environment's problem, not the revision's.
func Validate(repo *desired.Repo) []error {
	var errs []error
	for _, e := range repo.Problems() {
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return errs // layers of invalid manifests are not resolved
	}
	seen := map[string]bool{}
	reported := map[string]bool{}
	for _, t := range repo.Tenants {
		engine, ok := serverEngine(repo, t.Server)
		if !ok {
			continue
		}
		key := string(engine) + "\x01" + t.LayerKey()
		if seen[key] {
			continue
		}
		seen[key] = true
		_, err := compose(engine, repo, t)
		if err == nil {
			continue
		}
		// One broken layer breaks every tenant that has it: report each
		// problem once.
		var source schema.SourceErrors
		if !errors.As(err, &source) {
			errs = append(errs, fmt.Errorf("tenant %s: compose layers: %w", t.Slug, err))
			continue
		}
		for _, se := range source {
			if msg := se.Error(); !reported[msg] {
				reported[msg] = true
				errs = append(errs, se)
			}
		}
	}
	return errs
}

// serverEngine is the engine of a server of the repository, known without
// connecting.
func serverEngine(repo *desired.Repo, name string) (schema.Engine, bool) {
	def := repo.Config.Servers[name]
	if def == nil {
		return "", false
	}
	if def.URLError == nil {
		if e, err := schema.EngineOf(def.URL); err == nil {
			return e, true
		}
	}
	switch e := schema.Engine(def.Engine); e {
	case schema.MySQL, schema.MariaDB, schema.SQLite:
		return e, true
	}
	return "", false
}
