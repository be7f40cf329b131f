package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/backport/backport/pkg/bump"
	"github.com/backport/backport/pkg/container"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/rpm"
	"github.com/backport/backport/pkg/version"
)

// DefaultRPMBuilderSuite is the Debian suite the rpm builder is
// bootstrapped from when Options.DebianSuite is empty.
const DefaultRPMBuilderSuite = "bookworm"

// rpmTopdir is where the rpmbuild topdir (<ws>/build) is mounted.
const rpmTopdir = "/backport/build"

// rpmTopdirs are the directories of a fresh rpmbuild topdir.
var rpmTopdirs = []string{"SPECS", "SOURCES", "BUILD", "BUILDROOT", "RPMS", "SRPMS"}

// RPMBuilderDefinition is the builder image of an rpm target on a Debian
// base (Debian's rpm ships rpmbuild): how RPM builds run on hosts with no
// RPM-family mirror or registry. Debian's rpm lacks the vendor macros that
// Fedora and EL specs use; the image defines them in
// /etc/rpm/macros.backport, as a Setup command, so that they are part of
// the definition's hash.
func RPMBuilderDefinition(t recipe.Target, debianMirror, debianSuite string) (container.Definition, error) {
	mirror := t.Mirror
	if mirror == "" {
		mirror = debianMirror
	}
	if debianSuite == "" {
		debianSuite = DefaultRPMBuilderSuite
	}
	if mirror == "" {
		return container.Definition{}, fmt.Errorf("target %s: the rpm builder is bootstrapped from a Debian mirror; set mirror: for it in backport.yaml, or use a host with Debian apt sources", t.Name)
	}
	if strings.ContainsAny(t.DistTag, " \t\n'\"\\%$`") {
		return container.Definition{}, fmt.Errorf("target %s: dist tag %q: expected something like .el9", t.Name, t.DistTag)
	}
	return container.Definition{
		Base: container.Base{Bootstrap: &container.Bootstrap{
			Suite: debianSuite, Mirror: mirror, Variant: "minbase", Keyring: t.Keyring,
		}},
		Toolchain: container.RPMOnDebianToolchain(),
		Setup:     []string{"mkdir -p /etc/rpm", "cat > /etc/rpm/macros.backport <<'EOF'\n" + rpmMacros(t) + "EOF"},
	}, nil
}

// rpmMacros are the macros of the target's distro that Debian's rpm does
// not define.
func rpmMacros(t recipe.Target) string {
	lines := []string{
		"%dist " + t.DistTag,
		"%_buildshell /bin/bash",
		"%_unitdir /usr/lib/systemd/system",
		"%_userunitdir /usr/lib/systemd/user",
		"%_tmpfilesdir /usr/lib/tmpfiles.d",
		"%python3_sitearch %(python3 -c 'import sysconfig; print(sysconfig.get_path(\"platlib\"))' 2>/dev/null)",
		"%python3_sitelib %(python3 -c 'import sysconfig; print(sysconfig.get_path(\"purelib\"))' 2>/dev/null)",
		"%ldconfig_scriptlets(n:) %{nil}",
		"%ldconfig_post(n:) %{nil}",
		"%ldconfig_postun(n:) %{nil}",
		"%_smp_build_ncpus %(nproc)",
		"%make_build %{__make} %{?_smp_mflags}",
		"%_vpath_builddir %{_target_platform}",
	}
	// %rhel / %fedora: specs branch on them.
	if t.Release != "" {
		switch t.Vendor {
		case recipe.VendorEL:
			lines = append(lines, "%rhel "+t.Release)
		case recipe.VendorFedora:
			lines = append(lines, "%fedora "+t.Release)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// prepareRPM makes <ws>/build a fresh rpmbuild topdir: the spec in SPECS/,
// the tarballs and patches beside it in SOURCES/ (the workspace tree is
// flat, as an SRPM holds them), and the spec bumped to the hotfix version.
func prepareRPM(ctx context.Context, a *attempt) error {
	o := a.opts
	cves, err := bump.NormalizeCVEs(o.CVEs)
	if err != nil {
		return err
	}
	if err := o.Workspace.Reset("build"); err != nil {
		return err
	}
	a.buildDir = filepath.Join(o.Workspace.Dir, "build")
	for _, d := range rpmTopdirs {
		if err := os.MkdirAll(filepath.Join(a.buildDir, d), 0o755); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(o.Sources.Tree)
	if err != nil {
		return err
	}
	var specs []string
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("%s: %s is not a regular file; an rpm source tree is flat", o.Sources.Tree, e.Name())
		}
		dir := "SOURCES"
		if strings.HasSuffix(e.Name(), ".spec") {
			dir = "SPECS"
			specs = append(specs, e.Name())
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if err := copyFile(filepath.Join(o.Sources.Tree, e.Name()), filepath.Join(a.buildDir, dir, e.Name()), info.Mode().Perm()); err != nil {
			return err
		}
	}
	if len(specs) != 1 {
		return fmt.Errorf("%s: expected one .spec, found %d", o.Sources.Tree, len(specs))
	}
	a.tree = filepath.Join(a.buildDir, "SPECS", specs[0])

	data, err := os.ReadFile(a.tree)
	if err != nil {
		return err
	}
	spec, err := rpm.ParseSpec(a.tree, data)
	if err != nil {
		return err
	}
	if a.source, err = spec.Name(); err != nil {
		return err
	}
	dist := spec.DistMacro()

	maint, now := o.maintainerAndDate()
	// The release is chosen against the spec's own Version-Release, which
	// holds the dist macro that Sources.DistroVersion has expanded.
	plan, err := bump.Plan(bump.Options{
		Path: a.tree, Version: o.version(), CVEs: cves, Message: o.Message,
		Vendor: version.Vendor(o.Target.Vendor), Maintainer: maint, Now: now,
	})
	if err != nil {
		return err
	}
	if err := plan.Write(); err != nil {
		return err
	}
	a.hotfix = expandDist(plan.To, dist, o.Target.DistTag)
	a.res.Version = a.hotfix
	fmt.Fprintf(a.log, "backport: prepared %s from %s as %s (spec %s, distro %s)\n",
		a.buildDir, o.Sources.Tree, a.hotfix, plan.To, o.Sources.DistroVersion)
	bumped, err := os.ReadFile(a.tree)
	if err != nil {
		return err
	}
	if spec, err = rpm.ParseSpec(a.tree, bumped); err != nil {
		return err
	}
	err = triageRPM(ctx, a, spec)
	if serr := a.snapshotPrepared(ctx); err == nil {
		err = serr
	}
	return err
}

// expandDist replaces the spec's dist macro in a version with the target's
// tag, as rpmbuild will.
func expandDist(v, macro, tag string) string {
	if macro == "" {
		return v
	}
	return strings.ReplaceAll(v, macro, tag)
}

// depsRPM makes sure the rpm builder image exists. BuildRequires are not
// installed: an rpm builder on a Debian base has no rpm database that
// could satisfy them, so the build runs with --nodeps on the toolchain the
// image holds.
func depsRPM(ctx context.Context, a *attempt) error {
	img, err := a.ensureBuilder(ctx)
	if err != nil {
		return err
	}
	a.depsRef = a.builder
	return skip("BuildRequires not installed: the rpm builder on a Debian base has no rpm database to satisfy them, so rpmbuild runs with --nodeps (builder image %s: %s)", a.builder, img.Reason)
}

// buildRPM runs rpmbuild -ba on the bumped spec in the builder, with no
// network.
func buildRPM(ctx context.Context, a *attempt) error {
	args := []string{"rpmbuild", "-ba", "--nodeps", "--define", "_topdir " + rpmTopdir}
	if a.opts.Nocheck {
		args = append(args, "--nocheck")
	}
	args = append(args, filepath.Join("SPECS", filepath.Base(a.tree)))
	if err := runBuild(ctx, a, "rpmbuild", args, rpmTopdir); err != nil {
		return err
	}
	return checkRPMPatches(a)
}

// collectRPM copies the binary and source rpms out of the topdir into
// dist/<name>-<version>-<release>.<target>/packages/.
func collectRPM(ctx context.Context, a *attempt) error {
	var rpms []string
	for _, pattern := range []string{"RPMS/*/*.rpm", "SRPMS/*.rpm"} {
		m, err := filepath.Glob(filepath.Join(a.buildDir, pattern))
		if err != nil {
			return err
		}
		rpms = append(rpms, m...)
	}
	if len(rpms) == 0 {
		return fmt.Errorf("the build succeeded but left no .rpm in %s", a.buildDir)
	}
	slices.Sort(rpms)
	return a.collect(ctx, rpms)
}
