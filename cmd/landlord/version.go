package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion is the module version and the commit the binary was built
// from, as the Go toolchain recorded them: "landlord v1.2.0 (commit
// 3f9c2e1a7b4d, 2026-11-30T10:00:00Z)", "(devel)" for a build from a work
// tree, "+dirty" when it had uncommitted changes.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var commit, when string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if commit == "" {
		return version + " (commit unknown, " + info.GoVersion + ")"
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if dirty {
		commit += "+dirty"
	}
	if when != "" {
		return fmt.Sprintf("%s (commit %s, %s, %s)", version, commit, when, info.GoVersion)
	}
	return fmt.Sprintf("%s (commit %s, %s)", version, commit, info.GoVersion)
}

func newVersion(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print landlord's version and the commit it was built from",
		Args:  none,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(g.stdout, "landlord "+buildVersion())
			return nil
		},
	}
}
