package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"

	"github.com/backport/backport/pkg/recipe"
)

func newRecipeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recipe",
		Short: "List, show and create recipes (specs/NAME.yaml)",
		Long: `A recipe says how to backport one package: where its upstream tarball comes
from and how it is verified, and per target family the distro source package,
the services to restart and a health check.

Recipes are looked up in ./specs, then <user config dir>/backport/specs, then
the ones embedded in backport; a file found earlier shadows a later one.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newRecipeListCmd(e), newRecipeShowCmd(e), newRecipeNewCmd(e))
	return cmd
}

func newRecipeListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the recipes backport can use, and where each comes from",
		Args:  exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			list, err := recipe.DefaultStore().List()
			if err != nil {
				return err
			}
			if asJSON {
				type item struct {
					Name    string   `json:"name"`
					Summary string   `json:"summary,omitempty"`
					Origin  string   `json:"origin"`
					Shadows []string `json:"shadows,omitempty"`
					Error   string   `json:"error,omitempty"`
				}
				items := make([]item, 0, len(list))
				for _, l := range list {
					it := item{Name: l.Name, Summary: l.Summary, Origin: l.Origin, Shadows: l.Shadows}
					if l.Err != nil {
						it.Error = l.Err.Error()
					}
					items = append(items, it)
				}
				return writeJSON(e, items)
			}
			tw := tabwriter.NewWriter(e.ui.Out, 0, 4, 2, ' ', 0)
			for _, l := range list {
				summary := l.Summary
				if l.Err != nil {
					summary = "BROKEN: " + oneLine(l.Err.Error())
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Name, l.Origin, summary)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON document")
	return cmd
}

func newRecipeShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Print a recipe as the file it is loaded from",
		Args:  exactArgs(1, "NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			r, origin, err := recipe.DefaultStore().Load(args[0])
			if err != nil {
				return err
			}
			e.ui.Info("%s", e.ui.Faint("# from "+origin))
			_, err = e.ui.Out.Write(r.Raw())
			return err
		},
	}
}

func newRecipeNewCmd(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Write a commented recipe template to specs/NAME.yaml",
		Args:  exactArgs(1, "NAME"),
		RunE: func(_ *cobra.Command, args []string) error {
			name := args[0]
			if err := recipe.CheckName(name); err != nil {
				return usageErr("%v", err)
			}
			path := filepath.Join(dir, name+".yaml")
			if _, err := os.Stat(path); err == nil {
				return fmt.Errorf("%s already exists; edit it, or remove it first", path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := renameio.WriteFile(path, recipe.Scaffold(name), 0o644); err != nil {
				return err
			}
			e.ui.Success("wrote %s; fill in the TODOs, then: backport recipe show %s", path, name)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "specs", "directory to write the recipe in")
	return cmd
}

// writeJSON prints v as the one JSON document of a --json command.
func writeJSON(e *env, v any) error {
	enc := json.NewEncoder(e.ui.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
