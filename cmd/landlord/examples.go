package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// examples are the Examples: block of each command's help, by command
// path. setExamples fails no command silently: a test checks that every
// command has one.
var examples = map[string]string{
	"landlord": `  # Provision and migrate every tenant of the repository in this directory
  landlord reconcile
  # What would change, for a pull-request comment
  landlord reconcile --plan --output markdown`,
	"landlord reconcile": `  # Apply the repository in this directory (SQLite by default)
  landlord reconcile
  # Show the plans only, against a MariaDB server
  landlord reconcile --plan --server primary=mysql://landlord@db:3306/
  # In CI: plan from the landlord database's snapshots, exit 2 on changes
  landlord reconcile --plan --against state --state ci.db --detailed-exitcode
  # One tenant, destructive changes allowed
  landlord reconcile --tenant cpn-uml --allow-destructive`,
	"landlord seed": `  # Fill a development tenant with demo data: 1000 members and the rest
  landlord seed nepali-congress --demo --scale 1000
  # Another draw of the same size
  landlord seed nepali-congress --demo --scale 1000 --seed 7 -o json`,
	"landlord status": `  # Every tenant's sync and health
  landlord status
  # Everything recorded about one tenant, as JSON
  landlord status cpn-uml --output json`,
	"landlord validate": `  # Check the repository in this directory offline
  landlord validate
  # Check a branch of a remote repository
  landlord validate --repo https://github.com/acme/tenants.git --ref feature/x`,
	"landlord diff": `  # What the commits of a branch change, tenant by tenant
  landlord diff --base main --head HEAD
  # Exit 2 when any tenant differs
  landlord diff --base main --detailed-exitcode`,
	"landlord drift": `  # Compare every tenant with its last snapshot and record the drift
  landlord drift
  # One tenant, as JSON
  landlord drift --tenant cpn-uml --output json`,
	"landlord drift export": `  # Print the objects drift added to cpn-uml as HCL
  landlord drift export cpn-uml
  # Append them to layers/custom/cpn-uml/drift.hcl
  landlord drift export cpn-uml --write`,
	"landlord backups": `  landlord backups list cpn-uml
  landlord backups show cpn-uml/20261130T120000Z-0a1b2c3d`,
	"landlord backups list": `  # Every usable backup, newest first
  landlord backups list
  # One tenant's, as JSON
  landlord backups list cpn-uml --output json`,
	"landlord backups show": `  # The manifest of one backup: tables, rows, checksums, sizes
  landlord backups show cpn-uml/20261130T120000Z-0a1b2c3d`,
	"landlord snapshot": `  # Record cpn-uml's live schema now
  landlord snapshot cpn-uml`,
	"landlord snapshots": `  landlord snapshots list cpn-uml
  landlord snapshots show cpn-uml 3
  landlord snapshots diff cpn-uml 2 3`,
	"landlord snapshots list": `  landlord snapshots list cpn-uml --output json`,
	"landlord snapshots show": `  # The HCL of snapshot 3 of cpn-uml
  landlord snapshots show cpn-uml 3`,
	"landlord snapshots diff": `  # The statements that turn snapshot 2 into snapshot 3
  landlord snapshots diff cpn-uml 2 3`,
	"landlord repair": `  # What restoring cpn-uml would run
  landlord repair cpn-uml --plan
  # Restore it, drops included
  landlord repair cpn-uml --allow-destructive`,
	"landlord rollback": `  # Back to the schema of an earlier commit, pinned there
  landlord rollback cpn-uml --to 3f9c2e1 --plan
  # Back to the schema recorded after run 12
  landlord rollback cpn-uml --to 12`,
	"landlord unpin": `  # Let reconciles bring cpn-uml to the repository's revision again
  landlord unpin cpn-uml`,
	"landlord serve": `  # Poll a repository, reconcile on change and every hour, serve the API
  landlord serve --repo https://github.com/acme/tenants.git --state mysql://landlord@db:3306/landlord
  # The same, from a configuration file
  landlord serve --config /etc/landlord/serve.yaml`,
	"landlord help": `  landlord help reconcile`,
	"landlord completion": `  # Complete landlord's commands and flags in bash, from now on
  landlord completion bash > /etc/bash_completion.d/landlord`,
	"landlord completion bash":       `  landlord completion bash > /etc/bash_completion.d/landlord`,
	"landlord completion zsh":        `  landlord completion zsh > "${fpath[1]}/_landlord"`,
	"landlord completion fish":       `  landlord completion fish > ~/.config/fish/completions/landlord.fish`,
	"landlord completion powershell": `  landlord completion powershell | Out-String | Invoke-Expression`,
	"landlord version": `  landlord version
  landlord --version`,
}

// setExamples sets the Examples: block of cmd and its subcommands.
func setExamples(cmd *cobra.Command) {
	if ex, ok := examples[cmd.CommandPath()]; ok {
		cmd.Example = strings.TrimRight(ex, "\n")
	}
	for _, c := range cmd.Commands() {
		setExamples(c)
	}
}
