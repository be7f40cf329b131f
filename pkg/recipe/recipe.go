// Package recipe knows what backport builds and for what: recipes
// (specs/NAME.yaml: where upstream tarballs come from, how they are
// verified, and per target family the distro package, its services and a
// health check), targets (the distro releases packages are built for), the
// host's apt sources (where its Debian or Ubuntu mirror is), and
// backport.yaml.
//
// Recipes ship embedded (package specs); files in ./specs or the user config
// dir override them. Every file is decoded strictly, and every problem is a
// *FileError naming the file and line.
package recipe

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Recipe says how to backport one package. The YAML schema is documented
// in specs/README.md.
type Recipe struct {
	Name     string        `yaml:"name"`
	Summary  string        `yaml:"summary"`
	Upstream Upstream      `yaml:"upstream"`
	Deb      *DebPackaging `yaml:"deb"` // Debian and Ubuntu targets; nil: the recipe does not build for them
	RPM      *RPMPackaging `yaml:"rpm"` // EL and Fedora targets; nil: likewise

	file  string     // the file name used in messages
	raw   []byte     // the recipe as written, for `recipe show`
	files fs.FS      // where the keyring path resolves: the recipe's directory
	lines *nodeIndex // where each field sits, for messages after decoding
}

// Upstream is where the upstream tarball comes from and how it is verified.
type Upstream struct {
	URLs   []string `yaml:"urls"` // text/template, tried in order
	Verify Verify   `yaml:"verify"`
}

// Verify lists the ways an upstream tarball can be verified. Fetch tries
// each that applies; at least one must succeed.
type Verify struct {
	SHA256      map[string]string `yaml:"sha256"`       // version → pinned hex digest
	Checksums   string            `yaml:"checksums"`    // URL template of a SHA256SUMS-style file
	Signature   string            `yaml:"signature"`    // URL template of an OpenPGP detached signature
	Keyring     string            `yaml:"keyring"`      // public key file, relative to the recipe; "" uses the distro's debian/upstream/signing-key.asc
	DistroIndex []string          `yaml:"distro_index"` // Debian suites whose signed Sources index lists the tarball as .orig.tar.*
}

// DebPackaging is how the recipe builds for Debian and Ubuntu targets.
type DebPackaging struct {
	Source   string   `yaml:"source"`   // the distro's source package; "" means the recipe name
	Services []string `yaml:"services"` // systemd units to restart after install
	Health   string   `yaml:"health"`   // shell command that exits 0 when the package works
}

// RPMPackaging is how the recipe builds for EL and Fedora targets: from an
// SRPM at a URL, or from the SRPM of a package in the target's repos.
type RPMPackaging struct {
	SRPM        string   `yaml:"srpm"`         // URL template of the source RPM
	RepoPackage string   `yaml:"repo_package"` // package name in the target's yum/dnf repos
	Services    []string `yaml:"services"`
	Health      string   `yaml:"health"`
}

// File is the recipe's file as named in messages: a path, or
// "embedded:NAME.yaml".
func (r *Recipe) File() string { return r.file }

// Raw is the recipe file as written.
func (r *Recipe) Raw() []byte { return r.raw }

// UpstreamURLs renders the upstream URL templates, in the order to try
// them. A template that needs the Debian mirror is left out when none is
// configured (an EL build host has no apt sources), as long as another URL
// remains; otherwise the error says what to configure.
func (r *Recipe) UpstreamURLs(data TemplateData) ([]string, error) {
	data = r.withName(data)
	data.URL = ""
	if err := checkVersion(data.Version); err != nil {
		return nil, fmt.Errorf("recipe %s: %w", r.Name, err)
	}
	var urls []string
	var skipped error
	for i, tmpl := range r.Upstream.URLs {
		u, err := renderURL(fmt.Sprintf("upstream.urls[%d]", i), tmpl, data)
		if errors.Is(err, ErrNoMirror) {
			skipped = err
			continue
		}
		if err != nil {
			return nil, r.fieldError(fmt.Sprintf("upstream.urls[%d]", i), err)
		}
		urls = append(urls, u)
	}
	if len(urls) == 0 && skipped != nil {
		return nil, fmt.Errorf("recipe %s: every upstream URL needs the Debian mirror: %w", r.Name, skipped)
	}
	return urls, nil
}

// ChecksumsURL renders verify.checksums for the tarball at data.URL; "" when
// the recipe has none.
func (r *Recipe) ChecksumsURL(data TemplateData) (string, error) {
	return r.renderOptional("upstream.verify.checksums", r.Upstream.Verify.Checksums, data)
}

// SignatureURL renders verify.signature for the tarball at data.URL; "" when
// the recipe has none.
func (r *Recipe) SignatureURL(data TemplateData) (string, error) {
	return r.renderOptional("upstream.verify.signature", r.Upstream.Verify.Signature, data)
}

// SRPMURL renders rpm.srpm; "" when the recipe takes the SRPM from the
// target's repos instead.
func (r *Recipe) SRPMURL(data TemplateData) (string, error) {
	if r.RPM == nil {
		return "", nil
	}
	data.URL = ""
	return r.renderOptional("rpm.srpm", r.RPM.SRPM, data)
}

func (r *Recipe) renderOptional(field, tmpl string, data TemplateData) (string, error) {
	if tmpl == "" {
		return "", nil
	}
	if err := checkVersion(data.Version); err != nil {
		return "", fmt.Errorf("recipe %s: %w", r.Name, err)
	}
	u, err := renderURL(field, tmpl, r.withName(data))
	if err != nil {
		return "", r.fieldError(field, err)
	}
	return u, nil
}

func (r *Recipe) withName(d TemplateData) TemplateData {
	if d.Name == "" {
		d.Name = r.Name
	}
	return d
}

func (r *Recipe) fieldError(field string, err error) error {
	if errors.Is(err, ErrNoMirror) {
		return fmt.Errorf("%s: %s: %w", r.file, field, err)
	}
	return r.lines.errorf([]string{field}, "%s: %v", field, err)
}

// PinnedSHA256 is the hash verify.sha256 pins for version, if any.
func (r *Recipe) PinnedSHA256(version string) (string, bool) {
	h, ok := r.Upstream.Verify.SHA256[version]
	return strings.ToLower(h), ok
}

// DebianSource is the Debian source package name: deb.source, else the
// recipe name. distro_index looks the tarball up under it.
func (r *Recipe) DebianSource() string {
	if r.Deb != nil && r.Deb.Source != "" {
		return r.Deb.Source
	}
	return r.Name
}

// Services are the systemd units to restart after installing on a target
// of the family.
func (r *Recipe) Services(f Family) []string {
	switch {
	case f == FamilyDeb && r.Deb != nil:
		return r.Deb.Services
	case f == FamilyRPM && r.RPM != nil:
		return r.RPM.Services
	}
	return nil
}

// Health is the health check command for a target of the family; "" when
// the recipe has none.
func (r *Recipe) Health(f Family) string {
	switch {
	case f == FamilyDeb && r.Deb != nil:
		return r.Deb.Health
	case f == FamilyRPM && r.RPM != nil:
		return r.RPM.Health
	}
	return ""
}

// Supports says why the recipe cannot build for t, or nil when it can.
func (r *Recipe) Supports(t Target) error {
	switch {
	case t.Family == FamilyDeb && r.Deb != nil, t.Family == FamilyRPM && r.RPM != nil:
		return nil
	}
	return fmt.Errorf("recipe %s has no %s: section, so it cannot build for %s", r.Name, t.Family, t.Name)
}

// ReadKeyring returns the OpenPGP public key file verify.keyring names,
// read from beside the recipe (embedded recipes carry theirs). It returns
// nil when the recipe names none: the caller then uses the distro source
// package's debian/upstream/signing-key.asc.
func (r *Recipe) ReadKeyring() ([]byte, error) {
	k := r.Upstream.Verify.Keyring
	if k == "" {
		return nil, nil
	}
	if r.files == nil {
		return nil, fmt.Errorf("%s: keyring %s: the recipe was not loaded from a directory", r.file, k)
	}
	data, err := fs.ReadFile(r.files, path.Clean(k))
	if err != nil {
		return nil, r.lines.errorf([]string{"upstream.verify.keyring"}, "keyring %s: %v", k, withoutPath(err))
	}
	return data, nil
}

// withoutPath drops a *fs.PathError's own copy of the path, which the
// caller's message already names.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
