package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"mysql://root:s3cret@127.0.0.1:3306/", "mysql://root:xxxxx@127.0.0.1:3306/"},
		{"mysql://root@127.0.0.1:3306/", "mysql://root@127.0.0.1:3306/"},
		{"mysql://app:p%40ss@db:3306/?tls=true", "mysql://app:xxxxx@db:3306/?tls=true"},
		{"app:p@ss:word@tcp(db:3306)/x", "app:xxxxx@tcp(db:3306)/x"},
		{"sqlite://.landlord/tenants", "sqlite://.landlord/tenants"},
		{"https://ghp_T0KEN@github.com/org/repo.git", "https://xxxxx@github.com/org/repo.git"},
		{"https://x-access-token:ghp_T0KEN@github.com/org/repo.git", "https://x-access-token:xxxxx@github.com/org/repo.git"},
		{"ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git"},
		{"git@github.com:org/repo.git", "git@github.com:org/repo.git"},
		// A credential in a query parameter, of any case, masked; the
		// other parameters kept.
		{"mysql://root@127.0.0.1:3306/?password=S3CRET", "mysql://root@127.0.0.1:3306/?password=xxxxx"},
		{"mysql://root:pw@db/?tls=true&PASSWD=S3CRET&timeout=5s", "mysql://root:xxxxx@db/?tls=true&PASSWD=xxxxx&timeout=5s"},
		{"mysql://root@db/?pass%77ord=S3CRET", "mysql://root@db/?pass%77ord=xxxxx"},
		{"https://h/x?api_key=S3CRET&ref=main", "https://h/x?api_key=xxxxx&ref=main"},
		{"mysql://root@db/?foreign_key_checks=0&key=S3CRET", "mysql://root@db/?foreign_key_checks=0&key=xxxxx"},
		{"mysql://root@db/?time_zone=%27%2B00:00%27&stallTimeout=1m", "mysql://root@db/?time_zone=%27%2B00:00%27&stallTimeout=1m"},
		{"root@tcp(db:3306)/?token=S3CRET", "root@tcp(db:3306)/?token=xxxxx"},
		{"mysql://root@db:notaport/?secret=S3CRET", "mysql:xxxxx@db:notaport/?secret=xxxxx"}, // unparsable: masked from the @ back,
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, in := range []string{
		`open mysql://root:hunter2@db:3306/: connection refused`,
		`clone https://hunter2@github.com/org/repo.git: authentication required`,
		`fetch "HTTPS://x:hunter2@github.com/org/repo.git": 403`,
		`server url "mysql://root@127.0.0.1:3306/?password=hunter2": refused`,
		`connect mysql://root@db/?tls=true&Pwd=hunter2&timeout=1s: refused`,
		`set ?password='hunter2' failed`,
	} {
		if got := Text(in); strings.Contains(got, "hunter2") || !strings.Contains(got, Mask) {
			t.Errorf("Text(%q) = %q", in, got)
		}
	}
	if got := Text("ssh://git@github.com/org/repo.git"); got != "ssh://git@github.com/org/repo.git" {
		t.Errorf("Text masked an ssh user: %s", got)
	}
}

func TestAttr(t *testing.T) {
	var b strings.Builder
	log := slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{ReplaceAttr: Attr}))
	log.Info("serve started", "repo", "https://hunter2@github.com/org/repo.git",
		"err", errors.New("dial mysql://root:hunter2@db/"), slog.Group("g", "url", "https://u:hunter2@h/"))
	if strings.Contains(b.String(), "hunter2") {
		t.Fatalf("a log line kept a secret: %s", b.String())
	}
}

func TestSecret(t *testing.T) {
	s := Secret("tok-123")
	b, err := json.Marshal(struct{ S Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "tok-123") || s.String() != Mask || s.Reveal() != "tok-123" {
		t.Fatalf("secret leaked or lost: %s %s", b, s)
	}
}

type causeError struct{ n int }

func (e *causeError) Error() string { return "connect app:hunter2@tcp(db:3306)/: denied" }

func TestErrorKeepsCause(t *testing.T) {
	cause := &causeError{n: 1045}
	err := Error(fmt.Errorf("open: %w", cause))
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Error() = %q, holds the password", err)
	}
	var got *causeError
	if !errors.As(err, &got) || got.n != 1045 {
		t.Errorf("errors.As lost the cause of %q", err)
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

func TestTextInMessage(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"connect mysql://app:s3cret@db:3306/: refused", "connect mysql://app:xxxxx@db:3306/: refused"},
		{"dsn app:s3cret@tcp(db:3306)/x failed", "dsn app:xxxxx@tcp(db:3306)/x failed"},
		{"at 12:30 on host", "at 12:30 on host"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
