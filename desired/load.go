package desired

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/landlord/landlord/internal/confine"
	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/landlord/landlord/internal/mysqlurl"
)

// Lifecycles of a tenant.
const (
	Active         = "active"
	Suspended      = "suspended"
	Decommissioned = "decommissioned"
)

// Environments of a tenant: only a tenant that is not production may
// receive generated demo data (landlord seed --demo).
const (
	Development = "development"
	Staging     = "staging"
	Production  = "production"
)

// Drift policies.
const (
	DriftReport = "report"
	DriftHeal   = "heal"
)

var (
	slugPattern     = regexp.MustCompile(`^[a-z][a-z0-9-]{1,62}$`)
	databasePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	prefixPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	namePattern     = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	domainPattern   = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$`)
)

// Repo is one revision of the desired-state repository, parsed and
// validated.
type Repo struct {
	Revision  string
	Config    Config
	Tenants   []*Tenant // sorted by slug
	Templates map[string]*Template
	Modules   map[string]*Module
	// Basic holds the files of the basic layer.
	Basic []File
	// Custom holds the files of every custom layer, by directory name
	// (the tenant's slug), whether or not a tenant uses it.
	Custom map[string][]File
	// data holds the data files of each layer directory, read once.
	data map[string]dataEntry
	// demo holds the demo.yaml of each layer directory, read once.
	demo map[string]dataEntry
	// Errors are the problems no tenant can be reconciled with:
	// landlord.yaml and the basic layer.
	Errors ManifestErrors
	// Warnings are problems that stop nothing (a custom layer without a
	// tenant, a file that is not read).
	Warnings []string

	reserved []string // LoadOptions.Reserved, lower case
	// read counts the bytes read, against MaxRepositorySize.
	read int64
}

// Tenant is one tenant manifest with everything resolved: defaults applied,
// effective policy, and its layers in the order they apply.
type Tenant struct {
	Slug      string
	Name      string
	Template  string
	Modules   []string
	Server    string
	Database  string
	Domain    string
	Lifecycle string
	// Environment is development, staging or production (the default).
	Environment string
	// DecommissionedAt is when a decommissioned tenant's hold began, when
	// its manifest says.
	DecommissionedAt *time.Time
	// Adopt lets landlord manage an existing database that looks like
	// another application's (tables, none of the tenant's).
	Adopt bool
	// AllowDestructive and DriftPolicy are the effective policy: the
	// tenant's own, else landlord.yaml's, else false and "report".
	AllowDestructive bool
	DriftPolicy      string
	// File is the manifest, relative to the repository root.
	File string
	// Layers in apply order: basic, template, modules in dependency order,
	// custom.
	Layers []Layer
	// Errors make the tenant impossible to reconcile; each names a file,
	// line and field.
	Errors ManifestErrors
}

// Valid reports whether the tenant can be reconciled.
func (t *Tenant) Valid() bool { return len(t.Errors) == 0 }

// LayerKey identifies the tenant's layer set: tenants with the same key
// have the same desired schema.
func (t *Tenant) LayerKey() string {
	names := make([]string, len(t.Layers))
	for i, l := range t.Layers {
		names[i] = l.Name
	}
	return strings.Join(names, "\x00")
}

// Layer is a named group of HCL files: "basic", "template/<name>",
// "module/<name>" or "custom/<tenant>".
type Layer struct {
	Name  string
	Files []File
	// Data are the layer's reference data files, data/<table>.yaml or .csv,
	// sorted by name.
	Data []File
	// Demo is the layer's demo.yaml, the generators of demo data for its
	// tables (landlord seed --demo), when it has one.
	Demo *File
}

// File is a file of the repository.
type File struct {
	Path string // relative to the repository root
	Data []byte
}

// LoadOptions change how a repository is read.
type LoadOptions struct {
	// Servers replaces server URLs by name (--server NAME=URL). A name
	// that landlord.yaml does not define fails Load with an
	// *UnknownServerError: a typo must not fall back to the default URL.
	Servers map[string]string
	// LookupEnv expands ${VAR} in landlord.yaml; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Reserved are more database names no tenant may have: the name of
	// the landlord database when it lives on a MySQL or MariaDB server.
	Reserved []string
	// Dir is the repository's directory on disk, for a local repository:
	// a relative sqlite:// directory in landlord.yaml is resolved against
	// it, not the working directory, so the tenants' files are the same
	// wherever the command runs. Empty (a remote repository): relative to
	// the working directory. URLs from Servers are left as they are.
	//
	// An sqlite:// directory written in landlord.yaml must stay inside the
	// repository: an absolute one, one that climbs out with .., or one
	// that an existing symbolic link leads out is an error at its line.
	// Only a URL that is wholly one ${LANDLORD_<NAME>_URL} (or
	// ${LANDLORD_<NAME>_URL:-default}) whose variable is set comes from
	// the operator and may name any directory,
	// as Servers may.
	Dir string
}

// systemDatabases are the databases of MySQL and MariaDB themselves.
var systemDatabases = map[string]bool{"mysql": true, "sys": true, "information_schema": true, "performance_schema": true}

// LandlordDatabase is the conventional name of the landlord database on a
// MySQL or MariaDB server, and ScratchPrefix starts the names of the
// scratch databases landlord creates and drops while planning: no tenant
// may have either.
const (
	LandlordDatabase = "landlord"
	ScratchPrefix    = "landlord_dev_"
)

// endpoint returns where the databases of server name live, so that two
// entries of landlord.yaml naming one server are taken as one: the
// network address (or socket) of a MySQL or MariaDB URL, the directory of
// an SQLite one, and the name itself while the URL is not known.
func (r *Repo) endpoint(name string) string {
	s := r.Config.Servers[name]
	switch {
	case s == nil || s.URL == "":
	case mysqlurl.IsMySQL(s.URL):
		if cfg, _, _, err := mysqlurl.Parse(s.URL); err == nil {
			return "mysql\x00" + cfg.Net + "\x00" + strings.ToLower(cfg.Addr)
		}
	case strings.HasPrefix(s.URL, "sqlite://"):
		return "sqlite\x00" + filepath.Clean(strings.TrimPrefix(s.URL, "sqlite://"))
	}
	return "server\x00" + name
}

// ReservedDatabase returns why no tenant may have the database name, or ""
// when one may: the server's own databases, the landlord database (its
// conventional name, and those in reserved), landlord's scratch databases,
// and the names or globs of deny (database.deny in landlord.yaml).
func ReservedDatabase(name string, reserved, deny []string) string {
	lower := strings.ToLower(name)
	switch {
	case systemDatabases[lower]:
		return fmt.Sprintf("%s is a database of the server itself", name)
	case lower == LandlordDatabase || slices.Contains(reserved, lower):
		return fmt.Sprintf("%s is the landlord database", name)
	case strings.HasPrefix(lower, ScratchPrefix):
		return fmt.Sprintf("names starting with %s are landlord's scratch databases", ScratchPrefix)
	case strings.HasPrefix(lower, LandlordDatabase+"_"):
		return fmt.Sprintf("names starting with %s_ are landlord's own", LandlordDatabase)
	}
	for _, p := range deny {
		if ok, _ := path.Match(strings.ToLower(p), lower); ok {
			return fmt.Sprintf("%s is denied by database.deny (%s) in landlord.yaml", name, p)
		}
	}
	return ""
}

// Problems returns every error of the repository: Errors first, then those
// of templates, modules and tenants, each once.
func (r *Repo) Problems() ManifestErrors {
	seen := make(map[*ManifestError]bool)
	var out ManifestErrors
	add := func(es []*ManifestError) {
		for _, e := range es {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	add(r.Errors)
	for _, name := range sortedKeys(r.Templates) {
		add(r.Templates[name].Errors)
	}
	for _, name := range sortedKeys(r.Modules) {
		add(r.Modules[name].Errors)
	}
	for _, t := range r.Tenants {
		add(t.Errors)
	}
	return out
}

// Tenant returns the tenant with slug.
func (r *Repo) Tenant(slug string) (*Tenant, bool) {
	for _, t := range r.Tenants {
		if t.Slug == slug {
			return t, true
		}
	}
	return nil, false
}

// Load reads and validates the repository in fsys. Manifest problems are
// not an error of Load: they are in Repo.Errors and Tenant.Errors, all of
// them, so one bad tenant never hides another. Load fails only when fsys
// cannot be read, or with an *UnknownServerError when opts.Servers names a
// server landlord.yaml does not define.
func Load(fsys fs.FS, revision string, opts LoadOptions) (*Repo, error) {
	r := &Repo{Revision: revision, Templates: map[string]*Template{}, Modules: map[string]*Module{}}
	for _, name := range opts.Reserved {
		r.reserved = append(r.reserved, strings.ToLower(name))
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if err := r.loadConfig(fsys, opts); err != nil {
		return nil, err
	}
	basic, errs, err := r.hclFiles(fsys, "layers/basic")
	if err != nil {
		return nil, err
	}
	r.Errors = append(r.Errors, errs...)
	if len(basic) == 0 {
		// A directory has no line; 1:1 keeps the file:line:col form that
		// editors and CI annotations read.
		r.Errors = append(r.Errors, &ManifestError{File: "layers/basic", Line: 1, Column: 1, Msg: "the basic layer has no .hcl files; it must declare the schema block every tenant starts from"})
	}
	r.Basic = basic
	if err := r.loadTemplates(fsys); err != nil {
		return nil, err
	}
	if err := r.loadModules(fsys); err != nil {
		return nil, err
	}
	if err := r.loadTenants(fsys); err != nil {
		return nil, err
	}
	if err := r.resolveLayers(fsys); err != nil {
		return nil, err
	}
	// Callers read Field and Msg as they are, into JSON, markdown and
	// the landlord database, not only through Error.
	for _, e := range r.Problems() {
		e.Field, e.Msg = printableText(e.Field), printableText(e.Msg)
	}
	return r, nil
}

func (r *Repo) loadConfig(fsys fs.FS, opts LoadOptions) error {
	const file = "landlord.yaml"
	data, merr, err := r.readFile(fsys, file, MaxManifestSize)
	if errors.Is(err, fs.ErrNotExist) {
		r.Errors = append(r.Errors, &ManifestError{File: file, Msg: "not found: the repository root must hold landlord.yaml"})
		return nil
	}
	if err != nil {
		return err
	}
	if merr != nil {
		r.Errors = append(r.Errors, merr)
		return nil
	}
	doc, errs := decode(file, data, &r.Config)
	r.Errors = append(r.Errors, errs...)
	if doc.root == nil || doc.root.Kind != yaml.MappingNode {
		// Nothing could be read. An unknown field or a wrong type leaves
		// the rest read, and checked below: the servers' URLs are
		// expanded, so no later check mistakes ${VAR:-default} for a URL.
		return nil
	}
	c := &r.Config
	if c.Servers == nil {
		c.Servers = map[string]*Server{}
	}
	for _, name := range sortedKeys(opts.Servers) {
		s, ok := c.Servers[name]
		if !ok {
			return &UnknownServerError{Name: name, Defined: sortedKeys(c.Servers)}
		}
		if s == nil {
			s = &Server{}
			c.Servers[name] = s
		}
		s.URL, s.URLError = opts.Servers[name], nil
		s.overridden = true
	}
	if len(c.Servers) == 0 {
		r.Errors = append(r.Errors, doc.errorf("servers", "no servers: define at least one, e.g. servers: {primary: {url: ...}}"))
	}
	for _, name := range sortedKeys(c.Servers) {
		s := c.Servers[name]
		field := "servers." + name
		if s == nil {
			r.Errors = append(r.Errors, doc.errorf(field, "empty server definition"))
			c.Servers[name] = &Server{URLError: fmt.Errorf("server %q has no definition", name)}
			continue
		}
		if !namePattern.MatchString(name) {
			r.Errors = append(r.Errors, doc.errorf(field, "server name %q: use lowercase letters, digits and dashes", name))
		}
		s.Line, s.Column = doc.pos(field + ".url")
		if !s.overridden {
			if s.URL == "" {
				r.Errors = append(r.Errors, doc.errorf(field+".url", "url is required"))
				continue
			}
			if hasLiteralPassword(s.URL) {
				r.Errors = append(r.Errors, doc.errorf(field+".url", "the url holds a password: never keep a secret in git; write ${%s} and set it in the environment, or pass --server %s=URL", envVar(name, "PASSWORD"), name))
				s.URL = ""
				s.URLError = fmt.Errorf("server %q: url holds a literal password", name)
				continue
			}
			if p := credentialParam(s.URL); p != "" {
				// Even from the environment: landlord would send it to the
				// server as a session variable, and print it with the URL.
				r.Errors = append(r.Errors, doc.errorf(field+".url", "the url holds a secret in %s: write the password after the user name and a colon, as ${%s} from the environment", p, envVar(name, "PASSWORD")))
				s.URL = ""
				s.URLError = fmt.Errorf("server %q: url has a credential parameter", name)
				continue
			}
			if why := checkEnvRefs(s.URL); why != "" {
				r.Errors = append(r.Errors, doc.errorf(field+".url", "%s", why))
				s.URL = ""
				s.URLError = fmt.Errorf("server %q: url reads the environment where it may not", name)
				continue
			}
			expanded, err := expand(s.URL, opts.LookupEnv)
			if err == nil {
				err = passwordBound(s.URL, opts.LookupEnv)
			}
			if err != nil {
				// Not an error of the repository: the environment is
				// incomplete. Tenants on this server fail with it.
				s.URLError = fmt.Errorf("server %q: url: %w (set it, or pass --server %s=URL)", name, err, name)
				s.URL = ""
			} else if fromEnv(s.URL, opts.LookupEnv) {
				// The whole URL is the operator's, from the
				// environment: it may name any directory, as
				// --server may (a relative one is still in the
				// repository).
				s.URL = inRepo(expanded, opts.Dir)
			} else if err := confined(expanded, opts.Dir); err != nil {
				r.Errors = append(r.Errors, doc.errorf(field+".url", "%v: a directory in landlord.yaml stays inside the repository; for one elsewhere pass --server %s=URL, or write url: ${%s} and set it in the environment", err, name, envVar(name, "URL")))
				s.URL = ""
				s.URLError = fmt.Errorf("server %q: url: %w", name, err)
				continue
			} else {
				s.URL = inRepo(expanded, opts.Dir)
			}
		}
		s.Root = sqliteRoot(s.URL, opts.Dir)
		switch s.Engine {
		case "", "mysql", "mariadb", "sqlite":
		default:
			r.Errors = append(r.Errors, doc.errorf(field+".engine", "unknown engine %q: want mysql, mariadb or sqlite", s.Engine))
		}
		if s.DatabasePrefix != "" && !prefixPattern.MatchString(s.DatabasePrefix) {
			r.Errors = append(r.Errors, doc.errorf(field+".databasePrefix", "invalid database prefix %q: up to 32 lowercase letters, digits and underscores, starting with a letter", s.DatabasePrefix))
			s.DatabasePrefix = ""
		}
		if s.MaxConnections < 0 {
			r.Errors = append(r.Errors, doc.errorf(field+".maxConnections", "must be positive"))
		}
		if s.Concurrency < 0 {
			r.Errors = append(r.Errors, doc.errorf(field+".concurrency", "must be positive"))
		}
		for _, d := range []struct {
			key string
			in  string
			out *time.Duration
		}{
			{"connectTimeout", s.ConnectTimeout, &s.Timeouts.Connect},
			{"readTimeout", s.ReadTimeout, &s.Timeouts.Read},
			{"writeTimeout", s.WriteTimeout, &s.Timeouts.Write},
			{"statementTimeout", s.StatementTimeout, &s.Timeouts.Statement},
			{"stallTimeout", s.StallTimeout, &s.Timeouts.Stall},
		} {
			if d.in == "" {
				continue
			}
			v, err := time.ParseDuration(d.in)
			if err != nil || v <= 0 {
				r.Errors = append(r.Errors, doc.errorf(field+"."+d.key, "want a positive duration such as 30s or 1h, got %q", d.in))
				continue
			}
			*d.out = v
		}
	}
	if c.Defaults.Server == "" && len(c.Servers) == 1 {
		for name := range c.Servers {
			c.Defaults.Server = name
		}
	}
	if c.Defaults.Server != "" && c.Servers[c.Defaults.Server] == nil {
		r.Errors = append(r.Errors, doc.errorf("defaults.server", "server %q is not defined under servers", c.Defaults.Server))
	}
	// Neither set: utf8mb4 with utf8mb4_unicode_ci. One set: the other
	// half is the server's default pairing (schema resolves it), never a
	// fixed utf8mb4 default that would not belong to the charset.
	if c.Database.Charset == "" && c.Database.Collation == "" {
		c.Database.Charset, c.Database.Collation = "utf8mb4", "utf8mb4_unicode_ci"
	}
	for field, v := range map[string]string{"database.charset": c.Database.Charset, "database.collation": c.Database.Collation} {
		if v != "" && !regexp.MustCompile(`^[a-z0-9_]+$`).MatchString(v) {
			r.Errors = append(r.Errors, doc.errorf(field, "%q is not a charset or collation name", v))
		}
	}
	if cs, coll := c.Database.Charset, c.Database.Collation; cs != "" && coll != "" && !collationOf(coll, cs) {
		r.Errors = append(r.Errors, doc.errorf("database.collation", "collation %s does not belong to charset %s (a collation's name starts with its charset's)", coll, cs))
	}
	if err := checkDrift(c.Policy.Drift); err != "" {
		r.Errors = append(r.Errors, doc.errorf("policy.drift", "%s", err))
	}
	if c.Snapshots.Keep < 0 || c.Snapshots.MaxDays < 0 {
		r.Errors = append(r.Errors, doc.errorf("snapshots", "keep and maxDays must be positive"))
	}
	if c.Backups.Keep < 0 || c.Backups.MaxDays < 0 {
		r.Errors = append(r.Errors, doc.errorf("backups", "keep and maxDays must be positive"))
	}
	if c.Backups.Schedule != "" {
		if _, err := cron.ParseStandard(c.Backups.Schedule); err != nil {
			r.Errors = append(r.Errors, doc.errorf("backups.schedule", "%q is not a cron expression: %v", c.Backups.Schedule, err))
		}
	}
	if c.Backups.Location != "" {
		if u, err := url.Parse(c.Backups.Location); err == nil && u.User != nil {
			r.Errors = append(r.Errors, doc.errorf("backups.location", "the location holds credentials: never keep a secret in git; object storage takes them from the environment"))
		}
	}
	r.Errors = append(r.Errors, validateHealth(doc, &c.Health)...)
	for field, patterns := range map[string][]string{"comparison.ignoreTables": c.Comparison.IgnoreTables, "comparison.ignoreColumns": c.Comparison.IgnoreColumns, "database.deny": c.Database.Deny} {
		for i, p := range patterns {
			if _, err := path.Match(p, ""); err != nil || p == "" {
				line, col := doc.itemPos(field, i)
				r.Errors = append(r.Errors, &ManifestError{File: doc.file, Line: line, Column: col, Field: fmt.Sprintf("%s[%d]", field, i),
					Msg: fmt.Sprintf("%q is not a name or glob pattern (*, ?, [a-z])", p)})
			}
		}
	}
	return nil
}

// The environment is the operator's, the repository the author's: a
// landlord.yaml that could name any variable would read the operator's
// secrets (a CI job's cloud keys, landlord's own tokens) into a user name,
// a host or a directory, where landlord shows it in messages, the server
// echoes it ("Access denied for user '…'") and a resolver sends it out.
// So landlord.yaml reads two kinds of variables, in one place each: a
// whole URL from ${LANDLORD_<NAME>_URL} (or ${LANDLORD_<NAME>_URL:-default}),
// and the password of a URL from ${LANDLORD_<NAME>_PASSWORD}. landlord's
// own settings are never named so (TestOwnVariablesUnreadableByRepository).
var (
	urlVar      = regexp.MustCompile(`^LANDLORD_[A-Z0-9_]+_URL$`)
	passwordVar = regexp.MustCompile(`^\$\{LANDLORD_[A-Z0-9_]+_PASSWORD\}$`)
)

// envVar is the variable that landlord.yaml would read the server's URL
// or PASSWORD from, by its name: LANDLORD_PRIMARY_URL.
func envVar(server, what string) string {
	return "LANDLORD_" + strings.ToUpper(strings.ReplaceAll(server, "-", "_")) + "_" + what
}

// checkEnvRefs returns why the url written in landlord.yaml reads the
// environment other than as a whole ${LANDLORD_*_URL} or a password
// ${LANDLORD_*_PASSWORD}, or "".
func checkEnvRefs(raw string) string {
	const rule = "landlord.yaml reads two things from the environment: a whole url, ${LANDLORD_<NAME>_URL} (or ${LANDLORD_<NAME>_URL:-default}), and the password of a url, ${LANDLORD_<NAME>_PASSWORD} after the user name and a colon; nothing else, nowhere else"
	n := strings.Count(raw, "${")
	if n == 0 {
		return ""
	}
	if m := envRef.FindStringSubmatch(raw); m != nil {
		if !urlVar.MatchString(m[1]) {
			return fmt.Sprintf("${%s}: %s", m[1], rule)
		}
		return ""
	}
	// url.Parse refuses the braces: find the password by hand, between
	// the first ':' and the last '@' of the part before the path.
	if _, rest, ok := strings.Cut(raw, "://"); ok && n == 1 {
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			rest = rest[:i]
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pass, ok := strings.Cut(rest[:at], ":"); ok && passwordVar.MatchString(pass) {
				return ""
			}
		}
	}
	return rule
}

// passwordRef finds the ${LANDLORD_<NAME>_PASSWORD} of a url.
var passwordRef = regexp.MustCompile(`\$\{(LANDLORD_[A-Z0-9_]+_PASSWORD)\}`)

// passwordBound returns why the password that raw, a url written in
// landlord.yaml, reads from ${LANDLORD_<NAME>_PASSWORD} may not go to the
// host raw names, or nil. The host is the repository's, and so is the
// choice of variable: a commit or a pull request that points a url at a
// host of its own (with tls=true and a certificate of its own, the
// server asks for the password itself) would have landlord hand the
// operator's password over. The operator names where it may go, in
// LANDLORD_<NAME>_PASSWORD_HOSTS: hosts, host:port pairs (a host alone
// is any port) or socket paths, separated by commas, or * for any host.
func passwordBound(raw string, lookup func(string) (string, bool)) error {
	m := passwordRef.FindStringSubmatch(raw)
	if m == nil {
		return nil
	}
	u, err := url.Parse(strings.Replace(raw, m[0], "x", 1))
	if err != nil {
		return nil // the url's own error is the server's
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = "3306"
	}
	dest := net.JoinHostPort(host, port)
	for k, vs := range u.Query() {
		if strings.EqualFold(k, "socket") && len(vs) > 0 {
			host, port, dest = vs[0], "", vs[0]
		}
	}
	hostsVar := m[1] + "_HOSTS"
	allowed, _ := lookup(hostsVar)
	if strings.TrimSpace(allowed) == "" {
		return fmt.Errorf("the password from %s goes only to the hosts the operator names, and %s is not set: set it to %q (hosts, host:port pairs or socket paths, separated by commas)",
			m[1], hostsVar, dest)
	}
	for _, a := range strings.Split(allowed, ",") {
		a = strings.TrimSpace(a)
		if a == "*" || port == "" && a == dest {
			return nil
		}
		if port == "" {
			continue // a socket is named by its path
		}
		if strings.EqualFold(a, host) {
			return nil
		}
		if h, p, err := net.SplitHostPort(a); err == nil && strings.EqualFold(h, host) && p == port {
			return nil
		}
	}
	return fmt.Errorf("the password from %s goes only to the hosts in %s, and the url names %q, not one of them: the repository may not send the password elsewhere",
		m[1], hostsVar, dest)
}

// fromEnv reports whether the url written in landlord.yaml is one ${VAR}
// or ${VAR:-default} reference whose variable is set: the whole URL is
// then the operator's, not the repository's. The default, and a URL only
// partly from the environment (sqlite://${DIR}/x), are the repository's.
func fromEnv(raw string, lookup func(string) (string, bool)) bool {
	m := envRef.FindStringSubmatch(raw)
	if m == nil {
		return false
	}
	v, ok := lookup(m[1])
	return ok && v != ""
}

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$`)

// confined returns why the sqlite:// directory of u, written in the
// repository, is not inside the repository's directory dir: it is
// absolute, it climbs out with .., or an existing part of it is a
// symbolic link that leads out. With no dir (a remote repository, whose
// relative directory is in the working directory) only the first two
// are checked. Any other URL is nil.
func confined(u, dir string) error {
	rest, ok := strings.CutPrefix(u, "sqlite://")
	if !ok || rest == "" {
		return nil // schema says an empty directory is missing
	}
	if filepath.IsAbs(rest) {
		return fmt.Errorf("sqlite:// directory %q is absolute", rest)
	}
	if !filepath.IsLocal(rest) {
		return fmt.Errorf("sqlite:// directory %q leaves the repository", rest)
	}
	if dir == "" {
		return nil
	}
	in, err := confine.Within(dir, filepath.Join(dir, rest))
	if err != nil {
		return fmt.Errorf("sqlite:// directory %q: %w", rest, err)
	}
	if !in {
		return fmt.Errorf("sqlite:// directory %q leads out of the repository through a symbolic link", rest)
	}
	return nil
}

// sqliteRoot returns dir when u is an sqlite:// directory inside it (a
// relative one from --server is relative to the working directory), ""
// otherwise: whoever named it, the repository controls the symbolic links
// there.
func sqliteRoot(u, dir string) string {
	rest, ok := strings.CutPrefix(u, "sqlite://")
	if !ok || rest == "" || dir == "" {
		return ""
	}
	p, err := filepath.Abs(rest)
	if err != nil || !confine.Lexically(dir, p) {
		return ""
	}
	return dir
}

// inRepo resolves a relative sqlite:// directory against the repository's
// directory dir, when there is one.
func inRepo(u, dir string) string {
	rest, ok := strings.CutPrefix(u, "sqlite://")
	if !ok || dir == "" || rest == "" || filepath.IsAbs(rest) {
		return u
	}
	return "sqlite://" + filepath.Join(dir, rest)
}

// Overridden reports whether the URL comes from a --server override, not
// from landlord.yaml (so an error about it has no line there).
func (s *Server) Overridden() bool { return s.overridden }

// UnknownServerError is a server override (--server NAME=URL) for a name
// that landlord.yaml does not define.
type UnknownServerError struct {
	Name    string
	Defined []string
}

func (e *UnknownServerError) Error() string {
	defined := "none"
	if len(e.Defined) > 0 {
		defined = strings.Join(e.Defined, ", ")
	}
	return fmt.Sprintf("--server %s=…: landlord.yaml defines no server %q (defined: %s)", e.Name, e.Name, defined)
}

func checkDrift(p string) string {
	switch p {
	case "", DriftReport, DriftHeal:
		return ""
	}
	return fmt.Sprintf("unknown drift policy %q: want report or heal", p)
}

// hasLiteralPassword reports whether a server URL written in git carries a
// password that is not an environment reference.
func hasLiteralPassword(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return false
	}
	p, ok := u.User.Password()
	return ok && p != "" && !strings.Contains(p, "${")
}

var plainName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// credentialParam returns how to name a query parameter of a server URL
// named like a credential (?password=, ?token=: mysqlurl.CredentialName)
// with a value, or "" when there is none. It reads the query by hand: a URL
// that url.Parse refuses may still hold one. A name of other characters
// than letters, digits and _ is not repeated: it may hold the secret.
func credentialParam(raw string) string {
	_, query, _ := strings.Cut(raw, "?")
	for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, _ := strings.Cut(kv, "=")
		if n, err := url.QueryUnescape(k); err == nil {
			k = n
		}
		if v != "" && mysqlurl.CredentialName(k) {
			if !plainName.MatchString(k) {
				return "a parameter named like a credential"
			}
			return "parameter " + k
		}
	}
	return ""
}

func (r *Repo) loadTemplates(fsys fs.FS) error {
	dirs, outside, err := subdirs(fsys, "layers/templates")
	if err != nil {
		return err
	}
	for _, name := range outside {
		dir := "layers/templates/" + name
		r.Templates[name] = &Template{Name: name, File: dir + "/template.yaml", Errors: []*ManifestError{{File: dir, Msg: ErrOutsideRepository.Error()}}}
	}
	for _, name := range dirs {
		dir := "layers/templates/" + name
		t := &Template{Name: name, File: dir + "/template.yaml"}
		r.Templates[name] = t
		files, errs, err := r.hclFiles(fsys, dir)
		if err != nil {
			return err
		}
		t.Files = files
		t.Errors = append(t.Errors, errs...)
		data, merr, err := r.readFile(fsys, t.File, MaxManifestSize)
		if errors.Is(err, fs.ErrNotExist) {
			t.Errors = append(t.Errors, &ManifestError{File: t.File, Msg: "not found: every template directory needs a template.yaml"})
			continue
		}
		if err != nil {
			return err
		}
		if merr != nil {
			t.Errors = append(t.Errors, merr)
			continue
		}
		doc, errs := decode(t.File, data, t)
		t.Errors = append(t.Errors, errs...)
		if !namePattern.MatchString(name) {
			t.Errors = append(t.Errors, &ManifestError{File: t.File, Msg: fmt.Sprintf("template name %q: use lowercase letters, digits and dashes", name)})
		}
		if len(errs) == 0 {
			t.docRequires = doc
		}
	}
	return nil
}

func (r *Repo) loadModules(fsys fs.FS) error {
	dirs, outside, err := subdirs(fsys, "layers/modules")
	if err != nil {
		return err
	}
	for _, name := range outside {
		dir := "layers/modules/" + name
		r.Modules[name] = &Module{Name: name, File: dir + "/module.yaml", Errors: []*ManifestError{{File: dir, Msg: ErrOutsideRepository.Error()}}}
	}
	docs := map[string]*document{}
	for _, name := range dirs {
		dir := "layers/modules/" + name
		m := &Module{Name: name, File: dir + "/module.yaml"}
		r.Modules[name] = m
		files, errs, err := r.hclFiles(fsys, dir)
		if err != nil {
			return err
		}
		m.Files = files
		m.Errors = append(m.Errors, errs...)
		data, merr, err := r.readFile(fsys, m.File, MaxManifestSize)
		if errors.Is(err, fs.ErrNotExist) {
			m.Errors = append(m.Errors, &ManifestError{File: m.File, Msg: "not found: every module directory needs a module.yaml"})
			continue
		}
		if err != nil {
			return err
		}
		if merr != nil {
			m.Errors = append(m.Errors, merr)
			continue
		}
		doc, errs := decode(m.File, data, m)
		m.Errors = append(m.Errors, errs...)
		if !namePattern.MatchString(name) {
			m.Errors = append(m.Errors, &ManifestError{File: m.File, Msg: fmt.Sprintf("module name %q: use lowercase letters, digits and dashes", name)})
		}
		if len(errs) == 0 {
			docs[name] = doc
		}
	}
	for _, name := range sortedKeys(docs) {
		m, doc := r.Modules[name], docs[name]
		for i, req := range m.Requires {
			switch {
			case req == name:
				m.Errors = append(m.Errors, doc.itemErrorf("requires", i, "module %q requires itself", name))
			case r.Modules[req] == nil:
				m.Errors = append(m.Errors, doc.itemErrorf("requires", i, "module %q requires module %q, which does not exist (no layers/modules/%s/module.yaml)", name, req, req))
			}
		}
	}
	// Dependency cycles: each module on a cycle gets the error.
	for _, name := range sortedKeys(docs) {
		if cycle := findCycle(name, r.Modules); cycle != nil {
			m := r.Modules[name]
			m.Errors = append(m.Errors, docs[name].errorf("requires", "dependency cycle: %s", strings.Join(cycle, " → ")))
		}
	}
	for _, name := range sortedKeys(r.Templates) {
		t := r.Templates[name]
		if t.docRequires == nil {
			continue
		}
		for i, req := range t.Requires {
			if r.Modules[req] == nil {
				t.Errors = append(t.Errors, t.docRequires.itemErrorf("requires", i, "template %q requires module %q, which does not exist", name, req))
			}
		}
	}
	return nil
}

// findCycle returns a dependency cycle through start, or nil.
func findCycle(start string, modules map[string]*Module) []string {
	var walk func(name string, path []string, seen map[string]bool) []string
	walk = func(name string, path []string, seen map[string]bool) []string {
		m := modules[name]
		if m == nil {
			return nil
		}
		for _, req := range m.Requires {
			if req == start {
				return append(append([]string{}, path...), req)
			}
			if seen[req] || req == name {
				continue
			}
			seen[req] = true
			if c := walk(req, append(path, req), seen); c != nil {
				return c
			}
		}
		return nil
	}
	return walk(start, []string{start}, map[string]bool{start: true})
}

func (r *Repo) loadTenants(fsys fs.FS) error {
	entries, err := fs.ReadDir(fsys, "tenants")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	type placed struct {
		t   *Tenant
		doc *document
	}
	// Where each server is, read from its URL once, not per tenant.
	endpoints := make(map[string]string, len(r.Config.Servers))
	for name := range r.Config.Servers {
		endpoints[name] = r.endpoint(name)
	}
	byDatabase := map[string][]placed{}
	for _, e := range entries {
		file := "tenants/" + e.Name()
		if e.IsDir() {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: ignored: tenant manifests are the .yaml files of tenants/ itself", file))
			continue
		}
		switch path.Ext(e.Name()) {
		case ".yaml":
		case ".yml":
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: ignored: tenant manifests end in .yaml", file))
			continue
		default:
			continue
		}
		data, merr, err := r.readFile(fsys, file, MaxManifestSize)
		if errors.Is(err, fs.ErrNotExist) {
			merr, err = danglingLink(file), nil
		}
		if err != nil {
			return err
		}
		var (
			m    tenantManifest
			doc  *document
			errs ManifestErrors
		)
		if merr != nil {
			errs = ManifestErrors{merr}
		} else {
			doc, errs = decode(file, data, &m)
		}
		stem := strings.TrimSuffix(e.Name(), ".yaml")
		t := &Tenant{File: file, Errors: errs, Slug: m.Slug}
		if t.Slug == "" {
			t.Slug = stem
		}
		r.Tenants = append(r.Tenants, t)
		if len(errs) > 0 {
			continue
		}
		r.validateTenant(t, &m, doc, stem)
		if t.Server != "" && t.Database != "" {
			at, ok := endpoints[t.Server]
			if !ok {
				at = r.endpoint(t.Server) // not in landlord.yaml: by its name
			}
			key := at + "\x00" + t.Database
			byDatabase[key] = append(byDatabase[key], placed{t, doc})
		}
	}
	for _, key := range sortedKeys(byDatabase) {
		ps := byDatabase[key]
		if len(ps) < 2 {
			continue
		}
		for _, p := range ps {
			var others []string
			for _, o := range ps {
				switch {
				case o.t == p.t:
				case o.t.Server != p.t.Server:
					// Two entries of landlord.yaml, one server.
					others = append(others, fmt.Sprintf("%s (on server %q, the same server)", o.t.File, o.t.Server))
				default:
					others = append(others, o.t.File)
				}
			}
			field := "database"
			if p.doc.root != nil && !hasField(p.doc, "database") {
				field = "slug"
			}
			p.t.Errors = append(p.t.Errors, p.doc.errorf(field, "database %q on server %q is also the database of %s", p.t.Database, p.t.Server, strings.Join(others, ", ")))
		}
	}
	sort.Slice(r.Tenants, func(i, j int) bool { return r.Tenants[i].Slug < r.Tenants[j].Slug })
	return nil
}

func hasField(d *document, field string) bool {
	for i := 0; i+1 < len(d.root.Content); i += 2 {
		if d.root.Content[i].Value == field {
			return true
		}
	}
	return false
}

func (r *Repo) validateTenant(t *Tenant, m *tenantManifest, doc *document, stem string) {
	fail := func(e *ManifestError) { t.Errors = append(t.Errors, e) }
	switch {
	case m.Slug == "":
		fail(doc.errorf("slug", "slug is required"))
	case !slugPattern.MatchString(m.Slug):
		fail(doc.errorf("slug", "invalid slug %q: 2 to 63 characters, lowercase letters, digits and dashes, starting with a letter", m.Slug))
	case m.Slug != stem:
		fail(doc.errorf("slug", "slug %q does not match the file name: rename the file tenants/%s.yaml", m.Slug, m.Slug))
	}
	t.Name = m.Name
	if msg := checkText(m.Name, MaxNameLength); msg != "" {
		fail(doc.errorf("name", "%s", msg))
	}
	if t.Name == "" {
		t.Name = m.Slug
	}
	t.Domain = m.Domain
	t.Adopt = m.Adopt
	if m.Domain != "" && (len(m.Domain) > MaxDomainLength || !domainPattern.MatchString(m.Domain)) {
		fail(doc.errorf("domain", "invalid domain: a DNS name of at most %d characters, labels of letters, digits and dashes separated by dots", MaxDomainLength))
	}
	t.Lifecycle = m.Lifecycle
	switch t.Lifecycle {
	case "":
		t.Lifecycle = Active
	case Active, Suspended, Decommissioned:
	default:
		fail(doc.errorf("lifecycle", "unknown lifecycle %q: want active, suspended or decommissioned", m.Lifecycle))
	}
	t.Environment = m.Environment
	switch t.Environment {
	case "":
		t.Environment = Production
	case Development, Staging, Production:
	default:
		fail(doc.errorf("environment", "unknown environment %q: want development, staging or production", m.Environment))
		t.Environment = Production
	}
	if m.DecommissionedAt != "" {
		at, err := time.Parse(time.DateOnly, m.DecommissionedAt)
		if err != nil {
			at, err = time.Parse(time.RFC3339, m.DecommissionedAt)
		}
		if err != nil {
			fail(doc.errorf("decommissionedAt", "invalid date %q: want YYYY-MM-DD or RFC 3339", m.DecommissionedAt))
		} else {
			at = at.UTC()
			t.DecommissionedAt = &at
		}
	}
	t.Database = m.Database
	if t.Database == "" && slugPattern.MatchString(m.Slug) {
		t.Database = strings.ReplaceAll(m.Slug, "-", "_")
	}
	if m.Database != "" && !databasePattern.MatchString(m.Database) {
		fail(doc.errorf("database", "invalid database name %q: 1 to 64 characters, lowercase letters, digits and underscores, starting with a letter", m.Database))
		t.Database = ""
	}
	if t.Database != "" {
		if why := ReservedDatabase(t.Database, r.reserved, r.Config.Database.Deny); why != "" {
			field := "database"
			if m.Database == "" {
				field = "slug"
			}
			fail(doc.errorf(field, "a tenant may not have database %q: %s", t.Database, why))
			t.Database = ""
		}
	}
	t.Server = m.Server
	if t.Server == "" {
		t.Server = r.Config.Defaults.Server
	}
	switch {
	case t.Server == "":
		fail(doc.errorf("server", "no server: set server, or defaults.server in landlord.yaml"))
	case r.Config.Servers[t.Server] == nil:
		fail(doc.errorf("server", "server %q is not defined in landlord.yaml", t.Server))
	case t.Database != "" && r.Config.Servers[t.Server].DatabasePrefix != "":
		full := r.Config.Servers[t.Server].DatabasePrefix + t.Database
		if len(full) > 64 {
			field := "slug"
			if m.Database != "" {
				field = "database"
			}
			fail(doc.errorf(field, "database name %q (with the databasePrefix of server %q) is longer than 64 characters", full, t.Server))
		}
		t.Database = full
		// The name the tenant gets is the prefixed one: it is the one
		// that may not be a system, landlord or denied database.
		if why := ReservedDatabase(full, r.reserved, r.Config.Database.Deny); why != "" {
			field := "database"
			if m.Database == "" {
				field = "slug"
			}
			fail(doc.errorf(field, "a tenant may not have database %q (with the databasePrefix of server %q): %s", full, t.Server, why))
			t.Database = ""
		}
	}
	t.AllowDestructive = false
	if p := r.Config.Policy.AllowDestructive; p != nil {
		t.AllowDestructive = *p
	}
	if p := m.Policy.AllowDestructive; p != nil {
		switch {
		case *p && !t.AllowDestructive && !r.Config.Policy.TenantOverrides:
			fail(doc.errorf("policy.allowDestructive", "a tenant manifest may only tighten the policy of landlord.yaml: allowDestructive: true needs policy.tenantOverrides: true in landlord.yaml"))
		default:
			t.AllowDestructive = *p
		}
	}
	t.DriftPolicy = DriftReport
	if r.Config.Policy.Drift != "" {
		t.DriftPolicy = r.Config.Policy.Drift
	}
	if m.Policy.Drift != "" {
		switch {
		case checkDrift(m.Policy.Drift) != "":
			fail(doc.errorf("policy.drift", "%s", checkDrift(m.Policy.Drift)))
		case m.Policy.Drift == DriftHeal && t.DriftPolicy != DriftHeal && !r.Config.Policy.TenantOverrides:
			// Heal changes the database without a new revision: looser
			// than report.
			fail(doc.errorf("policy.drift", "a tenant manifest may only tighten the policy of landlord.yaml: drift: heal needs policy.tenantOverrides: true in landlord.yaml"))
		default:
			t.DriftPolicy = m.Policy.Drift
		}
	}
	t.Template = m.Template
	tmpl := r.Templates[m.Template]
	switch {
	case m.Template == "":
		fail(doc.errorf("template", "template is required"))
	case tmpl == nil:
		fail(doc.errorf("template", "template %q does not exist (no layers/templates/%s/template.yaml)%s", m.Template, m.Template, didYouMean(m.Template, r.Templates)))
	case len(tmpl.Errors) > 0:
		fail(derived(doc.errorf("template", "template %q is invalid: %s", m.Template, tmpl.Errors[0]), tmpl.Errors[0]))
	case !tmpl.IsActive():
		fail(doc.errorf("template", "template %q is not active (active: false in %s)", m.Template, tmpl.File))
	}
	t.Modules = m.Modules
	selected := map[string]bool{}
	for i, name := range m.Modules {
		mod := r.Modules[name]
		switch {
		case selected[name]:
			fail(doc.itemErrorf("modules", i, "module %q is listed twice", name))
		case mod == nil:
			fail(doc.itemErrorf("modules", i, "module %q does not exist (no layers/modules/%s/module.yaml)%s", name, name, didYouMean(name, r.Modules)))
		case len(mod.Errors) > 0:
			fail(derived(doc.itemErrorf("modules", i, "module %q is invalid: %s", name, mod.Errors[0]), mod.Errors[0]))
		}
		selected[name] = true
	}
	if tmpl != nil {
		for _, req := range tmpl.Requires {
			if !selected[req] {
				fail(doc.errorf("modules", "template %q requires module %q: add it to modules", m.Template, req))
			}
		}
	}
	for i, name := range m.Modules {
		mod := r.Modules[name]
		if mod == nil {
			continue
		}
		for _, req := range mod.Requires {
			// A required module that does not exist cannot be added: that
			// is the module's own error, which the tenant already carries.
			if !selected[req] && r.Modules[req] != nil {
				fail(doc.itemErrorf("modules", i, "module %q requires module %q: add it to modules", name, req))
			}
		}
	}
}

func didYouMean[V any](name string, known map[string]V) string {
	for _, k := range sortedKeys(known) {
		if distance(k, name) <= 2 {
			return fmt.Sprintf("; did you mean %q?", k)
		}
	}
	return ""
}

// resolveLayers sets each valid tenant's layers: basic, template, modules in
// dependency order (ties keep the manifest's order), custom.
func (r *Repo) resolveLayers(fsys fs.FS) error {
	customs, outside, err := subdirs(fsys, "layers/custom")
	if err != nil {
		return err
	}
	r.Custom = make(map[string][]File, len(customs))
	customErrors := map[string]ManifestErrors{}
	for _, c := range outside {
		customErrors[c] = ManifestErrors{{File: "layers/custom/" + c, Msg: ErrOutsideRepository.Error()}}
	}
	if top, err := fs.ReadDir(fsys, "layers/custom"); err == nil {
		for _, e := range top {
			if !e.IsDir() && path.Ext(e.Name()) == ".hcl" {
				r.Warnings = append(r.Warnings, fmt.Sprintf("layers/custom/%s: ignored: a custom layer is the directory layers/custom/<tenant>", e.Name()))
			}
		}
	}
	for _, c := range customs {
		var errs ManifestErrors
		if r.Custom[c], errs, err = r.hclFiles(fsys, "layers/custom/"+c); err != nil {
			return err
		}
		customErrors[c] = append(customErrors[c], errs...)
	}
	tenants := map[string]bool{}
	for _, t := range r.Tenants {
		tenants[t.Slug] = true
		t.Errors = append(t.Errors, customErrors[t.Slug]...)
	}
	for _, c := range append(customs, outside...) {
		if !tenants[c] {
			r.Warnings = append(r.Warnings, fmt.Sprintf("layers/custom/%s: no tenant %q: the layer is not used", c, c))
			for _, e := range customErrors[c] {
				r.Warnings = append(r.Warnings, e.Error())
			}
		}
	}
	for _, t := range r.Tenants {
		if !t.Valid() {
			continue
		}
		layers := []Layer{{Name: "basic", Files: r.Basic}}
		tmpl := r.Templates[t.Template]
		layers = append(layers, Layer{Name: "template/" + t.Template, Files: tmpl.Files})
		done := map[string]bool{}
		for len(done) < len(t.Modules) {
			progressed := false
			for _, name := range t.Modules {
				if done[name] {
					continue
				}
				ready := true
				for _, req := range r.Modules[name].Requires {
					if !done[req] {
						ready = false
					}
				}
				if ready {
					done[name] = true
					progressed = true
					layers = append(layers, Layer{Name: "module/" + name, Files: r.Modules[name].Files})
					break
				}
			}
			if !progressed {
				break // a cycle, reported on the module.
			}
		}
		if custom := r.Custom[t.Slug]; len(custom) > 0 {
			layers = append(layers, Layer{Name: "custom/" + t.Slug, Files: custom})
		}
		for i := range layers {
			files, errs, err := r.dataFiles(fsys, layerDir(layers[i].Name))
			if err != nil {
				return err
			}
			layers[i].Data = files
			t.Errors = append(t.Errors, errs...)
			demo, errs, err := r.demoFile(fsys, layerDir(layers[i].Name))
			if err != nil {
				return err
			}
			layers[i].Demo = demo
			t.Errors = append(t.Errors, errs...)
		}
		t.Layers = layers
	}
	return nil
}

type dataEntry struct {
	files []File
	errs  ManifestErrors
}

// layerDir is the directory of a layer: "basic", "template/x",
// "module/x" and "custom/x" live in layers/basic, layers/templates/x,
// layers/modules/x and layers/custom/x.
func layerDir(name string) string {
	kind, rest, _ := strings.Cut(name, "/")
	switch kind {
	case "template":
		return "layers/templates/" + rest
	case "module":
		return "layers/modules/" + rest
	case "custom":
		return "layers/custom/" + rest
	}
	return "layers/basic"
}

// dataFiles reads the .yaml and .csv files of dir/data, sorted by name,
// once per directory. Each is bounded by MaxDataFileSize; refdata decodes
// it, as a stream of rows each bounded on its own. One that cannot be read
// is left out and returned as a ManifestError.
func (r *Repo) dataFiles(fsys fs.FS, dir string) ([]File, ManifestErrors, error) {
	if e, ok := r.data[dir]; ok {
		return e.files, e.errs, nil
	}
	if r.data == nil {
		r.data = map[string]dataEntry{}
	}
	entries, err := fs.ReadDir(fsys, dir+"/data")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	var e dataEntry
	tables := map[string]string{}
	for _, de := range entries {
		p := dir + "/data/" + de.Name()
		if de.IsDir() || !IsDataFile(p) {
			continue
		}
		table := strings.TrimSuffix(de.Name(), path.Ext(de.Name()))
		if other, dup := tables[table]; dup {
			e.errs = append(e.errs, &ManifestError{File: p, Msg: fmt.Sprintf("rows for table %s are also in %s: one file per table and layer", table, other)})
			continue
		}
		tables[table] = p
		data, merr, err := r.readFile(fsys, p, MaxDataFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			merr, err = danglingLink(p), nil
		}
		if err != nil {
			return nil, nil, err
		}
		if merr != nil {
			e.errs = append(e.errs, merr)
			continue
		}
		e.files = append(e.files, File{Path: p, Data: data})
	}
	r.data[dir] = e
	return e.files, e.errs, nil
}

// demoFile reads dir/demo.yaml, once per directory, bounded and shaped as
// a data file is; a layer without one has none.
func (r *Repo) demoFile(fsys fs.FS, dir string) (*File, ManifestErrors, error) {
	if e, ok := r.demo[dir]; ok {
		if len(e.files) == 0 {
			return nil, e.errs, nil
		}
		return &e.files[0], e.errs, nil
	}
	if r.demo == nil {
		r.demo = map[string]dataEntry{}
	}
	var e dataEntry
	p := dir + "/demo.yaml"
	data, merr, err := r.readFile(fsys, p, MaxLayerFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.demo[dir] = e
		return nil, nil, nil
	case err != nil:
		return nil, nil, err
	}
	if merr == nil {
		merr = checkNesting(p, data)
	}
	if merr == nil {
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			merr = &ManifestError{File: p, Msg: err.Error()}
		} else {
			merr = checkShape(p, &root)
		}
	}
	if merr != nil {
		e.errs = append(e.errs, merr)
	} else {
		e.files = append(e.files, File{Path: p, Data: data})
	}
	r.demo[dir] = e
	return r.demoFile(fsys, dir)
}

// hclFiles reads the .hcl files of dir, sorted by name. A missing directory
// has none. A file over MaxLayerFileSize, or a symlink out of the
// repository, is left out and returned as a ManifestError.
func (r *Repo) hclFiles(fsys fs.FS, dir string) ([]File, ManifestErrors, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var (
		files []File
		errs  ManifestErrors
	)
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".hcl" {
			continue
		}
		p := dir + "/" + e.Name()
		data, merr, err := r.readFile(fsys, p, MaxLayerFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			merr, err = danglingLink(p), nil
		}
		if err != nil {
			return nil, nil, err
		}
		if merr != nil {
			errs = append(errs, merr)
			continue
		}
		files = append(files, File{Path: p, Data: data})
	}
	return files, errs, nil
}

// subdirs returns the directories in dir, and apart the symlinks in dir
// that lead out of the repository.
func subdirs(fsys fs.FS, dir string) (names, outside []string, err error) {
	entries, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if e.Type()&fs.ModeSymlink != 0 {
			st, err := fs.Stat(fsys, dir+"/"+e.Name())
			switch {
			case errors.Is(err, ErrOutsideRepository):
				outside = append(outside, e.Name())
			case err == nil && st.IsDir():
				names = append(names, e.Name())
			}
			continue
		}
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, outside, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// expand replaces ${VAR} and ${VAR:-default} in s. An unset variable without
// a default is an error naming it (never its value).
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	var (
		b       strings.Builder
		missing []string
	)
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return "", fmt.Errorf("unterminated ${ in url")
		}
		b.WriteString(s[:i])
		ref := s[i+2 : i+j]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(name) {
			return "", fmt.Errorf("invalid variable reference ${%s}", ref)
		}
		v, ok := lookup(name)
		switch {
		case ok && v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			missing = append(missing, name)
		}
		s = s[i+j+1:]
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return b.String(), nil
}

// derived marks e as following from cause, an error reported on its own.
func derived(e, cause *ManifestError) *ManifestError {
	e.Cause = cause
	return e
}

// collationOf reports whether a collation belongs to a charset: every
// collation MySQL and MariaDB ship is named after its charset (binary is
// both), and utf8 is utf8mb3.
func collationOf(collation, charset string) bool {
	alias := func(s string) string {
		if s == "utf8" {
			return "utf8mb3"
		}
		if rest, ok := strings.CutPrefix(s, "utf8_"); ok {
			return "utf8mb3_" + rest
		}
		return s
	}
	charset, collation = alias(charset), alias(collation)
	return collation == charset || strings.HasPrefix(collation, charset+"_")
}
