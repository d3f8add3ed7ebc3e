package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// parseServe parses args as `landlord serve` would and binds the
// environment and the config file.
func parseServe(t *testing.T, args ...string) (*serveFlags, error) {
	t.Helper()
	f := &serveFlags{}
	root := newRoot(io.Discard, io.Discard)
	cmd := serveCommand(&globals{}, f)
	root.AddCommand(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return f, bindServe(cmd, f)
}

func TestServeSettings(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "hook-secret")
	os.WriteFile(secretFile, []byte("from-a-file\n"), 0o600)
	config := filepath.Join(dir, "serve.yaml")
	os.WriteFile(config, []byte(`# landlord serve
repo: https://git.example/platform.git
ref: main
poll-interval: 30s
schedule: "@every 5m"
lock-timeout: 10s
server:
  - primary=mysql://landlord:${DB_PASSWORD}@db:3306/
retry-backoff: [30s, 2m, 10m]
notifications:
  - name: ops
    url: https://hooks.example/landlord
    secret: ${HOOK_SECRET}
    events: [run.finished, revision.rejected]
  - url: https://chat.example/T0/B0/xyz
    secretFile: `+secretFile+`
`), 0o600)
	t.Setenv("DB_PASSWORD", "pw")
	t.Setenv("HOOK_SECRET", "s3cret")
	// The environment wins over the file, a flag over both.
	t.Setenv("LANDLORD_POLL_INTERVAL", "45s")
	t.Setenv("LANDLORD_LOCK_TIMEOUT", "20s")
	t.Setenv("LANDLORD_NOTIFY", "https://a.example/x,https://b.example/y")
	f, err := parseServe(t, "--config", config, "--lock-timeout", "5s")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"repo": f.repo, "ref": f.ref, "poll": f.pollInterval, "schedule": f.schedule, "lock": f.lockTimeout,
		"servers": f.servers, "backoff": f.retryBackoff, "notify": f.notify, "grace": f.grace,
	}
	want := map[string]any{
		"repo": "https://git.example/platform.git", "ref": "main", "poll": 45 * time.Second, "schedule": "@every 5m", "lock": 5 * time.Second,
		"servers": []string{"primary=mysql://landlord:pw@db:3306/"}, "backoff": []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute},
		"notify": []string{"https://a.example/x", "https://b.example/y"}, "grace": 30 * time.Second,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("settings (-got +want):\n%s", diff)
	}
	if len(f.webhooks) != 2 || f.webhooks[0].Name != "ops" || f.webhooks[0].Secret.Reveal() != "s3cret" ||
		!cmp.Equal(f.webhooks[0].Events, []string{"run.finished", "revision.rejected"}) ||
		f.webhooks[1].Name != "webhook-2" || f.webhooks[1].Secret.Reveal() != "from-a-file" {
		t.Errorf("webhooks %+v", f.webhooks)
	}
}

func TestServeSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, config, want string }{
		{"unknown setting", "repo: x\npoll-intervall: 1m\n", "serve.yaml:2: unknown setting \"poll-intervall\""},
		{"unset variable", "state: mysql://u:${NOPE_NOT_SET}@db/landlord\n", "serve.yaml:1: environment variable NOPE_NOT_SET is not set"},
		{"bad duration", "poll-interval: soon\n", "serve.yaml:1: poll-interval"},
		{"unknown event", "notifications:\n  - url: https://x.example/\n    events: [run.started]\n", `unknown event "run.started"`},
		{"unknown webhook field", "notifications:\n  - url: https://x.example/\n    secrets: x\n", `serve.yaml:3: notifications[0]: unknown field "secrets"`},
		{"not a url", "notifications:\n  - url: x.example\n", "want http:// or https://"},
		{"unknown format", "notifications:\n  - url: https://x.example/\n    format: teams\n", `serve.yaml:2: notifications[0]: format "teams": want landlord or slack`},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, "serve.yaml")
			os.WriteFile(file, []byte(c.config), 0o600)
			_, err := parseServe(t, "--config", file)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
	t.Setenv("LANDLORD_RETRY_JITTER", "lots")
	if _, err := parseServe(t); err == nil || !strings.Contains(err.Error(), "LANDLORD_RETRY_JITTER") {
		t.Errorf("a bad environment value: %v, want an error naming the variable", err)
	}
}
