package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// setServerURL writes url as the primary server's URL in the copy's
// landlord.yaml, as a repository in git would hold it.
func (c *cli) setServerURL(url string) {
	c.t.Helper()
	path := filepath.Join(c.repo, "landlord.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatal(err)
	}
	const line = "url: ${LANDLORD_PRIMARY_URL:-sqlite://.landlord/tenants}"
	if !strings.Contains(string(data), line) {
		c.t.Fatalf("landlord.yaml has no %q", line)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), line, "url: "+url, 1)), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// TestServerURLSessionVariables: a server URL in landlord.yaml cannot make
// every tenant table a MEMORY one, nor switch off foreign key checks: the
// reconcile fails on the URL, at its line, and creates no database.
func TestServerURLSessionVariables(t *testing.T) {
	for _, param := range []string{"default_storage_engine=MEMORY", "foreign_key_checks=0"} {
		t.Run(param, func(t *testing.T) {
			c := newCLI(t)
			t.Setenv("LANDLORD_PRIMARY_URL", "")
			c.setServerURL(c.server + "?" + param)
			name, _, _ := strings.Cut(param, "=")
			out, errOut, code := c.run("reconcile", "--repo", c.repo, "--state", c.state)
			all := out + errOut
			if code == 0 || !strings.Contains(all, `landlord.yaml:9:10: server "primary": `) || !strings.Contains(all, "unknown url parameter "+name+": landlord accepts") {
				t.Errorf("exit %d, want a failure naming landlord.yaml, the server and %s\nstdout:\n%s\nstderr:\n%s", code, name, out, errOut)
			}
			if n := c.count("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", c.prefix+"%"); n != 0 {
				t.Errorf("%d tenant databases created", n)
			}
		})
	}
}

// TestServerURLPasswordParameter: a password in a URL parameter, in
// landlord.yaml or in --server, is refused, and the secret appears nowhere:
// not in the output, not in the logs, not in the landlord database.
func TestServerURLPasswordParameter(t *testing.T) {
	const secret = "S3CRET"
	check := func(t *testing.T, c *cli, out, errOut string, code int, want string, recorded bool) {
		t.Helper()
		all := out + errOut
		if code == 0 || !strings.Contains(all, want) || strings.Contains(all, secret) {
			t.Errorf("exit %d, want a failure with %q and no %s\nstdout:\n%s\nstderr:\n%s", code, want, secret, out, errOut)
		}
		// The landlord database is an SQLite file (with its WAL): read
		// every byte of it.
		files, _ := filepath.Glob(c.state + "*")
		if recorded && len(files) == 0 {
			t.Errorf("no landlord database at %s", c.state)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), secret) {
				t.Errorf("%s holds the secret", f)
			}
		}
	}
	t.Run("landlord.yaml", func(t *testing.T) {
		c := newCLI(t)
		t.Setenv("LANDLORD_PRIMARY_URL", "")
		c.setServerURL(c.server + "?password=" + secret)
		out, errOut, code := c.run("validate", "--repo", c.repo)
		check(t, c, out, errOut, code, "landlord.yaml:9:10: servers.primary.url: the url holds a secret in parameter password", false)
		out, errOut, code = c.run("reconcile", "--log-level", "debug", "--repo", c.repo, "--state", c.state)
		check(t, c, out, errOut, code, "the url holds a secret in parameter password", false) // stops before the landlord database
	})
	t.Run("--server", func(t *testing.T) {
		c := newCLI(t)
		out, errOut, code := c.run("reconcile", "--log-level", "debug", "--repo", c.repo, "--state", c.state, "--server", "primary="+c.server+"?Password="+secret)
		check(t, c, out, errOut, code, "parameter Password: a url parameter never holds a password", true)
	})
}
