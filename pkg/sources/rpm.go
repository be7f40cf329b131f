package sources

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/rpm"
	"github.com/backport/backport/pkg/version"
)

type rpmResolution struct {
	SRPM     File  `json:"srpm"`
	Upstream *File `json:"upstream,omitempty"`
}

// fetchRPM gets the distro's SRPM (from the recipe's URL, verified by its
// OpenPGP signature against the target's keyring) and the upstream
// tarball, and lays them out flat, as rpmbuild's SOURCES holds them.
func fetchRPM(ctx context.Context, req Request, res *Result) error {
	ws := req.Workspace
	key := resolutionKey(req)
	var r rpmResolution
	remembered := !req.Refresh && req.Cache.Recall(key, &r)
	if !remembered {
		f, err := resolveSRPM(ctx, req)
		if err != nil {
			return err
		}
		r.SRPM = f
	}
	if err := ws.Reset("sources"); err != nil {
		return err
	}
	blob, err := req.Cache.Fetch(ctx, r.SRPM.URL, fetch.Expect{SHA256: r.SRPM.SHA256, Size: r.SRPM.Size})
	if err != nil {
		return err
	}
	srpmFile := r.SRPM
	if srpmFile.Path, err = place(blob, ws.Sources(), srpmFile.Name, srpmFile.SHA256); err != nil {
		return err
	}
	res.Files = append(res.Files, srpmFile)
	noteInsecure(res, srpmFile)

	if err := ws.Reset("packaging"); err != nil {
		return err
	}
	pkg, _, err := rpm.ExtractSRPM(ctx, srpmFile.Path, filepath.Join(ws.Dir, "packaging"))
	if err != nil {
		return err
	}
	res.Packaging = filepath.Join(ws.Dir, "packaging")
	res.DistroSource = pkg.Name
	res.DistroVersion = pkg.Version + "-" + pkg.Release
	if pkg.Epoch != "" {
		res.DistroVersion = pkg.Epoch + ":" + res.DistroVersion
	}
	if c, err := version.Compare(version.RPM, req.Version, pkg.Version); err != nil {
		return err
	} else if c < 0 {
		return fmt.Errorf("%s %s is older than the distro's %s; a hotfix cannot downgrade", req.Recipe.Name, req.Version, res.DistroVersion)
	}
	res.NewUpstream = req.Version != pkg.Version

	var up *File
	if res.NewUpstream {
		f, err := getUpstream(ctx, req, &r.Upstream, remembered, res.Packaging, res)
		if err != nil {
			return err
		}
		up = &f
	}

	tree := filepath.Join(ws.Tree(), pkg.Name+"-"+req.Version)
	if !req.Fresh && isDir(tree) {
		res.Tree, res.TreeKept = tree, true
	} else {
		if err := ws.Reset("tree"); err != nil {
			return err
		}
		if _, _, err := rpm.ExtractSRPM(ctx, srpmFile.Path, tree); err != nil {
			return err
		}
		if up != nil {
			if _, err := place(up.Path, tree, up.Name, up.SHA256); err != nil {
				return err
			}
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

// resolveSRPM downloads the recipe's SRPM and verifies its signature with
// the target's keyring; without a keyring only --insecure lets it through.
func resolveSRPM(ctx context.Context, req Request) (File, error) {
	data := recipe.TemplateData{Name: req.Recipe.Name, Version: req.Version, Target: req.Target.Name, DebianMirror: req.DebianMirror}
	u, err := req.Recipe.SRPMURL(data)
	if err != nil {
		return File{}, err
	}
	var keyring openpgp.EntityList
	if req.Target.Keyring != "" {
		if keyring, err = fetch.LoadKeyring(req.Target.Keyring); err != nil {
			return File{}, err
		}
	} else if !req.Insecure {
		return File{}, exitcode.New(exitcode.Verification, "target %s has no keyring to verify its SRPMs with; set keyring: for it in backport.yaml, or pass --insecure", req.Target.Name)
	}
	if u == "" {
		if u, err = srpmFromRepos(ctx, req); err != nil {
			return File{}, err
		}
	}
	how := notVerified + " (--insecure)"
	blob, err := req.Cache.FetchVerifiedBy(ctx, u, func(p string) error {
		if keyring == nil {
			return nil
		}
		s, err := rpm.VerifySRPM(p, keyring)
		if err == nil {
			how = "OpenPGP header signature by key " + s.KeyID + " from " + req.Target.Keyring
		}
		return err
	})
	if err != nil {
		return File{}, err
	}
	f := File{Role: "srpm", Name: baseName(u), URL: u, SHA256: blob.SHA256, Size: blob.Size, VerifiedBy: how}
	return f, nil
}

// srpmFromRepos finds the newest SRPM of the recipe's repo_package in the
// target's repositories and returns its URL; the repodata checksum is
// checked when it is downloaded, the signature by resolveSRPM.
func srpmFromRepos(ctx context.Context, req Request) (string, error) {
	name := req.Recipe.RPM.RepoPackage
	if len(req.Target.Repos) == 0 {
		return "", fmt.Errorf("target %s has no repos to find the %s SRPM in; set repos: for it in backport.yaml, or rpm.srpm in %s", req.Target.Name, name, req.Recipe.File())
	}
	repos := make([]*fetch.YumRepo, 0, len(req.Target.Repos))
	for _, base := range req.Target.Repos {
		repos = append(repos, &fetch.YumRepo{BaseURL: base, Cache: req.Cache, Logger: req.Log})
	}
	pkg, repo, err := fetch.FindSRPMIn(ctx, repos, name)
	if err != nil {
		return "", err
	}
	if _, err := repo.FetchPackage(ctx, pkg); err != nil {
		return "", err
	}
	return repo.PackageURL(pkg)
}

func noteInsecure(res *Result, f File) {
	if strings.HasPrefix(f.VerifiedBy, notVerified) {
		res.Insecure = true
		res.Warnings = append(res.Warnings, f.Name+" is NOT verified (--insecure)")
	}
}
