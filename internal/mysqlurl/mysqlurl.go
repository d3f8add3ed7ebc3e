// Package mysqlurl reads the mysql:// (and mariadb://) URLs of landlord:
// the tenants' servers in landlord.yaml and --server, the landlord database
// in --state, and the test server. One parser, so that every URL takes the
// same parameters.
//
// It imports no other package of landlord.
package mysqlurl

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// paramName and paramValue are what a parameter set as a system
// variable may be.
var (
	paramName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	paramValue = regexp.MustCompile(`^(?:[A-Za-z0-9_.+-]+|'[^'\\]*')$`)
)

// Options are the parameters of a URL that landlord reads itself instead
// of sending them to the server: the timeouts of its connections and of
// its watchdog (see docs/repository.md). A field is zero when the URL does
// not set it.
type Options struct {
	ConnectTimeout, ReadTimeout, WriteTimeout, StatementTimeout, StallTimeout time.Duration
}

// options are the names of Options' parameters, by their lower case.
var options = map[string]string{
	"connecttimeout":   "connectTimeout",
	"readtimeout":      "readTimeout",
	"writetimeout":     "writeTimeout",
	"statementtimeout": "statementTimeout",
	"stalltimeout":     "stallTimeout",
}

// sessionVariables are the system variables a URL may set on each
// connection. Only these: a URL in landlord.yaml comes from git, and a
// variable such as default_storage_engine, foreign_key_checks,
// unique_checks, autocommit or sql_log_bin would change what landlord's
// statements do to every tenant (MEMORY tables, orphaned rows,
// unreplicated changes) without a word in the plan. sql_mode is accepted
// and always replaced by landlord's strict one.
var sessionVariables = map[string]bool{
	"time_zone":                true,
	"max_statement_time":       true,
	"lock_wait_timeout":        true,
	"innodb_lock_wait_timeout": true,
	"sql_mode":                 true,
}

// Accepted says which parameters a URL takes, for error messages.
const Accepted = "tls, socket, timeout, connectTimeout, readTimeout, writeTimeout, statementTimeout, stallTimeout " +
	"and the session variables time_zone, max_statement_time, lock_wait_timeout and innodb_lock_wait_timeout"

// credentialWords are parts of a name that says it holds a secret. Not
// "key" alone: foreign_key_checks is no secret.
var credentialWords = []string{"pass", "pwd", "token", "secret", "auth", "cred",
	"apikey", "api_key", "api-key", "accesskey", "access_key", "privatekey", "private_key"}

// CredentialName reports whether a parameter's name says it holds a
// secret (password, passwd, pwd, token, secret, key, apikey, auth...), in
// any case. Such a parameter is refused by Parse and its value masked by
// internal/redact.
func CredentialName(name string) bool {
	l := strings.ToLower(name)
	if l == "key" {
		return true
	}
	for _, w := range credentialWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// DefaultTimeout is how long a connection may take unless ?timeout= says.
const DefaultTimeout = 10 * time.Second

// IsMySQL reports whether raw is a mysql:// or mariadb:// URL.
func IsMySQL(raw string) bool {
	return strings.HasPrefix(raw, "mysql://") || strings.HasPrefix(raw, "mariadb://")
}

// Parse reads mysql://user:pass@host:port/database?params (also
// mariadb://) into a driver configuration, the database the path names
// ("" when none) and the options landlord reads itself. The port defaults
// to 3306. Parameters, their names in any case: tls (true, skip-verify,
// preferred or false), socket (a unix socket instead of host and port),
// timeout (a duration, default DefaultTimeout), the durations of Options,
// and the few session variables of sessionVariables, each with a value
// that is a number, a word or a string in single quotes. Any other
// parameter is an error that names it; a parameter named like a credential
// is an error that does not. Errors never hold the password nor a
// parameter's value: they do not quote the URL.
func Parse(raw string) (*gomysql.Config, string, Options, error) {
	var opts Options
	if !IsMySQL(raw) {
		return nil, "", opts, errors.New("not a mysql:// or mariadb:// url")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the URL; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, "", opts, ue.Err
		}
		return nil, "", opts, errors.New("invalid url")
	}
	database := strings.Trim(u.Path, "/")
	if strings.ContainsAny(database, "`/\\ ;'\"") {
		return nil, "", opts, fmt.Errorf("invalid database name %q", database)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		// The error quotes the malformed part, which may be a value.
		return nil, "", opts, errors.New("invalid url parameters: want name=value pairs joined by &")
	}
	// Credentials first, before any message names a parameter.
	for k := range q {
		if CredentialName(k) {
			name := "a parameter named like a credential"
			if paramName.MatchString(k) {
				name = "parameter " + k
			}
			return nil, "", opts, fmt.Errorf("%s: a url parameter never holds a password or a secret (its value is not shown); "+
				"write the password after the user name and a colon, as ${PASSWORD} from the environment", name)
		}
	}
	cfg := gomysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.ParseTime = true
	cfg.Timeout = DefaultTimeout
	socket := ""
	for k, vs := range q {
		v := vs[0]
		l := strings.ToLower(k)
		switch {
		case l == "socket":
			socket = v
		case l == "tls":
			cfg.TLSConfig = v
		case l == "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, "", opts, fmt.Errorf("timeout %q: want a duration such as 5s", v)
			}
			cfg.Timeout = d
		case options[l] != "":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, "", opts, fmt.Errorf("%s: want a positive duration such as 30s or 1h, got %q", options[l], v)
			}
			switch options[l] {
			case "connectTimeout":
				opts.ConnectTimeout = d
			case "readTimeout":
				opts.ReadTimeout = d
			case "writeTimeout":
				opts.WriteTimeout = d
			case "statementTimeout":
				opts.StatementTimeout = d
			case "stallTimeout":
				opts.StallTimeout = d
			}
		case strings.HasPrefix(l, "character_set") || strings.HasPrefix(l, "collation") || l == "charset" || l == "names":
			return nil, "", opts, fmt.Errorf("parameter %s: landlord's connections keep their own character set (utf8mb4), the one it escapes literals for", k)
		case sessionVariables[l]:
			// The driver sends the parameter as it is, in a SET on each
			// connection: a value such as "1, sql_mode=''" would reach
			// SQL.
			if !paramValue.MatchString(v) {
				return nil, "", opts, fmt.Errorf("parameter %s: want a number, a word or a string in single quotes with no quote or backslash in it", k)
			}
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params[l] = v
		case !paramName.MatchString(k):
			return nil, "", opts, fmt.Errorf("unknown url parameter %q: landlord accepts %s", k, Accepted)
		default:
			return nil, "", opts, fmt.Errorf("unknown url parameter %s: landlord accepts %s", k, Accepted)
		}
	}
	if socket != "" {
		cfg.Net, cfg.Addr = "unix", socket
	} else {
		if u.Hostname() == "" {
			return nil, "", opts, errors.New("no host")
		}
		cfg.Net, cfg.Addr = "tcp", u.Host
		if u.Port() == "" {
			cfg.Addr = u.Host + ":3306"
		}
	}
	if cfg.TLSConfig != "" {
		// Check the value the way the driver will.
		if _, err := gomysql.ParseDSN(cfg.FormatDSN()); err != nil {
			return nil, "", opts, fmt.Errorf("tls %q: want true, skip-verify, preferred or false", cfg.TLSConfig)
		}
	}
	return cfg, database, opts, nil
}
