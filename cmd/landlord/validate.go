package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/landlord/landlord/reconciler"
)

type validateFlags struct {
	repoFlags
	output string
	state  string // only its database name is read: no tenant may have it
}

func newValidate(g *globals) *cobra.Command {
	f := &validateFlags{}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the repository offline: manifests, layer files and every tenant's desired schema",
		Long: `validate reads the desired-state repository and checks it without any database
or network: every manifest, the syntax of every layer file, and each tenant's
desired schema composed for the engine of its server (the server's engine:
in landlord.yaml, else its URL's scheme). Every error is reported, once, as
file:line:col: message.

Exit codes: 0 valid; 1 errors found, or the repository cannot be read.`,
		Args: none,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(f.output, "text", "json"); err != nil {
				return err
			}
			repo, err := f.load(cmd)
			if err != nil {
				return err
			}
			v := reconciler.Validate(repo)
			if f.output == "json" {
				if err := writeJSON(g.stdout, v); err != nil {
					return err
				}
			} else {
				writeValidation(g.stdout, v)
			}
			if !v.Valid() {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f.repoFlags.register(cmd)
	outputFlag(cmd, &f.output, "text", "json")
	cmd.Flags().StringVar(&f.state, "state", os.Getenv("LANDLORD_STATE"), "landlord database (env LANDLORD_STATE): not opened; a tenant may not have its database name")
	return cmd
}

func writeValidation(w interface{ Write([]byte) (int, error) }, v *reconciler.Validation) {
	for _, p := range v.Errors {
		fmt.Fprintln(w, strings.ReplaceAll(p.String(), "\n", "\n  "))
	}
	for _, warn := range v.Warnings {
		fmt.Fprintln(w, "warning: "+warn)
	}
	if v.Valid() {
		fmt.Fprintf(w, "revision %s: valid: %d tenants, %d desired schemas composed\n", shortRevision(v.Revision), v.Tenants, v.Compositions)
		return
	}
	affected := v.Affected()
	fmt.Fprintf(w, "revision %s: %d error(s); %d of %d tenants cannot be reconciled", shortRevision(v.Revision), len(v.Errors), len(affected), v.Tenants)
	if len(affected) > 0 {
		fmt.Fprint(w, ": "+strings.Join(affected, ", "))
	}
	fmt.Fprintln(w)
}
