package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/backport/backport/pkg/version"
)

// collectDeb copies the packages dpkg-buildpackage left beside the tree
// into <ws>/out/packages/. dist/ only ever receives a whole bundle (or,
// with --no-bundle, PublishPackages' copy).
func collectDeb(ctx context.Context, a *attempt) error {
	var debs []string
	for _, pattern := range []string{"*.deb", "*.udeb"} {
		m, err := filepath.Glob(filepath.Join(a.buildDir, pattern))
		if err != nil {
			return err
		}
		debs = append(debs, m...)
	}
	if len(debs) == 0 {
		return fmt.Errorf("the build succeeded but left no .deb in %s", a.buildDir)
	}
	slices.Sort(debs)
	return a.collect(ctx, debs)
}

// collect publishes an attempt's packages into <ws>/out/packages.
func (a *attempt) collect(ctx context.Context, files []string) error {
	dir := filepath.Join(a.opts.Workspace.Dir, "out", "packages")
	pkgs, err := publish(ctx, files, dir)
	if err != nil {
		return err
	}
	a.res.Packages = pkgs
	fmt.Fprintf(a.log, "backport: %d package(s) in %s\n", len(pkgs), dir)
	return nil
}

// PublishPackages copies a green build's packages into
// <out>/dist/<name>-<version>-<release>.<target>/packages, all or nothing,
// for a build without a bundle. It returns the directory and the paths.
func PublishPackages(ctx context.Context, out, name, hotfix, target string, pkgs []string) (string, []string, error) {
	dir, err := DistDir(out, name, hotfix, target)
	if err != nil {
		return "", nil, err
	}
	paths, err := publish(ctx, pkgs, filepath.Join(dir, "packages"))
	return dir, paths, err
}

// DistDir is where the packages of a hotfix go:
// <out>/dist/<name>-<version>-<release>.<target>, absolute.
func DistDir(out, name, hotfix, target string) (string, error) {
	p, err := version.Split(version.Deb, hotfix)
	if err != nil {
		return "", err
	}
	base := name + "-" + p.Version
	if p.Release != "" {
		base += "-" + p.Release
	}
	return filepath.Abs(filepath.Join(out, "dist", base+"."+target))
}

// publish copies files into dest, all or nothing: they are written to a
// temporary directory beside it, which then replaces dest by rename. A
// failure leaves dest as it was.
func publish(ctx context.Context, files []string, dest string) ([]string, error) {
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(dest)+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // after a successful rename, nothing is left there
	var out []string
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := copyFile(f, filepath.Join(tmp, filepath.Base(f)), 0o644); err != nil {
			return nil, err
		}
		out = append(out, filepath.Join(dest, filepath.Base(f)))
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	// A previous attempt's packages step aside, then go.
	old := ""
	if _, err := os.Lstat(dest); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dest, old); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.Rename(tmp, dest); err != nil {
		if old != "" {
			_ = os.Rename(old, dest)
		}
		return nil, err
	}
	if old != "" {
		_ = os.RemoveAll(old)
	}
	return out, nil
}
