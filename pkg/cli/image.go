package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/backport/backport/pkg/build"
	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/ui"
)

func newImageCmd(e *env) *cobra.Command {
	var runtime string
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build, list and prune builder images",
		Long: `Builder images hold a target's packaging toolchain; a second, cached layer per
package holds its build dependencies. Images are labelled with the hash of
their definition and rebuilt only when it changes.

A builder starts FROM the target's base image in a registry (base_image: of
the target). When the registry cannot be reached the base is bootstrapped
from the target's mirror with debootstrap and imported instead, and backport
says so; --bootstrap goes straight to the mirror (air-gapped build boxes,
hosts with no registry). A builder bootstrapped earlier stays in use.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&runtime, "runtime", "", "podman, docker or host (default: runtime: from config, else detect)")
	cmd.AddCommand(newImageBuildCmd(e, &runtime), newImageListCmd(e, &runtime), newImagePruneCmd(e, &runtime))
	return cmd
}

// detectRuntime picks the runtime from the flag, else config, else what is
// installed.
func detectRuntime(cmd *cobra.Command, e *env, flag string, cfg recipe.Config) (container.Runtime, error) {
	if flag == "" {
		flag = cfg.Runtime
	}
	return container.Detect(cmd.Context(), flag, container.Options{
		Logger: e.ui.Logger(false),
		Notify: func(msg string) { e.ui.Note("%s", msg) },
	})
}

// configAndRuntime loads backport.yaml and detects the runtime.
func configAndRuntime(cmd *cobra.Command, e *env, flag string) (recipe.Config, container.Runtime, error) {
	cfg, _, err := recipe.DefaultConfig()
	if err != nil {
		return cfg, nil, err
	}
	rt, err := detectRuntime(cmd, e, flag, cfg)
	return cfg, rt, err
}

func newImageBuildCmd(e *env, runtime *string) *cobra.Command {
	var bootstrap bool
	cmd := &cobra.Command{
		Use:   "build [TARGET]",
		Short: "Build the builder image of TARGET (default: this host's release) if its definition changed",
		Args: func(cmd *cobra.Command, args []string) error {
			return exitcode.Wrap(exitcode.Usage, cobra.MaximumNArgs(1)(cmd, args))
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _, err := recipe.DefaultConfig()
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			target, err := cfg.ChooseTarget(name)
			if err != nil {
				return usageErr("%v", err)
			}
			rt, err := detectRuntime(cmd, e, *runtime, cfg)
			if err != nil {
				return err
			}
			mirror, _ := cfg.DebianMirror()
			mode, err := baseMode(bootstrap, cfg)
			if err != nil {
				return err
			}
			start := time.Now()
			res, err := build.EnsureBuilder(cmd.Context(), rt, build.BuilderRequest{
				Target: target, Ref: build.BuilderRefIn(cfg.Images(), target), Mode: mode, DebianMirror: mirror,
				Image: container.ImageOptions{Log: e.ui.Err},
			})
			if err != nil {
				return err
			}
			if res.Built {
				e.ui.Success("built %s in %s", res.Ref, time.Since(start).Round(time.Second))
			} else {
				e.ui.Success("%s is up to date (%s)", res.Ref, res.Reason)
			}
			_, err = fmt.Fprintln(e.ui.Out, res.Ref)
			return err
		},
	}
	cmd.Flags().BoolVar(&bootstrap, "bootstrap", false, "create the base from the target's mirror instead of pulling it from a registry")
	return cmd
}

// baseMode is where a builder's base comes from: --bootstrap, else base:
// from config, else the registry with a fallback on the mirror.
func baseMode(bootstrap bool, cfg recipe.Config) (build.BaseMode, error) {
	if bootstrap {
		return build.BaseBootstrap, nil
	}
	return build.ParseBaseMode(cfg.Base)
}

func newImageListCmd(e *env, runtime *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List backport's images: builders and dependency layers",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, rt, err := configAndRuntime(cmd, e, *runtime)
			if err != nil {
				return err
			}
			images, err := rt.ListImages(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e, images)
			}
			tw := tabwriter.NewWriter(e.ui.Out, 0, 4, 2, ' ', 0)
			for _, im := range images {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", im.Ref, shortID(im.ID), im.Labels[container.LabelKind],
					ui.HumanBytes(im.Size), im.Created.Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON document")
	return cmd
}

func newImagePruneCmd(e *env, runtime *string) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove dependency layers (and with --all, builder images too)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, rt, err := configAndRuntime(cmd, e, *runtime)
			if err != nil {
				return err
			}
			removed, err := container.Prune(cmd.Context(), rt, func(im container.Image) bool {
				return !all && im.Labels[container.LabelLayer] == ""
			})
			for _, im := range removed {
				e.ui.Info("removed %s", im.Ref)
			}
			if err != nil {
				return err
			}
			e.ui.Success("pruned %d image(s)", len(removed))
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also remove builder images (the next build bootstraps them again)")
	return cmd
}

func shortID(id string) string {
	if len(id) > 19 && id[:7] == "sha256:" {
		return id[7:19]
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
