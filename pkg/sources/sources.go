// Package sources gets everything a backport starts from into a workspace:
// the distro's source package and the upstream tarball, each verified,
// cached, and unpacked into a tree. It is `backport fetch`, and the first
// step of `backport build`.
package sources

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/workspace"
)

// Request says what to fetch and where from.
type Request struct {
	Recipe           *recipe.Recipe
	Version          string        // the upstream version the hotfix ships
	Target           recipe.Target // with its mirrors and keyring filled in
	DebianMirror     string        // what recipe templates see as .DebianMirror; "" when none
	DebianKeyring    string        // verifies that mirror's suites named in verify.distro_index
	DistroVersion    string        // build on this distro version, from whichever considered suite has it
	Packaging        string        // deb: "" or "auto" chooses (see packaging.go); a suite name forces that suite
	Insecure         bool          // accept an upstream tarball nothing verifies, and say so
	Refresh          bool          // ask the mirrors again instead of reusing the last resolution
	Fresh            bool          // unpack the tree again even if one exists (it may hold edits)
	StrictValidUntil bool          // an expired InRelease is a verification failure
	Cache            *fetch.Cache
	Workspace        *workspace.Workspace
	Log              *slog.Logger
}

// File is one verified input.
type File struct {
	Role       string `json:"role"` // upstream, dsc, orig, debian, srpm, …
	Name       string `json:"name"`
	URL        string `json:"url"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
	VerifiedBy string `json:"verified_by"`
	Path       string `json:"path"` // in the workspace
}

// Result is what fetch produced, as `backport fetch --json` prints it.
type Result struct {
	Name          string   `json:"name"`
	Version       string   `json:"version"`
	Target        string   `json:"target"`
	Family        string   `json:"family"`
	DistroSource  string   `json:"distro_source"`
	DistroVersion string   `json:"distro_version"`
	DistroSuite   string   `json:"distro_suite,omitempty"`
	NewUpstream   bool     `json:"new_upstream"`
	Files         []File   `json:"files"`
	Workspace     string   `json:"workspace"`
	Packaging     string   `json:"packaging"` // the distro's source, unpacked untouched
	Tree          string   `json:"tree"`      // where the build starts: new upstream + distro packaging
	TreeKept      bool     `json:"tree_kept,omitempty"`
	Insecure      bool     `json:"insecure,omitempty"`
	Warnings      []string `json:"warnings,omitempty"`

	// TargetVersion is the distro version the target runs: the newest in
	// its own suites ("" when they lack the package). Hotfix versions are
	// computed against it, not against DistroVersion, the version of the
	// packaging used, which may come from a newer release.
	TargetVersion string `json:"target_version,omitempty"`
	// PackagingSuite names the packaging used as Request.Packaging would
	// ("trixie" for trixie-security); PackagingReason says in one line why
	// it was chosen.
	PackagingSuite  string `json:"packaging_suite,omitempty"`
	PackagingReason string `json:"packaging_reason,omitempty"`
}

// Fetch gets, verifies and unpacks the sources of req into its workspace.
func Fetch(ctx context.Context, req Request) (*Result, error) {
	if req.Log == nil {
		req.Log = slog.New(slog.DiscardHandler)
	}
	if err := req.Recipe.Supports(req.Target); err != nil {
		return nil, err
	}
	// The old record describes files this fetch is about to replace.
	if err := req.Workspace.RemoveState("sources"); err != nil {
		return nil, err
	}
	res := &Result{
		Name: req.Recipe.Name, Version: req.Version, Target: req.Target.Name,
		Family: string(req.Target.Family), Workspace: req.Workspace.Dir,
	}
	var err error
	switch req.Target.Family {
	case recipe.FamilyDeb:
		err = fetchDeb(ctx, req, res)
	case recipe.FamilyRPM:
		err = fetchRPM(ctx, req, res)
	default:
		err = fmt.Errorf("target %s: unknown package family %q", req.Target.Name, req.Target.Family)
	}
	if err != nil {
		return nil, err
	}
	if err := req.Workspace.SaveState("sources", res); err != nil {
		return nil, err
	}
	return res, nil
}

// resolutionKey names what a fetch resolved to, so that the same request
// later is served from the cache without asking any mirror.
func resolutionKey(req Request) string {
	h := sha256.New()
	for _, s := range []string{
		"sources/v2", string(req.Recipe.Raw()), req.Version, req.Target.Name, req.Target.Mirror,
		req.Target.SecurityMirror, req.Target.Keyring, req.DebianMirror, fmt.Sprint(req.Insecure), req.DistroVersion,
		strings.Join(req.Target.Repos, "\n"), strings.Join(req.Target.Suites, "\n"),
		strings.Join(req.Target.PackagingSuites, "\n"), strings.Join(req.Target.Components, "\n"), packagingMode(req),
	} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "sources-" + hex.EncodeToString(h.Sum(nil))
}

// place copies a verified cache blob into dir/name atomically, re-hashing
// it on the way so that the workspace copy is the verified one.
func place(blob, dir, name, sha string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, name)
	in, err := os.Open(blob)
	if err != nil {
		return "", err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), in); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return "", fmt.Errorf("%s: changed while copying from the cache (sha256 %s, want %s)", name, got, sha)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	return dst, os.Rename(tmp.Name(), dst)
}

// maxSmallFile bounds checksum files and signatures, which are read into
// memory: a hostile server must not be able to exhaust it.
const maxSmallFile = 4 << 20

// limitedBuffer is a bytes.Buffer that refuses to grow past max.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, fmt.Errorf("larger than %d bytes", b.max)
	}
	return b.Buffer.Write(p)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
