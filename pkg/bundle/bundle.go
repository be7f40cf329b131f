package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/backport/backport/pkg/version"
)

// Signer makes the detached signature of SHA256SUMS. The key stays with
// the signer: the bundle records only its fingerprint.
type Signer interface {
	// SignDetached returns an ASCII-armored detached OpenPGP signature of data.
	SignDetached(data []byte) ([]byte, error)
	Fingerprint() string // hex, upper case
}

// Source is one verified input of the build, from the fetch result.
type Source struct {
	Role       string `json:"role"`
	Name       string `json:"name"`
	URL        string `json:"url"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
	VerifiedBy string `json:"verified_by"`
}

// Remedy is one fix the rebuild loop applied.
type Remedy struct {
	Attempt int      `json:"attempt"`
	Name    string   `json:"name"`
	Cause   string   `json:"cause"`
	Summary string   `json:"summary"`
	Files   []string `json:"files"`
}

// PatchFate says what became of one distro patch.
type PatchFate struct {
	Name   string `json:"name"`
	Fate   string `json:"fate"` // applied, refreshed, dropped
	Reason string `json:"reason,omitempty"`
}

// Input is everything a green build knows that goes into its bundle.
type Input struct {
	Name, UpstreamVersion, Version, Release, Target, Family string // Version: the full hotfix version, e.g. 2.10-3+bp1
	CVEs                                                    []string
	Packages                                                []string // paths of the built .deb/.rpm files
	Sources                                                 []Source
	BuilderImage, BuilderImageDigest                        string
	Parameters                                              map[string]string // the build's flags
	Remedies                                                []Remedy
	Patches                                                 []PatchFate
	Insecure                                                bool     // an unverified input was accepted (--insecure)
	Services                                                []string // the recipe's services to restart
	HealthCheck                                             string   // a shell command; "" none
	HealthRetries, HealthDelaySeconds                       int      // 0: 5 tries, 2 s apart
	PackagingDiff, ReportMarkdown                           []byte
	ToolVersion                                             string
	BuildTime                                               time.Time // also every mtime in the tarball
	Signer                                                  Signer    // nil: unsigned
}

// Written is a bundle in place.
type Written struct {
	Dir, Tarball, TarballSHA256 string
	Manifest                    *Manifest
}

// Names of the files every bundle has.
const (
	fileInstall  = "install.sh"
	fileManifest = "manifest.json"
	fileSums     = "SHA256SUMS"
	fileSumsAsc  = "SHA256SUMS.asc"
	fileDiff     = "packaging.diff"
	fileReport   = "report.md"
	dirPackages  = "packages"
)

var (
	safeName    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]*$`)
	serviceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9@._:-]*$`)
)

// Name is the bundle's directory name, <name>-<version>-<release>.<target>
// (DESIGN §6), with any epoch left out: e.g. hello-2.10-3+bp1.debian-12.
func Name(name, hotfix, target string) (string, error) {
	p, err := version.Split(version.Deb, hotfix)
	if err != nil {
		return "", fmt.Errorf("hotfix version %q: %w", hotfix, err)
	}
	base := name + "-" + p.Version
	if p.Release != "" {
		base += "-" + p.Release
	}
	base += "." + target
	if !safeName.MatchString(base) {
		return "", fmt.Errorf("bundle name %q: expected letters, digits and . _ + ~ -", base)
	}
	return base, nil
}

func (in Input) validate() error {
	switch {
	case !safeName.MatchString(in.Name):
		return fmt.Errorf("bundle: package name %q: expected letters, digits and . _ + ~ -", in.Name)
	case !safeName.MatchString(in.Target):
		return fmt.Errorf("bundle: target %q: expected letters, digits and . _ + ~ -", in.Target)
	case in.Family != "deb" && in.Family != "rpm":
		return fmt.Errorf("bundle: family %q: expected deb or rpm", in.Family)
	case len(in.Packages) == 0:
		return errors.New("bundle: no packages")
	case in.BuildTime.IsZero():
		return errors.New("bundle: no build time")
	}
	for what, v := range map[string]string{"health check": in.HealthCheck, "tool version": in.ToolVersion, "version": in.Version} {
		if strings.ContainsAny(v, "\x00") {
			return fmt.Errorf("bundle: %s holds a NUL byte", what)
		}
	}
	for _, s := range in.Services {
		if !serviceName.MatchString(s) {
			return fmt.Errorf("bundle: service %q: expected a unit or init script name", s)
		}
	}
	return nil
}

// Write creates <outDir>/dist/<bundle>/ and <outDir>/dist/<bundle>.tar.gz.
// Both are built under temporary names in dist/ and renamed into place, so
// each is either complete or absent; an existing bundle of the same name
// is replaced. The same Input (BuildTime included) gives the same tarball
// bytes when unsigned, or when the signature is deterministic.
func Write(ctx context.Context, outDir string, in Input) (*Written, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	bundle, err := Name(in.Name, in.Version, in.Target)
	if err != nil {
		return nil, err
	}
	dist, err := filepath.Abs(filepath.Join(outDir, "dist"))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	tmp, err := os.MkdirTemp(dist, "."+bundle+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	m, err := fill(ctx, tmp, bundle, in)
	if err != nil {
		return nil, err
	}
	tarTmp := tmp + ".tar.gz"
	sum, err := writeTarball(tmp, bundle, tarTmp, in.BuildTime)
	if err != nil {
		_ = os.Remove(tarTmp)
		return nil, fmt.Errorf("bundle: tarball: %w", err)
	}
	dir, tarball := filepath.Join(dist, bundle), filepath.Join(dist, bundle+".tar.gz")
	if err := ctx.Err(); err != nil {
		_ = os.Remove(tarTmp)
		return nil, err
	}
	if err := place(tmp, dir, tarTmp, tarball); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	ok = true
	return &Written{Dir: dir, Tarball: tarball, TarballSHA256: sum, Manifest: m}, nil
}

// fill writes the bundle's files into dir.
func fill(ctx context.Context, dir, bundle string, in Input) (*Manifest, error) {
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	for i := range in.Remedies {
		in.Remedies[i].Files = nonNil(in.Remedies[i].Files)
	}
	pkgs, err := copyPackages(ctx, in.Packages, filepath.Join(dir, dirPackages))
	if err != nil {
		return nil, err
	}
	var fingerprint string
	if in.Signer != nil {
		fingerprint = in.Signer.Fingerprint()
	}
	script, err := renderInstall(in, bundle, pkgs, fingerprint)
	if err != nil {
		return nil, err
	}
	prov, err := marshal(buildProvenance(in, bundle, pkgs))
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{fileInstall, script, 0o755},
		{fileDiff, in.PackagingDiff, 0o644},
		{fileReport, in.ReportMarkdown, 0o644},
		{provenanceName, prov, 0o644},
	} {
		if err := writeFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return nil, err
		}
	}
	files, err := digestFiles(dir)
	if err != nil {
		return nil, err
	}
	m := buildManifest(in, bundle, pkgs, files, fingerprint)
	data, err := marshal(m)
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, fileManifest), data, 0o644); err != nil {
		return nil, err
	}
	files = append(files, File{Path: fileManifest, SHA256: sha256Hex(data), Size: int64(len(data))})
	sums := sha256sums(files)
	if err := writeFile(filepath.Join(dir, fileSums), sums, 0o644); err != nil {
		return nil, err
	}
	if in.Signer != nil {
		asc, err := in.Signer.SignDetached(sums)
		if err != nil {
			return nil, fmt.Errorf("bundle: signing %s: %w", fileSums, err)
		}
		if err := writeFile(filepath.Join(dir, fileSumsAsc), asc, 0o644); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// copyPackages copies the packages into dir, reading each one's metadata.
func copyPackages(ctx context.Context, paths []string, dir string) ([]Package, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	var pkgs []Package
	seen := map[string]bool{}
	for _, src := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		base := filepath.Base(src)
		if !shellWord.MatchString(base) {
			return nil, fmt.Errorf("bundle: package file name %q: unexpected characters", base)
		}
		if seen[base] {
			return nil, fmt.Errorf("bundle: two packages named %s", base)
		}
		seen[base] = true
		p, err := readPackage(src)
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		sum, size, err := copyFile(src, filepath.Join(dir, base))
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		p.File, p.SHA256, p.Size = dirPackages+"/"+base, sum, size
		pkgs = append(pkgs, p)
	}
	slices.SortFunc(pkgs, func(a, b Package) int { return cmpString(a.File, b.File) })
	return pkgs, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func copyFile(src, dst string) (string, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("copying %s: %w", src, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(path, mode) // not narrowed by the umask
	}
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	return buf.Bytes(), nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
