package reconciler

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/refdata"
	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/seed"
)

// Problem is one error of a repository, at a file, line and column.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
	// Tenant is set when the file belongs to one tenant: its manifest or
	// its custom layer.
	Tenant string `json:"tenant,omitempty"`
	// Tenants are every tenant the error keeps from reconciling.
	Tenants []string `json:"tenants,omitempty"`
}

// String is the problem as compilers print theirs: file:line:col: message.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Column > 0 {
				fmt.Fprintf(&b, ":%d", p.Column)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Validation is what Validate found in a repository.
type Validation struct {
	Revision string `json:"revision"`
	// Tenants is the number of tenant manifests checked; Compositions the
	// number of distinct desired schemas composed for them.
	Tenants      int       `json:"tenants"`
	Compositions int       `json:"compositions"`
	Errors       []Problem `json:"errors"`
	Warnings     []string  `json:"warnings,omitempty"`
}

// Valid reports whether the repository has no errors.
func (v *Validation) Valid() bool { return len(v.Errors) == 0 }

// Affected returns the tenants that an error keeps from reconciling, sorted.
func (v *Validation) Affected() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range v.Errors {
		for _, t := range p.Tenants {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Validate checks the repository offline, with no database and no network:
// its manifests, the syntax of every layer file, and every tenant's desired
// schema composed for the engine of the tenant's server. It reports root
// causes only, each once: an error shared by several tenants (a layer file,
// an invalid module) names all of them, and the errors a tenant merely
// inherits from an invalid module or template are left out.
func Validate(repo *desired.Repo) *Validation {
	v := &Validation{Revision: repo.Revision, Tenants: len(repo.Tenants), Warnings: repo.Warnings}
	type position struct {
		file         string
		line, column int
		message      string
	}
	found := map[position]int{}
	add := func(p Problem, tenants ...string) {
		key := position{p.File, p.Line, p.Column, p.Message}
		i, ok := found[key]
		if !ok {
			i = len(v.Errors)
			found[key] = i
			p.Tenant = owner(repo, p.File)
			v.Errors = append(v.Errors, p)
		}
		v.Errors[i].Tenants = appendNew(v.Errors[i].Tenants, tenants...)
	}

	// Manifests: landlord.yaml, templates, modules, tenants.
	owners := map[*desired.ManifestError][]string{}
	for _, t := range repo.Tenants {
		for _, e := range t.Errors {
			owners[e] = append(owners[e], t.Slug)
		}
	}
	users := func(match func(*desired.Tenant) bool) []string {
		var out []string
		for _, t := range repo.Tenants {
			if match(t) {
				out = append(out, t.Slug)
			}
		}
		return out
	}
	for _, name := range slices.Sorted(maps.Keys(repo.Templates)) {
		for _, e := range repo.Templates[name].Errors {
			owners[e] = users(func(t *desired.Tenant) bool { return t.Template == name })
		}
	}
	for _, name := range slices.Sorted(maps.Keys(repo.Modules)) {
		for _, e := range repo.Modules[name].Errors {
			owners[e] = users(func(t *desired.Tenant) bool { return slices.Contains(t.Modules, name) })
		}
	}
	// An error of landlord.yaml or the basic layer keeps every tenant from
	// reconciling.
	for _, e := range repo.Errors {
		owners[e] = users(func(*desired.Tenant) bool { return true })
	}
	for _, e := range repo.Problems() {
		if e.Cause != nil {
			continue
		}
		msg := e.Msg
		if e.Field != "" {
			msg = e.Field + ": " + msg
		}
		add(Problem{File: e.File, Line: e.Line, Column: e.Column, Message: msg}, owners[e]...)
	}

	// The syntax of every layer file, also of those no valid tenant uses.
	all := users(func(*desired.Tenant) bool { return true })
	checkFiles := func(files []desired.File, tenants []string) {
		for _, f := range files {
			for _, e := range schema.CheckSyntax(schema.File{Path: f.Path, Data: f.Data}) {
				add(sourceProblem(e), tenants...)
			}
		}
	}
	checkFiles(repo.Basic, all)
	for _, name := range slices.Sorted(maps.Keys(repo.Templates)) {
		checkFiles(repo.Templates[name].Files, users(func(t *desired.Tenant) bool { return t.Template == name }))
	}
	for _, name := range slices.Sorted(maps.Keys(repo.Modules)) {
		checkFiles(repo.Modules[name].Files, users(func(t *desired.Tenant) bool { return slices.Contains(t.Modules, name) }))
	}
	for _, slug := range slices.Sorted(maps.Keys(repo.Custom)) {
		checkFiles(repo.Custom[slug], users(func(t *desired.Tenant) bool { return t.Slug == slug }))
	}

	// Every valid tenant's desired schema, for its server's engine, composed
	// once per engine and layer set.
	type composition struct {
		tenant  *desired.Tenant
		engine  schema.Engine
		tenants []string
	}
	var (
		order []string
		byKey = map[string]*composition{}
	)
	for _, t := range repo.Tenants {
		if !t.Valid() || len(t.Layers) == 0 {
			continue
		}
		def := repo.Config.Servers[t.Server]
		engine, err := ServerEngine(def)
		if err != nil {
			p := Problem{File: "landlord.yaml", Message: err.Error()}
			if def != nil {
				p.Line, p.Column = def.Line, def.Column
			}
			add(p, t.Slug)
			continue
		}
		key := layerSetKey(engine, t)
		c, ok := byKey[key]
		if !ok {
			c = &composition{tenant: t, engine: engine}
			byKey[key] = c
			order = append(order, key)
		}
		c.tenants = append(c.tenants, t.Slug)
	}
	for _, key := range order {
		c := byKey[key]
		v.Compositions++
		d, err := compose(repo, c.engine, c.tenant)
		if err == nil {
			// On SQLite, the schema is applied to an in-memory database
			// as an apply would: what SQLite refuses there fails here.
			err = schema.CheckSQLite(context.Background(), d)
		}
		if err == nil {
			_, err = dataSet(c.tenant, d, "")
		}
		if err == nil {
			_, _, err = demoSpec(repo, c.tenant, d)
		}
		if err != nil {
			for _, p := range problems(err) {
				add(p, c.tenants...)
			}
		}
	}
	for i := range v.Errors {
		sort.Strings(v.Errors[i].Tenants)
	}
	sort.SliceStable(v.Errors, func(i, j int) bool {
		a, b := v.Errors[i], v.Errors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	if v.Errors == nil {
		v.Errors = []Problem{}
	}
	return v
}

// ServerEngine returns the engine of a server without connecting to it: the
// engine landlord.yaml declares, else the one its URL names. Offline
// commands (validate, diff, plans against the landlord database) use it.
func ServerEngine(def *desired.Server) (schema.Engine, error) {
	if def == nil {
		return "", fmt.Errorf("the server is not defined")
	}
	var fromURL schema.Engine
	if def.URLError == nil && def.URL != "" {
		if err := schema.CheckURL(def.URL); err != nil {
			return "", err
		}
		e, err := schema.EngineOf(def.URL)
		if err != nil {
			return "", err
		}
		fromURL = e
	}
	if def.Engine != "" {
		declared := schema.Engine(def.Engine)
		if fromURL != "" && (declared == schema.SQLite) != (fromURL == schema.SQLite) {
			return "", fmt.Errorf("engine %s is declared but the url is a %s server", declared, fromURL)
		}
		return declared, nil
	}
	if def.URLError != nil {
		return "", fmt.Errorf("%w; the engine is unknown without it: declare it with engine: mysql, mariadb or sqlite next to the url", def.URLError)
	}
	if fromURL == "" {
		return "", fmt.Errorf("the server has no url")
	}
	return fromURL, nil
}

// problems turns a composition error into problems.
func problems(err error) []Problem {
	if es, ok := err.(schema.SourceErrors); ok {
		out := make([]Problem, len(es))
		for i, e := range es {
			out[i] = sourceProblem(e)
		}
		return out
	}
	if es, ok := err.(refdata.Errors); ok {
		out := make([]Problem, len(es))
		for i, e := range es {
			out[i] = Problem{File: e.File, Line: e.Line, Column: e.Column, Message: e.Msg}
		}
		return out
	}
	if es, ok := err.(seed.Errors); ok {
		out := make([]Problem, len(es))
		for i, e := range es {
			out[i] = Problem{File: e.File, Line: e.Line, Column: e.Column, Message: e.Msg}
		}
		return out
	}
	return []Problem{{Message: err.Error()}}
}

func sourceProblem(e *schema.SourceError) Problem {
	return Problem{File: e.File, Line: e.Line, Column: e.Column, Message: e.Msg}
}

// owner names the tenant a file belongs to, if any.
func owner(repo *desired.Repo, file string) string {
	if rest, ok := strings.CutPrefix(file, "layers/custom/"); ok {
		slug, _, _ := strings.Cut(rest, "/")
		return slug
	}
	if strings.HasPrefix(file, "tenants/") {
		for _, t := range repo.Tenants {
			if t.File == file {
				return t.Slug
			}
		}
	}
	return ""
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}
