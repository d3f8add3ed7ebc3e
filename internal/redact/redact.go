// Package redact removes secrets (passwords in URLs and DSNs, tokens) from
// text before it reaches output, logs or the landlord database. It is the one
// redaction helper of landlord; every package may import it.
package redact

import (
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/landlord/landlord/internal/mysqlurl"
)

// Mask replaces a secret in output.
const Mask = "xxxxx"

// URL returns rawURL with any password replaced by Mask, and on http(s)
// URLs the user name too: git hosts take a token as the user name
// (https://TOKEN@host/repo). The value of a query parameter named like a
// credential (?password=, ?token=, ?api_key=: mysqlurl.CredentialName) is
// masked too. It accepts URLs (mysql://user:pass@host/) and go-sql-driver
// DSNs (user:pass@tcp(host)/). Text it cannot parse is masked from the
// first '@' backwards, so a secret never leaks through a parse failure.
func URL(rawURL string) string {
	return query(userInfo(rawURL))
}

// queryParam matches one name=value of a query: after '?', '&' or ';', up
// to the next separator, space or quote, or a value in single quotes.
var queryParam = regexp.MustCompile(`([?&;])([^?&;#=\s"'<>]+)=('[^'&]*'?|[^&;#\s"'<>]*)`)

// query masks the values of the query parameters of s named like a
// credential, in a URL or in text that quotes one.
func query(s string) string {
	if !strings.ContainsAny(s, "?&;") {
		return s
	}
	return queryParam.ReplaceAllStringFunc(s, func(m string) string {
		p := queryParam.FindStringSubmatch(m)
		name := p[2]
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if p[3] == "" || !mysqlurl.CredentialName(name) {
			return m
		}
		return p[1] + p[2] + "=" + Mask
	})
}

func userInfo(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Scheme != "" && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
			// url.URL escapes the mask's characters away from nothing; keep it readable.
			return strings.Replace(u.String(), url.QueryEscape(Mask), Mask, 1)
		}
		if s := strings.ToLower(u.Scheme); s == "http" || s == "https" {
			u.User = url.User(Mask)
			return u.String()
		}
		return rawURL
	}
	// A DSN: [user[:password]@][net[(addr)]]/dbname. The password may hold
	// '@' and ':', so split as the driver does: at the last '@' before the
	// last '/'.
	head := rawURL
	if i := strings.LastIndex(head, "/"); i >= 0 {
		head = head[:i]
	}
	at := strings.LastIndex(head, "@")
	if at < 0 {
		return rawURL
	}
	user, _, hasPassword := strings.Cut(head[:at], ":")
	if !hasPassword {
		return rawURL
	}
	return user + ":" + Mask + rawURL[at:]
}

// dsnPassword matches "user:password@" at the start of a DSN, after "//"
// or after a space (a DSN quoted in a message); the password does not
// start with '/', so that "mysql://user:pass@" is masked after its "//".
var dsnPassword = regexp.MustCompile(`((?:^|//|\s)[^:/@\s]*):(?:[^/@\s][^@\s]*)?@`)

// httpUser matches the user name of an http(s) URL: "https://TOKEN@".
var httpUser = regexp.MustCompile(`(?i)(https?://)[^:/@\s]+@`)

// Text masks every URL or DSN password found in s, the user name of every
// http(s) URL and the value of every query parameter named like a
// credential, for error messages that may quote a connection string or a
// repository's URL.
func Text(s string) string {
	s = dsnPassword.ReplaceAllString(s, "${1}:"+Mask+"@")
	s = httpUser.ReplaceAllString(s, "${1}"+Mask+"@")
	return query(s)
}

// Attr is a slog.HandlerOptions.ReplaceAttr that runs Text over every
// string and error a log line holds: the last guard, after every call site
// has redacted what it logs.
func Attr(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value.Any().(type) {
	case string:
		if r := Text(v); r != v {
			a.Value = slog.StringValue(r)
		}
	case error:
		a.Value = slog.StringValue(Text(v.Error()))
	}
	return a
}

// Secret is a string that never prints: its String, its log value and its
// JSON form are the mask.
type Secret string

func (Secret) String() string { return Mask }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(Mask) }

// MarshalText keeps a secret out of JSON and YAML output.
func (Secret) MarshalText() ([]byte, error) { return []byte(Mask), nil }

// Reveal returns the secret itself, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Error returns err with every password in its message masked, keeping the
// error itself as the cause (Unwrap), so that errors.Is and errors.As still
// see what happened: a redacted error is classified as the original. Nil
// stays nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	return &redacted{msg: Text(err.Error()), err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
