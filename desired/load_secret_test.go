package desired

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServerURLSecret: a server URL in git holds no secret, neither after
// its user name nor in a query parameter named like a credential (even one
// from the environment); the error is at the URL's line and never repeats
// the secret.
func TestServerURLSecret(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"mysql://root:S3CRET@127.0.0.1:3306/", "the url holds a password"},
		{"mysql://root@127.0.0.1:3306/?password=S3CRET", "the url holds a secret in parameter password"},
		{"mysql://root@127.0.0.1:3306/?tls=true&PWD=S3CRET", "the url holds a secret in parameter PWD"},
		{"mysql://root@127.0.0.1:3306/?password=${DB_S3CRET}", "the url holds a secret in parameter password"},
		{"mysql://root@127.0.0.1:3306/?pass%3DS3CRET=x", "the url holds a secret in a parameter named like a credential"},
	} {
		r := load(t, repoFS(map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: " + tc.url + "\n"}), LoadOptions{
			LookupEnv: func(string) (string, bool) { return "S3CRET", true },
		})
		got := r.Errors.Error()
		if !strings.Contains(got, "landlord.yaml:3:10: servers.primary.url: "+tc.want) || strings.Contains(got, "S3CRET") {
			t.Errorf("%s: errors %q, want %q at the url's line and no secret", tc.url, got, tc.want)
		}
		if def := r.Config.Servers["primary"]; def.URL != "" || def.URLError == nil || strings.Contains(def.URLError.Error(), "S3CRET") {
			t.Errorf("%s: server kept url %q, error %v", tc.url, def.URL, def.URLError)
		}
	}
	r := load(t, repoFS(map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: mysql://root@127.0.0.1:3306/?stallTimeout=1m&time_zone=SYSTEM\n"}), LoadOptions{})
	if p := r.Problems(); len(p) > 0 {
		t.Errorf("problems: %s", p)
	}
}

// TestServerURLReadsOnlyItsVariables: landlord.yaml reads the environment
// as a whole URL from ${LANDLORD_*_URL} and as a password from
// ${LANDLORD_*_PASSWORD}, nothing else and nowhere else. A repository
// that could name any variable read the operator's secrets (a CI job's
// cloud keys, landlord's own tokens) into a user name, a host or a
// directory, where landlord printed it ("connect mysql://S3CRET@…"), the
// server echoed it ("Access denied for user 'S3CRET'") and the resolver
// sent it out. Each is an error at the url's line that never holds the
// value, and the server keeps no URL.
func TestServerURLReadsOnlyItsVariables(t *testing.T) {
	env := func(string) (string, bool) { return "S3CRET", true }
	for _, url := range []string{
		"mysql://${AWS_SECRET_ACCESS_KEY}@127.0.0.1:3306/",
		"mysql://root@${GITHUB_TOKEN}.example.com:3306/",
		"mysql://root@127.0.0.1:3306/${HOME}",
		"mysql://root@127.0.0.1:3306/?time_zone=${TZ_SECRET}",
		"mysql://root:${AWS_SECRET_ACCESS_KEY}@127.0.0.1:3306/",
		"mysql://${LANDLORD_PRIMARY_PASSWORD}@127.0.0.1:3306/",
		"mysql://root:${LANDLORD_PRIMARY_PASSWORD}@${LANDLORD_PRIMARY_PASSWORD}:3306/",
		"mysql://root:${LANDLORD_PRIMARY_URL}@127.0.0.1:3306/",
		"sqlite://${LANDLORD_PRIMARY_URL}/x",
		"${LANDLORD_GITHUB_WEBHOOK_SECRET}",
		"${LANDLORD_STATE}",
		"${LANDLORD_PRIMARY_PASSWORD}",
		"${GITHUB_TOKEN:-sqlite://tenants}",
		"${LANDLORD_A_URL:-${GITHUB_TOKEN}}",
	} {
		r := load(t, repoFS(map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: " + url + "\n"}), LoadOptions{LookupEnv: env})
		got := r.Errors.Error()
		if !strings.Contains(got, "landlord.yaml:3:10: servers.primary.url: ") || !strings.Contains(got, "landlord.yaml reads two things from the environment") || strings.Contains(got, "S3CRET") {
			t.Errorf("%s: errors %q, want one at the url's line, without the value", url, got)
		}
		if s := r.Config.Servers["primary"]; s.URL != "" || s.URLError == nil || strings.Contains(s.URLError.Error(), "S3CRET") {
			t.Errorf("%s: server kept url %q, error %v", url, s.URL, s.URLError)
		}
	}
	for url, want := range map[string]string{
		"${LANDLORD_PRIMARY_URL}":                             "mysql://root:S3CRET@db:3306/",
		"${LANDLORD_PRIMARY_URL:-sqlite://tenants}":           "mysql://root:S3CRET@db:3306/",
		"mysql://root:${LANDLORD_PRIMARY_PASSWORD}@db:3306/":  "mysql://root:S3CRET@db:3306/",
		"mysql://root:${LANDLORD_PRIMARY_PASSWORD}@db:3306/?": "mysql://root:S3CRET@db:3306/?",
	} {
		lookup := func(k string) (string, bool) {
			if strings.HasSuffix(k, "_URL") {
				return "mysql://root:S3CRET@db:3306/", true
			}
			if k == "LANDLORD_PRIMARY_PASSWORD_HOSTS" {
				return "db", true
			}
			return "S3CRET", true
		}
		r := load(t, repoFS(map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: " + url + "\n"}), LoadOptions{LookupEnv: lookup})
		if len(r.Errors) > 0 {
			t.Errorf("%s: %s", url, r.Errors)
		}
		if got := r.Config.Servers["primary"].URL; got != want {
			t.Errorf("%s: url %q, want %q", url, got, want)
		}
	}
}

// TestOwnVariablesUnreadableByRepository: no variable landlord reads for
// itself (its tokens, secrets, the landlord database's URL) is named as
// landlord.yaml may read one, *_URL or *_PASSWORD after LANDLORD_.
func TestOwnVariablesUnreadableByRepository(t *testing.T) {
	own := regexp.MustCompile(`LANDLORD_[A-Z0-9_]+`)
	for _, dir := range []string{"../cmd/landlord", "../serve", "../reconciler", "../state"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range own.FindAllString(string(data), -1) {
				if urlVar.MatchString(name) || passwordVar.MatchString("${"+name+"}") {
					t.Errorf("%s: landlord's own variable %s is one landlord.yaml may read", f, name)
				}
			}
		}
	}
}

// TestPasswordGoesOnlyToNamedHosts: the host of a url in landlord.yaml is
// the repository's, the password from ${LANDLORD_<NAME>_PASSWORD} the
// operator's. A commit or a pull request (planned with the operator's
// environment) that points the url at a host of its own would have the
// password handed to it: it goes only to the hosts the operator lists in
// LANDLORD_<NAME>_PASSWORD_HOSTS. Otherwise the server has no url (no
// connection is made) and an error that names the variable to set and
// never the password.
func TestPasswordGoesOnlyToNamedHosts(t *testing.T) {
	for _, tc := range []struct {
		url, hosts string
		ok         bool
	}{
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db:3306/", "", false},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db:3306/", " ", false},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@evil.example.com:3306/?tls=true", "db", false},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db.evil.example.com/", "db", false},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db:3307/", "db:3306", false},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db/?socket=/tmp/evil.sock", "db", false},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db/?socket=/tmp/evil.sock", "/run/mysqld/mysqld.sock", false},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db:3306/", "db", true},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@DB:3306/", "replica, db", true},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db/", "db:3306", true},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db:3307/", "db:3307", true},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@[::1]:3306/", "[::1]:3306", true},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@anywhere.example.com/", "*", true},
		{"mysql://app:${LANDLORD_PRIMARY_PASSWORD}@db/?socket=/run/mysqld/mysqld.sock", "/run/mysqld/mysqld.sock", true},
	} {
		env := map[string]string{"LANDLORD_PRIMARY_PASSWORD": "S3CRET"}
		if tc.hosts != "" {
			env["LANDLORD_PRIMARY_PASSWORD_HOSTS"] = tc.hosts
		}
		lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		r := load(t, repoFS(map[string]string{"landlord.yaml": "servers:\n  primary:\n    url: " + tc.url + "\n"}), LoadOptions{LookupEnv: lookup})
		if len(r.Errors) > 0 {
			t.Errorf("%s (hosts %q): the environment's to set, not a repository error: %s", tc.url, tc.hosts, r.Errors)
		}
		s := r.Config.Servers["primary"]
		if tc.ok {
			if s.URLError != nil || !strings.Contains(s.URL, ":S3CRET@") {
				t.Errorf("%s (hosts %q): url %q, error %v, want the password sent", tc.url, tc.hosts, s.URL, s.URLError)
			}
			continue
		}
		if s.URL != "" || s.URLError == nil || strings.Contains(s.URLError.Error(), "S3CRET") || !strings.Contains(s.URLError.Error(), "LANDLORD_PRIMARY_PASSWORD_HOSTS") {
			t.Errorf("%s (hosts %q): url %q, error %v, want no url and an error naming LANDLORD_PRIMARY_PASSWORD_HOSTS", tc.url, tc.hosts, s.URL, s.URLError)
		}
	}
}
