package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/backport/backport/pkg/build"
	"github.com/backport/backport/pkg/bump"
)

type buildOptions struct {
	fetch     fetchOptions
	runtime   string
	cves      []string
	message   string
	out       string
	bootstrap bool
}

func newBuildCmd(e *env) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build NAME VERSION",
		Short: "Fetch, bump and build a hotfix package in a container",
		Long: `Fetch and verify the sources of NAME at VERSION (as backport fetch does), give the
distro's packaging the hotfix version, install the build dependencies in a
cached layer (network on), build with the network off, and collect the
packages into dist/NAME-VERSION-RELEASE.TARGET/packages/.

Each attempt starts from a fresh copy of the workspace tree and logs to
.backport/work/NAME-VERSION-TARGET/logs/attempt-NN.log. Ctrl-C stops and
removes the build container and leaves the workspace as it was.`,
		Example: `  backport build hello 2.10 --target debian-12
  backport build hello 2.12.3 --cve CVE-2024-12345 --json`,
		Args: exactArgs(2, "NAME", "VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd, e, args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.fetch.target, "target", "", "distro release to build for (default: default_target, else this host's)")
	f.StringVar(&o.runtime, "runtime", "", "podman, docker or host (default: runtime: from config, else detect)")
	f.StringArrayVar(&o.cves, "cve", nil, "CVE id the hotfix fixes (repeatable)")
	f.StringVarP(&o.message, "message", "m", "", "an extra changelog line")
	f.StringVar(&o.out, "out", ".", "directory in which dist/ is written")
	f.BoolVar(&o.bootstrap, "bootstrap", false, "create the builder's base from the target's mirror instead of pulling it from a registry")
	f.StringVar(&o.fetch.distro, "distro-version", "", "start from this version of the distro's package (Debian family; default: the newest)")
	f.BoolVar(&o.fetch.insecure, "insecure", false, "use an upstream tarball nothing verifies (recorded loudly)")
	f.BoolVar(&o.fetch.refresh, "refresh", false, "ask the mirrors again instead of reusing the last resolution")
	f.BoolVarP(&o.fetch.verbose, "verbose", "v", false, "say what is looked up and why")
	f.BoolVar(&o.fetch.json, "json", false, "print a JSON summary on stdout")
	return cmd
}

func runBuild(cmd *cobra.Command, e *env, name, ver string, o buildOptions) error {
	cves, err := bump.NormalizeCVEs(o.cves)
	if err != nil {
		return err
	}
	f, err := fetchSources(cmd, e, name, ver, o.fetch)
	if err != nil {
		return err
	}
	defer f.ws.Close()
	rt, err := detectRuntime(cmd, e, o.runtime, f.cfg)
	if err != nil {
		return err
	}
	mirror, _ := f.cfg.DebianMirror() // bootstraps the rpm builder's Debian base
	mode, err := baseMode(o.bootstrap, f.cfg)
	if err != nil {
		return err
	}
	phase := e.ui.StartPhases()
	res, err := build.Run(cmd.Context(), build.Options{
		Runtime: rt, Target: f.target, Workspace: f.ws, Sources: f.res, Version: ver,
		DebianMirror: mirror, Base: mode, BuilderRef: build.BuilderRefIn(f.cfg.Images(), f.target), CVEs: cves, Message: o.message, Maintainer: maintainer(e.getenv), OutDir: o.out,
		Log: e.ui.Logger(o.fetch.verbose), Progress: phase.Start,
	})
	phase.Stop()
	if err != nil {
		var failed *build.FailedError
		if errors.As(err, &failed) && len(failed.Tail) > 0 {
			e.ui.Info("%s", e.ui.Faint("--- last lines of "+failed.LogPath))
			e.ui.Info("%s", strings.Join(failed.Tail, "\n"))
			e.ui.Info("%s", e.ui.Faint("--- workspace: "+f.ws.Dir))
		}
		return err
	}
	if o.fetch.json {
		return writeJSON(e, res)
	}
	e.ui.Success("%s %s built for %s", name, e.ui.Accent(res.Version), f.target.Name)
	for _, p := range res.Packages {
		fmt.Fprintln(e.ui.Out, p)
	}
	return nil
}
