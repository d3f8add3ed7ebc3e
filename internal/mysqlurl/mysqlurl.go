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

// DefaultTimeout is how long a connection may take unless ?timeout= says.
const DefaultTimeout = 10 * time.Second

// IsMySQL reports whether raw is a mysql:// or mariadb:// URL.
func IsMySQL(raw string) bool {
	return strings.HasPrefix(raw, "mysql://") || strings.HasPrefix(raw, "mariadb://")
}

// Parse reads mysql://user:pass@host:port/database?params (also
// mariadb://) into a driver configuration and the database the path names
// ("" when none). The port defaults to 3306. Parameters: tls (true,
// skip-verify, preferred or false), socket (a unix socket instead of host
// and port), timeout (a duration, default DefaultTimeout); any other is a
// system variable set on each connection: a name of letters, digits and _,
// not one of the client's character set or collation, and a value that is
// a number, a word or a string in single quotes. Errors
// never hold the password: they do not quote the URL.
func Parse(raw string) (*gomysql.Config, string, error) {
	if !IsMySQL(raw) {
		return nil, "", errors.New("not a mysql:// or mariadb:// url")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the URL; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, "", ue.Err
		}
		return nil, "", errors.New("invalid url")
	}
	database := strings.Trim(u.Path, "/")
	if strings.ContainsAny(database, "`/\\ ;'\"") {
		return nil, "", fmt.Errorf("invalid database name %q", database)
	}
	cfg := gomysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	q := u.Query()
	if sock := q.Get("socket"); sock != "" {
		cfg.Net, cfg.Addr = "unix", sock
	} else {
		if u.Hostname() == "" {
			return nil, "", errors.New("no host")
		}
		cfg.Net, cfg.Addr = "tcp", u.Host
		if u.Port() == "" {
			cfg.Addr = u.Host + ":3306"
		}
	}
	q.Del("socket")
	cfg.ParseTime = true
	cfg.Timeout = DefaultTimeout
	for k, vs := range q {
		v := vs[0]
		switch k {
		case "tls":
			cfg.TLSConfig = v
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, "", fmt.Errorf("timeout %q: want a duration such as 5s", v)
			}
			cfg.Timeout = d
		default:
			// The driver sends every other parameter as it is, in a SET
			// on each connection: a name such as "@@session.sql_mode" or
			// a value such as "1, sql_mode=''" would reach SQL.
			if !paramName.MatchString(k) {
				return nil, "", fmt.Errorf("parameter %q: want the name of a system variable (letters, digits and _)", k)
			}
			if l := strings.ToLower(k); strings.HasPrefix(l, "character_set") || strings.HasPrefix(l, "collation") || l == "charset" || l == "names" {
				return nil, "", fmt.Errorf("parameter %s: landlord's connections keep their own character set (utf8mb4), the one it escapes literals for", k)
			}
			if !paramValue.MatchString(v) {
				return nil, "", fmt.Errorf("parameter %s: want a number, a word or a string in single quotes with no quote or backslash in it", k)
			}
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params[k] = v
		}
	}
	if cfg.TLSConfig != "" {
		// Check the value the way the driver will.
		if _, err := gomysql.ParseDSN(cfg.FormatDSN()); err != nil {
			return nil, "", fmt.Errorf("tls %q: want true, skip-verify, preferred or false", cfg.TLSConfig)
		}
	}
	return cfg, database, nil
}
