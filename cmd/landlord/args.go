package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// positional accepts exactly the arguments named, and names the first one
// missing ("missing TENANT") instead of counting them.
func positional(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return fmt.Errorf("missing %s (usage: %s)", strings.Join(names[len(args):], " "), cmd.UseLine())
		}
		return noMore(cmd, args, len(names))
	}
}

// optional accepts at most the arguments named.
func optional(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return noMore(cmd, args, len(names))
	}
}

// none accepts no argument.
func none(cmd *cobra.Command, args []string) error { return noMore(cmd, args, 0) }

func noMore(cmd *cobra.Command, args []string, n int) error {
	if len(args) > n {
		return fmt.Errorf("unexpected argument %q (usage: %s)", args[n], cmd.UseLine())
	}
	return nil
}

// unknownSubcommand is the RunE of a command that only groups others: an
// argument that names none of them is an error, not a help text and exit 0.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	if len(args) == 0 {
		return fmt.Errorf("missing a subcommand: %s", strings.Join(names, ", "))
	}
	return fmt.Errorf("unknown subcommand %q for %s: want %s", args[0], cmd.CommandPath(), strings.Join(names, ", "))
}
