package deb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/backport/backport/pkg/archive"
)

// UnpackNewUpstream builds the tree an engineer starts a new-upstream
// backport from: the content of upstreamTarball (its top directory
// stripped, whatever it is called, and any debian/ or .pc/ in it dropped)
// plus the debian/ directory of the distro source package at dscPath, in
// dest/<source>-<upstreamVersion>/. The distro's files are verified first;
// the new tarball is the caller's to have verified.
//
// The patch series stays unapplied in debian/patches for backport to
// apply, refresh or drop. Because nothing of the distro's may be lost
// silently, it refuses what it cannot carry over: a native package (it has
// no separate upstream), a 3.0 (quilt) package with orig-<component>
// tarballs (they belong to the old upstream version), and a 1.0 package
// whose .diff.gz changes upstream files (those changes are in no patch).
func UnpackNewUpstream(ctx context.Context, dscPath, upstreamTarball, upstreamVersion, dest string) (tree string, err error) {
	if err := checkUpstreamVersion(upstreamVersion); err != nil {
		return "", err
	}
	d, dir, err := loadVerifiedDsc(dscPath)
	if err != nil {
		return "", err
	}
	plan, err := planSource(d, dir)
	if err != nil {
		return "", err
	}
	switch {
	case plan.native != "":
		return "", fmt.Errorf("%s: %s is a native package; it has no upstream tarball to replace", dscPath, d.Source)
	case len(plan.components) > 0:
		names := make([]string, len(plan.components))
		for i, c := range plan.components {
			names[i] = c.file
		}
		return "", fmt.Errorf("%s: the orig-component tarballs (%s) belong to upstream %s; a new upstream needs new ones, which is not supported yet",
			dscPath, strings.Join(names, ", "), plan.upstream)
	}
	tree, err = buildTree(dest, d.Source+"-"+upstreamVersion, func(scratch, tree string) error {
		if err := extractTree(ctx, upstreamTarball, tree, scratch, true); err != nil {
			return err
		}
		// Whatever debian/ upstream ships gives way to the distro's, as
		// dpkg-source does.
		if err := os.RemoveAll(filepath.Join(tree, "debian")); err != nil {
			return err
		}
		if plan.debianTar != "" {
			if _, err := archive.ExtractFile(ctx, filepath.Join(dir, plan.debianTar), tree, archive.Options{}); err != nil {
				return err
			}
		} else if err := plan.moveDebianFromDiff(ctx, scratch, tree); err != nil {
			return err
		}
		return finishTree(tree, d.Format)
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", dscPath, err)
	}
	return tree, nil
}

// moveDebianFromDiff unpacks the old 1.0 source beside the new tree and
// moves its debian/, which the .diff.gz made, over, refusing when the diff also changed upstream
// files.
func (pl *sourcePlan) moveDebianFromDiff(ctx context.Context, scratch, tree string) error {
	old := filepath.Join(scratch, "old-source")
	_, upstreamChanges, err := pl.build(ctx, scratch, old)
	if err != nil {
		return err
	}
	if len(upstreamChanges) > 0 {
		return fmt.Errorf("%s changes upstream files outside debian/ (%s); carrying them to a new upstream version is not supported",
			pl.diff, strings.Join(upstreamChanges, ", "))
	}
	if _, err := os.Lstat(filepath.Join(old, "debian")); err != nil {
		return fmt.Errorf("the distro source has no debian/ directory")
	}
	return os.Rename(filepath.Join(old, "debian"), filepath.Join(tree, "debian"))
}

// checkUpstreamVersion refuses what dpkg would not take as the upstream
// part of a version, including an epoch: the version names a directory.
func checkUpstreamVersion(v string) error {
	parsed, err := parseDebVersion(v + "-1")
	if err == nil && (parsed.Epoch != 0 || strings.Contains(v, ":") || parsed.Version != v) {
		err = fmt.Errorf("an upstream version has no epoch")
	}
	if err != nil {
		return fmt.Errorf("upstream version %q is not valid: %v", v, err)
	}
	return nil
}
