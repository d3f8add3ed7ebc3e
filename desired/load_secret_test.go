package desired

import (
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
