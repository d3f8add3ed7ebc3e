package desired

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
	goccytoken "github.com/goccy/go-yaml/token"
	"gopkg.in/yaml.v3"

	"github.com/landlord/landlord/internal/printable"
)

// Config is landlord.yaml: the servers, defaults and policies of the repo.
type Config struct {
	Servers  map[string]*Server `yaml:"servers"`
	Defaults Defaults           `yaml:"defaults"`
	Database Database           `yaml:"database"`
	Policy   Policy             `yaml:"policy"`
	// Snapshots, Drift, Comparison, Serve and Notifications are read by
	// later features; they are declared here so strict decoding knows them.
	Snapshots    Snapshots    `yaml:"snapshots"`
	Comparison   Comparison   `yaml:"comparison"`
	Backups      Backups      `yaml:"backups"`
	Decommission Decommission `yaml:"decommission"`
	// Health is serve's health rules and alerts.
	Health Health `yaml:"health"`
}

// Decommission is what landlord does with decommissioned tenants'
// databases: a final backup, then, after the retention hold and only when
// DropDatabases allows it, the database is dropped.
type Decommission struct {
	// RetentionDays is the hold after decommissionedAt; 0 means 30.
	RetentionDays int `yaml:"retentionDays"`
	// DropDatabases allows dropping a database once its hold ends; off by
	// default, when decommissioned databases are kept for good.
	DropDatabases bool `yaml:"dropDatabases"`
}

// Retention returns the hold of decommissioned tenants' databases.
func (d Decommission) Retention() time.Duration {
	days := d.RetentionDays
	if days <= 0 {
		days = 30
	}
	return time.Duration(days) * 24 * time.Hour
}

// Server is a database server as landlord.yaml names it.
type Server struct {
	// URL after ${ENV} expansion: mysql://, mariadb:// or sqlite://.
	// It may hold a password from the environment: never print it.
	URL string `yaml:"url"`
	// Engine optionally declares the engine, so that offline commands know
	// it without expanding the URL.
	Engine string `yaml:"engine"`
	// MaxConnections bounds the server's connection pool.
	MaxConnections int `yaml:"maxConnections"`
	// Concurrency bounds the tenants reconciled at once on the server.
	Concurrency int `yaml:"concurrency"`
	// The connection timeouts of a MySQL or MariaDB server, as Go
	// durations ("30s", "2h"); empty means landlord's default. The
	// server URL's query parameters of the same names take precedence.
	ConnectTimeout   string `yaml:"connectTimeout"`
	ReadTimeout      string `yaml:"readTimeout"`
	WriteTimeout     string `yaml:"writeTimeout"`
	StatementTimeout string `yaml:"statementTimeout"`
	StallTimeout     string `yaml:"stallTimeout"`
	// Timeouts holds the durations above, parsed (zero: not set).
	Timeouts Timeouts `yaml:"-"`
	// DatabasePrefix is put before the database name of every tenant on
	// the server (e.g. stg_), so that several deployments can share one.
	DatabasePrefix string `yaml:"databasePrefix"`

	// URLError is set when the URL could not be expanded (a variable is
	// not set); tenants on the server fail with it.
	URLError error `yaml:"-"`
	// Line and Column are where landlord.yaml sets the URL, for messages.
	Line, Column int `yaml:"-"`
	// Root is the repository's directory when the URL is an sqlite://
	// directory inside it, whoever names it (landlord.yaml, the
	// environment, --server): the repository controls the symbolic links
	// there, so the directory must resolve inside Root. Empty otherwise.
	Root string `yaml:"-"`

	overridden bool
}

// Timeouts are the parsed connection timeouts of a server.
type Timeouts struct {
	Connect, Read, Write, Statement, Stall time.Duration
}

// Defaults apply to tenants that leave a field out.
type Defaults struct {
	Server string `yaml:"server"`
}

// Database holds the options of new tenant databases.
type Database struct {
	Charset   string `yaml:"charset"`
	Collation string `yaml:"collation"`
	// Deny lists database names (or globs) no tenant may have, on top of
	// the names landlord always refuses (ReservedDatabase).
	Deny []string `yaml:"deny"`
	// CleanupOnFailure drops a database that a failed first provisioning
	// created, when it holds no rows, so no half-built database is left.
	CleanupOnFailure bool `yaml:"cleanupOnFailure"`
}

// Policy decides what a reconcile may do. It is set in landlord.yaml; a
// tenant manifest may tighten it, and loosen it only where TenantOverrides
// is set.
type Policy struct {
	AllowDestructive *bool  `yaml:"allowDestructive"`
	Drift            string `yaml:"drift"`
	// TenantOverrides lets a tenant manifest loosen the policy
	// (allowDestructive: true where landlord.yaml says false).
	TenantOverrides bool `yaml:"tenantOverrides"`
}

// TenantPolicy is the policy of a tenant manifest.
type TenantPolicy struct {
	AllowDestructive *bool  `yaml:"allowDestructive"`
	Drift            string `yaml:"drift"`
}

// Snapshots is the snapshot retention of landlord.yaml.
type Snapshots struct {
	Keep    int `yaml:"keep"`
	MaxDays int `yaml:"maxDays"`
}

// Backups is where landlord keeps tenant backups, from landlord.yaml.
type Backups struct {
	// Location is a directory (relative to the working directory, like
	// the landlord database) or s3://, gs://, azblob:// URL; credentials
	// come from the environment. Empty means .landlord/backups.
	Location string `yaml:"location"`
	// Keep and MaxDays are the retention of manual and scheduled backups,
	// per tenant: the newest Keep and every one younger than MaxDays days
	// are kept. Both zero (the default) keeps every backup. Backups taken
	// before destructive statements and final backups are never pruned.
	Keep    int `yaml:"keep"`
	MaxDays int `yaml:"maxDays"`
	// Schedule is when serve backs up every tenant (a cron expression,
	// robfig/cron standard syntax); empty takes no scheduled backups.
	Schedule string `yaml:"schedule"`
}

// Comparison lists what drift detection ignores.
type Comparison struct {
	IgnoreTables  []string `yaml:"ignoreTables"`
	IgnoreColumns []string `yaml:"ignoreColumns"`
}

// tenantManifest is tenants/<slug>.yaml.
type tenantManifest struct {
	Slug      string   `yaml:"slug"`
	Name      string   `yaml:"name"`
	Template  string   `yaml:"template"`
	Modules   []string `yaml:"modules"`
	Server    string   `yaml:"server"`
	Database  string   `yaml:"database"`
	Domain    string   `yaml:"domain"`
	Lifecycle string   `yaml:"lifecycle"`
	// Environment is development, staging or production (the default).
	Environment string `yaml:"environment"`
	// DecommissionedAt (YYYY-MM-DD or RFC 3339) starts the retention hold
	// of a decommissioned tenant.
	DecommissionedAt string       `yaml:"decommissionedAt"`
	Policy           TenantPolicy `yaml:"policy"`
	// Adopt lets landlord manage a database that exists already, holds
	// tables and none of the tenant's, and that landlord did not create.
	Adopt bool `yaml:"adopt"`
}

// Template is layers/templates/<name>/template.yaml with its layer files.
type Template struct {
	Name        string   `yaml:"-"`
	Description string   `yaml:"description"`
	Version     string   `yaml:"version"`
	Active      *bool    `yaml:"active"`
	Requires    []string `yaml:"requires"`

	File   string           `yaml:"-"`
	Files  []File           `yaml:"-"`
	Errors []*ManifestError `yaml:"-"`

	docRequires *document
}

// IsActive reports whether tenants may use the template (the default).
func (t *Template) IsActive() bool { return t.Active == nil || *t.Active }

// Module is layers/modules/<name>/module.yaml with its layer files.
type Module struct {
	Name        string   `yaml:"-"`
	Description string   `yaml:"description"`
	Version     string   `yaml:"version"`
	Requires    []string `yaml:"requires"`

	File   string           `yaml:"-"`
	Files  []File           `yaml:"-"`
	Errors []*ManifestError `yaml:"-"`
}

// ManifestError is an error in a manifest, at a file, line and field.
type ManifestError struct {
	File   string
	Line   int
	Column int
	// Field is the path of the field in the manifest, e.g. "policy.allowDestructive".
	Field string
	Msg   string
	// Cause is set on an error that only follows from another one reported
	// on its own (a tenant that uses an invalid module): the tenant still
	// fails with it, and validate reports the cause once instead.
	Cause *ManifestError
}

func (e *ManifestError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(printableText(e.Field))
		b.WriteString(": ")
	}
	b.WriteString(printableText(e.Msg))
	return b.String()
}

// printableText is s with every character that is not printable written
// as its Go escape (printable.Text). A message often quotes the
// repository, through a mapping key or a name it could not find: printed
// raw, such text could rewrite a terminal or a CI log, or turn one line
// into two.
func printableText(s string) string { return printable.Text(s) }

// ManifestErrors is every error found in a set of manifests.
type ManifestErrors []*ManifestError

func (es ManifestErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the errors, so errors.As finds a *ManifestError.
func (es ManifestErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// document is one decoded YAML manifest, kept as a node tree so that every
// later check can name the line of the field it is about.
type document struct {
	file string
	root *yaml.Node
}

// decode parses data strictly into v: YAML syntax, unknown fields and type
// mismatches are all errors, every one reported.
func decode(file string, data []byte, v any) (*document, ManifestErrors) {
	doc := &document{file: file}
	if err := checkNesting(file, data); err != nil {
		return doc, ManifestErrors{err}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return doc, ManifestErrors{{File: file, Line: 1, Msg: "the file is empty"}}
		}
		return doc, ManifestErrors{yamlError(file, data, err)}
	}
	// One document a file: a second one would be read by no one, while a
	// reviewer may take it for the manifest.
	var second yaml.Node
	if err := dec.Decode(&second); !errors.Is(err, io.EOF) {
		line := second.Line
		if err != nil || line == 0 {
			line = 1
		}
		return doc, ManifestErrors{{File: file, Line: line, Msg: "a second YAML document: a manifest file holds one (remove the ---)"}}
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		doc.root = root.Content[0]
	} else {
		doc.root = &root
	}
	if err := checkShape(file, doc.root); err != nil {
		doc.root = nil
		return doc, ManifestErrors{err}
	}
	if doc.root.Kind != yaml.MappingNode {
		return doc, ManifestErrors{{File: file, Line: doc.root.Line, Column: doc.root.Column, Msg: "the manifest must be a mapping of fields"}}
	}
	var errs ManifestErrors
	checkFields(file, doc.root, reflect.TypeOf(v).Elem(), "", &errs)
	if err := doc.root.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				errs = append(errs, typeError(file, doc.root, msg))
			}
		} else {
			errs = append(errs, yamlError(file, data, err))
		}
	}
	return doc, errs
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns a YAML syntax error into a ManifestError at the line and
// column of the problem. yaml.v3 names no column and, for an error of its
// parser, the line before the one the problem starts on; goccy/go-yaml's
// parser gives the token where the problem is, so the position comes from
// it, and yaml.v3's line only when goccy/go-yaml accepts the file.
func yamlError(file string, data []byte, err error) *ManifestError {
	// goccy/go-yaml takes time and memory quadratic in the nesting: it
	// never sees a deep one.
	if merr := checkNesting(file, data); merr != nil {
		return merr
	}
	if !strings.Contains(err.Error(), "exceeded max depth") {
		if line, col, msg, ok := syntaxError(data); ok {
			return &ManifestError{File: file, Line: line, Column: col, Msg: msg}
		}
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ManifestError{File: file, Line: line, Column: 1, Msg: m[2]}
	}
	return &ManifestError{File: file, Line: 1, Column: 1, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}

// YAMLError is yamlError for YAML files landlord reads outside the
// repository (the settings file): the syntax error err of yaml.v3 on
// data, at its line and column.
func YAMLError(file string, data []byte, err error) *ManifestError { return yamlError(file, data, err) }

// syntaxError parses data with goccy/go-yaml and returns where its syntax
// is wrong. A flow sequence or mapping left open is reported where it
// opens, not at the next line's first token where the parser noticed.
func syntaxError(data []byte) (line, col int, msg string, ok bool) {
	_, err := goccyparser.ParseBytes(data, 0)
	var ge goccy.Error
	if err == nil || !errors.As(err, &ge) || ge.GetToken() == nil || ge.GetToken().Position == nil {
		return 0, 0, "", false
	}
	tok, msg := ge.GetToken(), ge.GetMessage()
	if strings.Contains(msg, "']'") || strings.Contains(msg, "'}'") {
		if open := unclosed(tok); open != nil {
			kind := "flow sequence ["
			if open.Type == goccytoken.MappingStartType {
				kind = "flow mapping {"
			}
			return open.Position.Line, open.Position.Column, fmt.Sprintf("%s is not closed: %s", kind, msg), true
		}
	}
	return tok.Position.Line, tok.Position.Column, msg, true
}

// unclosed returns the innermost flow sequence or mapping opened before tok
// and not closed.
func unclosed(tok *goccytoken.Token) *goccytoken.Token {
	depth := 0
	for t := tok.Prev; t != nil; t = t.Prev {
		switch t.Type {
		case goccytoken.SequenceEndType, goccytoken.MappingEndType:
			depth++
		case goccytoken.SequenceStartType, goccytoken.MappingStartType:
			if depth == 0 {
				if t.Position == nil {
					return nil
				}
				return t
			}
			depth--
		}
	}
	return nil
}

// typeError turns one of yaml.v3's type errors ("line 4: cannot unmarshal
// !!str `yes` into bool") into a ManifestError naming the field at that
// line, at the column of its value.
func typeError(file string, root *yaml.Node, msg string) *ManifestError {
	e := &ManifestError{File: file, Msg: msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
		e.Field, e.Column = fieldAtLine(root, e.Line, "")
		if e.Column == 0 {
			e.Column = 1
		}
	}
	e.Msg = strings.Replace(e.Msg, "cannot unmarshal", "cannot read", 1)
	return e
}

// fieldAtLine finds the path of the field whose value starts on line, and
// the column of that value.
func fieldAtLine(n *yaml.Node, line int, path string) (string, int) {
	if n.Kind != yaml.MappingNode {
		return "", 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		if v.Line == line && v.Kind == yaml.ScalarNode {
			return p, v.Column
		}
		if k.Line == line {
			return p, k.Column
		}
		if f, col := fieldAtLine(v, line, p); f != "" {
			return f, col
		}
		if v.Kind == yaml.SequenceNode {
			for _, item := range v.Content {
				if item.Line == line {
					return p, item.Column
				}
			}
		}
	}
	return "", 0
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// checkFields reports every mapping key that the Go type t has no field for.
// (yaml.v3's KnownFields stops at the first and cannot be combined with a
// node tree.)
func checkFields(file string, n *yaml.Node, t reflect.Type, path string, errs *ManifestErrors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error, reported by Decode.
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, &ManifestError{File: file, Line: k.Line, Column: k.Column, Field: join(path, k.Value),
					Msg: fmt.Sprintf("unknown field %q%s", k.Value, suggest(k.Value, fields))})
				continue
			}
			checkFields(file, v, ft, join(path, k.Value), errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkFields(file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), errs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			checkFields(file, item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	}
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}

// suggest names the known field closest to an unknown one, if any is close.
func suggest(name string, fields map[string]reflect.Type) string {
	var names []string
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if strings.EqualFold(f, name) || (len(name) > 3 && distance(strings.ToLower(f), strings.ToLower(name)) <= 2) {
			return fmt.Sprintf(" (did you mean %q?)", f)
		}
	}
	return ""
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// pos returns the position of the value of the field at path (dot
// separated), or of the nearest parent present.
func (d *document) pos(path string) (line, col int) {
	if d.root == nil {
		return 0, 0
	}
	n := d.root
	line, col = n.Line, n.Column
	if path == "" {
		return line, col
	}
	for _, part := range strings.Split(path, ".") {
		if n.Kind != yaml.MappingNode {
			return line, col
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				n = n.Content[i+1]
				line, col = n.Line, n.Column
				found = true
				break
			}
		}
		if !found {
			return line, col
		}
	}
	return line, col
}

// errorf returns a ManifestError at the field path of the document.
func (d *document) errorf(field, format string, args ...any) *ManifestError {
	line, col := d.pos(field)
	return &ManifestError{File: d.file, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// itemPos returns the position of item i of the sequence at path.
func (d *document) itemPos(path string, i int) (line, col int) {
	line, col = d.pos(path)
	n := d.root
	for _, part := range strings.Split(path, ".") {
		var next *yaml.Node
		for j := 0; n.Kind == yaml.MappingNode && j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == part {
				next = n.Content[j+1]
			}
		}
		if next == nil {
			return line, col
		}
		n = next
	}
	if n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return n.Content[i].Line, n.Content[i].Column
	}
	return line, col
}

// itemErrorf returns a ManifestError at item i of the sequence at field.
func (d *document) itemErrorf(field string, i int, format string, args ...any) *ManifestError {
	line, col := d.itemPos(field, i)
	return &ManifestError{File: d.file, Line: line, Column: col, Field: fmt.Sprintf("%s[%d]", field, i), Msg: fmt.Sprintf(format, args...)}
}
