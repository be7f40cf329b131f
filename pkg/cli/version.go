package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

type versionOptions struct {
	json bool
}

func newVersionCmd(e *env) *cobra.Command {
	var o versionOptions
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print backport's version, commit and build date",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.json {
				return writeJSON(e, map[string]string{
					"version": e.build.Version, "commit": e.build.Commit, "date": e.build.Date,
				})
			}
			_, err := fmt.Fprintf(e.ui.Out, "backport %s (commit %s, built %s)\n", e.build.Version, e.build.Commit, e.build.Date)
			return err
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print a JSON document")
	return cmd
}
