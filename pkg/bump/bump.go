// Package bump sets a hotfix version in a package's own metadata: an RPM
// spec (Version, Release, %changelog) or a debian/changelog (a new top
// entry). It computes the hotfix release from the current one unless told
// otherwise, and never writes a half-edited file.
package bump

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/backport/backport/pkg/diff"
	"github.com/google/renameio/v2"

	"github.com/backport/backport/pkg/exitcode"
	"github.com/backport/backport/pkg/version"
)

// Kind is the kind of file bump edits.
type Kind string

// The kinds of file bump edits.
const (
	Spec            Kind = "spec"
	DebianChangelog Kind = "debian-changelog"
)

// Options say what to bump and to what.
type Options struct {
	Path       string         // a .spec, a debian/changelog, or a source tree holding one
	Version    string         // the upstream version the hotfix ships
	Release    string         // explicit release (RPM Release / Debian revision); "" computes the hotfix one
	CVEs       []string       // CVE ids the hotfix fixes
	Message    string         // an extra changelog line
	Suite      string         // Debian: distribution of the new entry; "" keeps the current top entry's
	Vendor     version.Vendor // "" infers it from the current version
	Maintainer string         // "Name <email>" for the changelog trailer
	Now        time.Time      // the changelog date
}

// Result is a planned edit: the file, its bytes before and after, and the
// versions it moves between.
type Result struct {
	File     string
	Kind     Kind
	From, To string   // full versions, [E:]V-R
	Proof    string   // the ordering the version was proved against, for humans
	Notes    []string // things the editor chose that a reviewer should know
	Old, New []byte
}

var cvePattern = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// NormalizeCVEs upper-cases and checks CVE ids; a malformed id is a usage
// error.
func NormalizeCVEs(ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.ToUpper(strings.TrimSpace(id))
		if !cvePattern.MatchString(id) {
			return nil, exitcode.New(exitcode.Usage, "--cve %q: expected an id like CVE-2024-12345", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// Locate finds the file to edit under path: path itself when it is a spec
// or a changelog, else debian/changelog or the one spec of a source tree.
func Locate(path string) (string, Kind, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	if !fi.IsDir() {
		switch {
		case strings.HasSuffix(path, ".spec"):
			return path, Spec, nil
		case filepath.Base(path) == "changelog":
			return path, DebianChangelog, nil
		}
		return "", "", exitcode.New(exitcode.Usage, "%s: expected a .spec file, a debian/changelog or a source tree", path)
	}
	if f := filepath.Join(path, "debian", "changelog"); isFile(f) {
		return f, DebianChangelog, nil
	}
	var specs []string
	for _, pattern := range []string{"*.spec", "SPECS/*.spec"} {
		m, _ := filepath.Glob(filepath.Join(path, pattern))
		specs = append(specs, m...)
	}
	switch len(specs) {
	case 0:
		return "", "", fmt.Errorf("%s: no debian/changelog or .spec file found in this source tree", path)
	case 1:
		return specs[0], Spec, nil
	}
	return "", "", fmt.Errorf("%s: %d spec files found (%s); name the one to bump", path, len(specs), strings.Join(specs, ", "))
}

// Plan reads the file and computes the edit without writing anything.
func Plan(o Options) (*Result, error) {
	if o.Version == "" {
		return nil, exitcode.New(exitcode.Usage, "--version is required")
	}
	file, kind, err := Locate(o.Path)
	if err != nil {
		return nil, err
	}
	if err := version.CheckUpstream(familyOfKind(kind), o.Version); err != nil {
		return nil, exitcode.Wrap(exitcode.Usage, fmt.Errorf("--version: %w", err))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, unwrapPathError(err))
	}
	r := &Result{File: file, Kind: kind, Old: data}
	switch kind {
	case Spec:
		err = planSpec(r, o)
	default:
		err = planChangelog(r, o)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Diff is the unified diff of the planned edit.
func (r *Result) Diff() string {
	from, to := r.File, r.File
	if !filepath.IsAbs(r.File) {
		from, to = "a/"+r.File, "b/"+r.File
	}
	return diff.Unified(from, to, string(r.Old), string(r.New))
}

// Write replaces the file atomically (temporary file, then rename), keeping
// its permissions and writing through a symlink to its target.
func (r *Result) Write() error {
	target, err := filepath.EvalSymlinks(r.File)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	if err != nil {
		return err
	}
	if err := renameio.WriteFile(target, r.New, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("%s: writing: %w", r.File, err)
	}
	return nil
}

// changeItems are the changelog lines of a hotfix, shared by both formats.
func changeItems(o Options, from string, newUpstream bool) []string {
	first := "Out-of-band hotfix built by backport"
	if newUpstream {
		first += ": new upstream release " + o.Version + "."
	} else {
		first += ", on top of " + from + "."
	}
	items := []string{first}
	if len(o.CVEs) > 0 {
		items = append(items, "Fixes "+strings.Join(o.CVEs, ", ")+".")
	}
	if m := strings.TrimSpace(o.Message); m != "" {
		items = append(items, m)
	}
	return items
}

func familyOfKind(k Kind) version.Family {
	if k == Spec {
		return version.RPM
	}
	return version.Deb
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// unwrapPathError drops the *PathError's own copy of the path, which the
// callers already put at the front of the message.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
