package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/backport/backport/pkg/build"
	"github.com/backport/backport/pkg/bump"
	"github.com/backport/backport/pkg/sign"
	"github.com/backport/backport/pkg/sources"
)

type buildOptions struct {
	fetch          fetchOptions
	runtime        string
	cves           []string
	message        string
	out            string
	bootstrap      bool
	maxAttempts    int
	allowSkipTests bool
	dropConflicts  bool
	resume         bool
	signKey        string
	noBundle       bool
}

func newBuildCmd(e *env) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build NAME VERSION",
		Short: "Fetch, bump and build a hotfix package, fixing common failures until it is green",
		Long: `Fetch and verify the sources of NAME at VERSION (as backport fetch does), give the
distro's packaging the hotfix version, apply and account for every distro
patch, install the build dependencies in a cached layer (network on), build
with the network off, and collect the packages.

A failed attempt is classified from its log; when a remedy knows the cause
it fixes the packaging in the workspace and the next attempt starts from a
fresh copy of it, up to --max-attempts. A cause with no remedy stops the
loop: edit .backport/work/NAME-VERSION-TARGET/tree/ and run the same
command with --resume. report.md, report.json and packaging.diff in the
workspace say what happened; a green build ends with the bundle in
dist/NAME-VERSION-RELEASE.TARGET/ and its .tar.gz.

Ctrl-C stops and removes the build container and leaves the workspace
resumable. Exit status 3: still red.`,
		Example: `  backport build hello 2.10 --target debian-12
  backport build hello 2.12.3 --packaging bookworm
  backport build jq 1.8.2 --packaging auto --drop-conflicting-patches
  backport build httpd 2.4.66 --sign-key key.asc --json`,
		Args: exactArgs(2, "NAME", "VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd, e, args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.fetch.target, "target", "", "distro release to build for (default: default_target, else this host's)")
	f.StringVar(&o.fetch.packaging, "packaging", "auto", "distro packaging to start from: auto (closest upstream not above VERSION) or a suite")
	f.StringVar(&o.runtime, "runtime", "", "podman, docker or host (default: runtime: from config, else detect)")
	f.IntVar(&o.maxAttempts, "max-attempts", build.DefaultMaxAttempts, "attempts before giving up")
	f.BoolVar(&o.allowSkipTests, "allow-skip-tests", false, "when the tests fail, rebuild without them (the report says so in red)")
	f.BoolVar(&o.dropConflicts, "drop-conflicting-patches", false, "drop a distro patch that conflicts with the new source instead of stopping")
	f.BoolVar(&o.resume, "resume", false, "continue a stopped build: keep the workspace tree (with your edits) and the remedies applied")
	f.StringVar(&o.signKey, "sign-key", "", "OpenPGP secret key file: sign RPMs and SHA256SUMS (default: $BACKPORT_SIGNING_KEY)")
	f.BoolVar(&o.noBundle, "no-bundle", false, "stop after the packages: no bundle")
	f.StringArrayVar(&o.cves, "cve", nil, "CVE id the hotfix fixes (repeatable)")
	f.StringVarP(&o.message, "message", "m", "", "an extra changelog line")
	f.StringVar(&o.out, "out", ".", "directory in which dist/ is written")
	f.BoolVar(&o.bootstrap, "bootstrap", false, "create the builder's base from the target's mirror instead of pulling it from a registry")
	f.StringVar(&o.fetch.distro, "distro-version", "", "start from this version of the distro's package (Debian family; default: the newest)")
	f.BoolVar(&o.fetch.insecure, "insecure", false, "use an upstream tarball nothing verifies (recorded loudly)")
	f.BoolVar(&o.fetch.refresh, "refresh", false, "ask the mirrors again instead of reusing the last resolution")
	f.BoolVarP(&o.fetch.verbose, "verbose", "v", false, "say what is looked up and why")
	f.BoolVar(&o.fetch.json, "json", false, "print the report as JSON on stdout")
	return cmd
}

func runBuild(cmd *cobra.Command, e *env, name, ver string, o buildOptions) error {
	cves, err := bump.NormalizeCVEs(o.cves)
	if err != nil {
		return err
	}
	if o.maxAttempts < 1 {
		return usageErr("--max-attempts %d: expected at least 1", o.maxAttempts)
	}
	// The key is loaded (and its passphrase checked) before anything is
	// built; it stays in this process and never enters a container.
	var key *sign.Key
	if o.signKey != "" || e.getenv(sign.EnvKey) != "" {
		if key, err = sign.LoadKey(o.signKey, e.getenv); err != nil {
			return err
		}
		// The podman or docker client need not inherit them.
		os.Unsetenv(sign.EnvKey)
		os.Unsetenv(sign.EnvPassphrase)
	}
	// Without --resume every build starts from a freshly unpacked tree.
	o.fetch.fresh = !o.resume
	f, err := fetchSources(cmd, e, name, ver, o.fetch)
	if err != nil {
		return err
	}
	defer f.ws.Close()
	if f.res.PackagingReason != "" {
		e.ui.Info("%s", e.ui.Faint("packaging: "+f.res.PackagingReason))
	}
	rt, err := detectRuntime(cmd, e, o.runtime, f.cfg)
	if err != nil {
		return err
	}
	mirror, _ := f.cfg.DebianMirror() // bootstraps the rpm builder's Debian base
	mode, err := baseMode(o.bootstrap, f.cfg)
	if err != nil {
		return err
	}
	log := e.ui.Logger(o.fetch.verbose)
	phase := e.ui.StartPhases()
	lo := build.LoopOptions{
		Options: build.Options{
			Runtime: rt, Target: f.target, Workspace: f.ws, Sources: f.res, Version: ver,
			DebianMirror: mirror, Base: mode, BuilderRef: build.BuilderRefIn(f.cfg.Images(), f.target),
			CVEs: cves, Message: o.message, Maintainer: maintainer(e.getenv), OutDir: o.out,
			DropConflictingPatches: o.dropConflicts, Log: log, Progress: phase.Start,
		},
		MaxAttempts: o.maxAttempts, AllowSkipTests: o.allowSkipTests, Resume: o.resume,
		Notify:    func(msg string) { e.ui.Note("%s", msg) },
		Providers: sources.Providers(f.target, f.cache, log),
		Packaging: build.PackagingChoice{Suite: f.res.PackagingSuite, Version: f.res.DistroVersion, Reason: f.res.PackagingReason},
	}
	rep, err := build.Loop(cmd.Context(), lo)
	phase.Stop()
	if err != nil {
		if rep != nil && !o.fetch.json {
			showStop(e, rep)
		}
		if rep != nil && o.fetch.json {
			_ = writeJSON(e, rep)
		}
		return err
	}
	if !o.noBundle {
		if err := signPackages(e, key, rep.Packages); err != nil {
			return err
		}
		bo := build.BundleOptions{
			Services: f.recipe.Services(f.target.Family), Health: f.recipe.Health(f.target.Family),
			ToolVersion: e.build.Version, Parameters: buildParameters(o, f.target.Name),
		}
		if key != nil {
			bo.Signer = key
		}
		if _, err := build.WriteBundle(cmd.Context(), lo, rep, bo); err != nil {
			return err
		}
	} else {
		dir, pkgs, err := build.PublishPackages(cmd.Context(), o.out, name, rep.Hotfix, f.target.Name, rep.Packages)
		if err != nil {
			return err
		}
		rep.Dist, rep.Packages = dir, pkgs
	}
	if o.fetch.json {
		return writeJSON(e, rep)
	}
	showGreen(e, rep, name, f.target.Name)
	return nil
}

// signPackages gives each RPM a header signature before the bundle sums
// them; .debs carry no signature of their own (SHA256SUMS.asc covers them).
func signPackages(e *env, key *sign.Key, pkgs []string) error {
	if key == nil {
		return nil
	}
	n := 0
	for _, p := range pkgs {
		if strings.HasSuffix(p, ".rpm") {
			if err := key.SignRPM(p); err != nil {
				return err
			}
			n++
		}
	}
	if n > 0 {
		e.ui.Info("signed %d RPM(s) with %s", n, key.Fingerprint())
	}
	return nil
}

// buildParameters are the flags the provenance records: what someone
// needs to run the same build again.
func buildParameters(o buildOptions, target string) map[string]string {
	p := map[string]string{
		"target":       target,
		"packaging":    o.fetch.packaging,
		"max-attempts": strconv.Itoa(o.maxAttempts),
	}
	if o.fetch.distro != "" {
		p["distro-version"] = o.fetch.distro
	}
	if o.allowSkipTests {
		p["allow-skip-tests"] = "true"
	}
	if o.dropConflicts {
		p["drop-conflicting-patches"] = "true"
	}
	if len(o.cves) > 0 {
		p["cve"] = strings.Join(o.cves, ",")
	}
	return p
}

// showStop tells why the loop stopped, with the evidence, the last log
// lines and where to edit.
func showStop(e *env, rep *build.Report) {
	if rep.Status == "" {
		return
	}
	if n := len(rep.Attempts); n > 0 {
		last := rep.Attempts[n-1]
		if last.Cause != nil && len(last.Cause.Evidence) > 0 {
			e.ui.Info("%s", e.ui.Faint(fmt.Sprintf("--- %s (attempt %d, log %s)", last.Cause.Class, last.Number, last.Log)))
			e.ui.Info("%s", strings.Join(last.Cause.Evidence, "\n"))
		} else if tail := build.LogTail(last.Log, 20); len(tail) > 0 && last.Outcome != "interrupted" {
			e.ui.Info("%s", e.ui.Faint("--- last lines of "+last.Log))
			e.ui.Info("%s", strings.Join(tail, "\n"))
		}
	}
	for _, p := range rep.Patches {
		if p.Fate == "conflict" {
			e.ui.Error("patch %s conflicts: %s", p.Name, p.Reason)
		}
	}
	e.ui.Info("%s", e.ui.Faint("--- report: "+rep.Files.Markdown))
	e.ui.Info("%s", e.ui.Faint("--- workspace: "+rep.Workspace+" (edit tree/, then run again with --resume)"))
}

func showGreen(e *env, rep *build.Report, name, target string) {
	e.ui.Success("%s %s built for %s in %d attempt(s)", name, e.ui.Accent(rep.Hotfix), target, len(rep.Attempts))
	for _, p := range rep.Patches {
		switch {
		case p.Fate == "dropped: conflicting":
			e.ui.Error("patch %s dropped: it conflicts with the new source (%s)", p.Name, p.Reason)
		case p.Fate != "applied":
			e.ui.Note("patch %s: %s (%s)", p.Name, p.Fate, p.Reason)
		}
	}
	for _, r := range rep.Remedies {
		e.ui.Note("remedy %s: %s", r.Name, r.Summary)
	}
	if rep.Nocheck {
		e.ui.Error("the tests were skipped (--allow-skip-tests): find out why before shipping")
	}
	e.ui.Info("%s", e.ui.Faint("report: "+rep.Files.Markdown+"  packaging diff: "+rep.Files.PackagingDiff))
	if rep.Bundle != "" {
		e.ui.Info("%s", e.ui.Faint("bundle: "+rep.Tarball))
	}
	for _, p := range rep.Packages {
		fmt.Fprintln(e.ui.Out, p)
	}
}
