package sources

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/version"
)

// debResolution is what the mirrors said last time; with it, a fetch of
// the same request is served from the cache alone.
type debResolution struct {
	packagingChoice
	Upstream *File `json:"upstream,omitempty"`
}

func fetchDeb(ctx context.Context, req Request, res *Result) error {
	ws := req.Workspace
	archive := &fetch.DebianArchive{
		Mirror: req.Target.Mirror, Keyring: req.Target.Keyring, Cache: req.Cache,
		StrictValidUntil: req.StrictValidUntil, Logger: req.Log,
	}
	key := resolutionKey(req)
	var r debResolution
	remembered := !req.Refresh && req.Cache.Recall(key, &r)
	if !remembered {
		choice, err := choosePackaging(ctx, archive, req)
		if err != nil {
			return err
		}
		r.packagingChoice = choice
	}
	res.DistroSource, res.DistroVersion, res.DistroSuite = r.Source.Package, r.Source.Version, r.Source.Suite.Suite
	res.TargetVersion, res.PackagingSuite, res.PackagingReason = r.TargetVersion, r.Suite, r.Reason
	res.Warnings = append(res.Warnings, r.Warnings...)
	req.Log.Info("distro source", "package", r.Source.Package, "version", r.Source.Version, "suite", r.Source.Suite.Suite,
		"target_version", r.TargetVersion, "why", r.Reason)

	if err := ws.Reset("sources"); err != nil {
		return err
	}
	rebuiltDsc, err := fetchDistroSource(ctx, archive, r.Source, ws.Sources())
	if err != nil {
		var nf *fetch.NotFoundError
		if errors.As(err, &nf) {
			// A partial or lagging mirror lists a version it does not carry.
			// Falling back to an older one silently could undo a security
			// fix, so say what happened and let the engineer choose.
			return fmt.Errorf("%s %s (%s) is in the index but not on the mirror (%s %s); pass --distro-version to build on another version",
				r.Source.Package, r.Source.Version, r.Source.Suite.Suite, nf.URL, nf.Status)
		}
		return err
	}
	dscPath := ""
	for _, f := range r.Source.Files {
		role := debRole(f.Name)
		if role == "dsc" {
			dscPath = filepath.Join(ws.Sources(), f.Name)
		}
		file := File{
			Role: role, Name: f.Name, URL: f.URL, SHA256: f.SHA256, Size: f.Size,
			VerifiedBy: "sha256 from the signed Sources index of " + r.Source.Suite.Suite,
			Path:       filepath.Join(ws.Sources(), f.Name),
		}
		if role == "dsc" && rebuiltDsc {
			if err := describeRebuiltDsc(&file, r.Source.Suite.Suite, res); err != nil {
				return err
			}
		}
		res.Files = append(res.Files, file)
	}
	if dscPath == "" {
		return fmt.Errorf("%s %s: the index lists no .dsc", r.Source.Package, r.Source.Version)
	}

	// The distro's source, untouched: the reference for packaging.diff and
	// where upstream's signing key is found.
	if err := ws.Reset("packaging"); err != nil {
		return err
	}
	packaging, err := deb.UnpackSource(ctx, dscPath, filepath.Join(ws.Dir, "packaging"))
	if err != nil {
		return err
	}
	res.Packaging = packaging

	cur, err := version.Split(version.Deb, r.Source.Version)
	if err != nil {
		return fmt.Errorf("%s: distro version: %w", r.Source.Package, err)
	}
	if err := checkNoDowngrade(req, r.packagingChoice, cur.Version, res); err != nil {
		return err
	}
	res.NewUpstream = req.Version != cur.Version

	var upstreamPath string
	if res.NewUpstream {
		up, err := getUpstream(ctx, req, &r.Upstream, remembered, packaging, res)
		if err != nil {
			return err
		}
		upstreamPath = up.Path
	}

	treeRoot := ws.Tree()
	tree := filepath.Join(treeRoot, r.Source.Package+"-"+req.Version)
	if !req.Fresh && isDir(tree) {
		res.Tree, res.TreeKept = tree, true
	} else {
		if err := ws.Reset("tree"); err != nil {
			return err
		}
		if res.NewUpstream {
			tree, err = deb.UnpackNewUpstream(ctx, dscPath, upstreamPath, req.Version, treeRoot)
		} else {
			tree, err = deb.UnpackSource(ctx, dscPath, treeRoot)
		}
		if err != nil {
			return err
		}
		res.Tree = tree
	}
	if !remembered {
		if err := req.Cache.Remember(key, r); err != nil {
			req.Log.Warn("could not remember the resolution", "err", err)
		}
	}
	return nil
}

// suiteRefs lists a Debian-family target's suites, the -security one on
// the security mirror when the target has one.
func suiteRefs(t recipe.Target) []fetch.SuiteRef {
	var refs []fetch.SuiteRef
	for _, s := range t.Suites {
		for _, comp := range componentsOf(t) {
			ref := fetch.SuiteRef{Mirror: t.Mirror, Suite: s, Component: comp}
			if strings.HasSuffix(s, "-security") && t.SecurityMirror != "" {
				ref.Mirror = t.SecurityMirror
			}
			refs = append(refs, ref)
		}
	}
	return refs
}

func componentsOf(t recipe.Target) []string {
	if len(t.Components) == 0 {
		return []string{"main"}
	}
	return t.Components
}

func debRole(name string) string {
	switch {
	case strings.HasSuffix(name, ".dsc"):
		return "dsc"
	case strings.Contains(name, ".orig") && strings.HasSuffix(name, ".asc"):
		return "orig-signature"
	case strings.Contains(name, ".orig-"):
		return "orig-component"
	case strings.Contains(name, ".orig."):
		return "orig"
	case strings.Contains(name, ".debian.") || strings.Contains(name, ".diff."):
		return "debian"
	}
	return "source"
}
