package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestVersion: landlord version and --version print the module version and
// what the build recorded of its commit.
func TestVersion(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build information")
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := landlord(t, "", args...)
		if code != 0 || !strings.HasPrefix(out, "landlord "+info.Main.Version+" (commit ") || !strings.Contains(out, info.GoVersion) {
			t.Errorf("landlord %s: exit %d, %q (stderr %q), want the module version %s and the commit", strings.Join(args, " "), code, out, errOut, info.Main.Version)
		}
	}
}

// TestEveryCommandHasExamples: every command's help has an Examples: block.
func TestEveryCommandHasExamples(t *testing.T) {
	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{})
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.IsAvailableCommand() || c == root {
			code, out, _ := landlord(t, "", append(strings.Fields(strings.TrimPrefix(c.CommandPath(), "landlord")), "--help")...)
			if code != 0 || !strings.Contains(out, "\nExamples:\n  ") {
				t.Errorf("%s --help: exit %d, no Examples: block", c.CommandPath(), code)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// TestArgumentErrors: a missing argument is named, an unknown subcommand is
// an error, not a help text with exit 0.
func TestArgumentErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"repair"}, "error: missing TENANT (usage: landlord repair TENANT [flags])"},
		{[]string{"snapshots", "show", "cpn-uml"}, "error: missing ID (usage: landlord snapshots show TENANT ID [flags])"},
		{[]string{"snapshots", "diff"}, "error: missing TENANT A B"},
		{[]string{"snapshots", "bogus", "x"}, `error: unknown subcommand "bogus" for landlord snapshots: want diff, list, show`},
		{[]string{"snapshots"}, "error: missing a subcommand: diff, list, show"},
		{[]string{"status", "a", "b"}, `error: unexpected argument "b" (usage: landlord status [TENANT] [flags])`},
		{[]string{"drift", "bogus"}, `error: unexpected argument "bogus"`},
	} {
		code, out, errOut := landlord(t, "", tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("landlord %s: exit %d, stderr %q, want 1 and %q (stdout %q)", strings.Join(tc.args, " "), code, errOut, tc.want, out)
		}
	}
}

// TestServeHelpLogDefaults: serve's help shows the log defaults serve uses
// (JSON at info), the other commands theirs (text at warn).
func TestServeHelpLogDefaults(t *testing.T) {
	t.Setenv("LANDLORD_LOG_LEVEL", "")
	t.Setenv("LANDLORD_LOG_FORMAT", "")
	_, out, _ := landlord(t, "", "serve", "--help")
	for _, want := range []string{`(env LANDLORD_LOG_LEVEL) (default "info")`, `(env LANDLORD_LOG_FORMAT) (default "json")`} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = landlord(t, "", "status", "--help")
	for _, want := range []string{`(env LANDLORD_LOG_LEVEL) (default "warn")`, `(env LANDLORD_LOG_FORMAT) (default "text")`} {
		if !strings.Contains(out, want) {
			t.Errorf("status --help lacks %q:\n%s", want, out)
		}
	}
}
