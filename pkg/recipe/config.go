package recipe

import (
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ConfigFile is the name of backport's configuration file.
const ConfigFile = "backport.yaml"

// Config is backport.yaml. Every field is optional; the schema is
// documented in specs/README.md.
type Config struct {
	Mirror         string            `yaml:"mirror"`          // Debian archive base URL; default: the host's apt sources
	SecurityMirror string            `yaml:"security_mirror"` // Debian security archive base URL; likewise
	Keyring        string            `yaml:"keyring"`         // keyring for Debian targets' Release files
	DefaultTarget  string            `yaml:"default_target"`  // default: the host's own release
	Maintainer     string            `yaml:"maintainer"`      // "Name <email>" for changelog entries
	Runtime        string            `yaml:"runtime"`         // podman, docker, host, or auto
	CacheDir       string            `yaml:"cache_dir"`       // default: the user cache dir
	ImagePrefix    string            `yaml:"image_prefix"`    // builder image repository prefix; default: DefaultImagePrefix
	Base           string            `yaml:"base"`            // builder bases: auto, registry or bootstrap
	Targets        map[string]Target `yaml:"targets"`         // merged over the built-in table by name

	// Host is the host's apt mirrors, which fill what the file leaves
	// open. LoadConfig leaves it empty; DefaultConfig reads it.
	Host Mirrors `yaml:"-"`
}

// Runtimes are the values runtime: accepts.
var Runtimes = []string{"auto", "podman", "docker", "host"}

// Bases are the values base: accepts.
var Bases = []string{"auto", "registry", "bootstrap"}

// DefaultImagePrefix is where builder images are tagged:
// <prefix>/builder:<target>, and the dependency layers beside them.
const DefaultImagePrefix = "localhost/backport"

// imagePrefix is a lower-case image repository path.
var imagePrefix = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)

// Images returns the image prefix builders are tagged under.
func (c Config) Images() string {
	if c.ImagePrefix == "" {
		return DefaultImagePrefix
	}
	return c.ImagePrefix
}

// LoadConfig reads backport.yaml from the first of dirs that has one, by
// default the current directory and then <user config dir>/backport. It
// returns the path read, or "" and the zero Config when there is none.
// Relative paths in the file (keyring, cache_dir) are made relative to it.
func LoadConfig(dirs ...string) (Config, string, error) {
	if len(dirs) == 0 {
		dirs = []string{"."}
		if d, err := os.UserConfigDir(); err == nil {
			dirs = append(dirs, filepath.Join(d, "backport"))
		}
	}
	for _, dir := range dirs {
		p := filepath.Join(dir, ConfigFile)
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Config{}, p, err
		}
		cfg, err := ParseConfig(p, data)
		return cfg, p, err
	}
	return Config{}, "", nil
}

// DefaultConfig is LoadConfig with the default directories, plus the
// host's apt mirrors in Host. A host without Debian or Ubuntu sources is
// not an error here; asking it for a mirror later is.
func DefaultConfig() (Config, string, error) {
	cfg, p, err := LoadConfig()
	if err != nil {
		return cfg, p, err
	}
	host, err := HostMirrors("/")
	if err != nil && !errors.Is(err, ErrNoMirror) {
		return cfg, p, fmt.Errorf("reading the host's apt sources: %w", err)
	}
	cfg.Host = host
	return cfg, p, nil
}

var reTargetName = regexp.MustCompile(`^[a-z0-9][a-z0-9.+_-]*$`)

// ParseConfig decodes and validates backport.yaml content; file names it in
// messages and anchors its relative paths.
func ParseConfig(file string, data []byte) (Config, error) {
	var cfg Config
	ix, err := decodeStrict(file, data, &cfg)
	if errors.Is(err, errEmpty) {
		return Config{}, nil
	}
	if err != nil {
		return Config{}, err
	}
	var errs []error
	fail := func(paths []string, format string, args ...any) {
		errs = append(errs, ix.errorf(paths, format, args...))
	}
	for _, f := range []struct {
		field string
		value *string
	}{{"mirror", &cfg.Mirror}, {"security_mirror", &cfg.SecurityMirror}} {
		if err := checkMirrorURL(*f.value); err != nil {
			fail([]string{f.field}, "%s: %v", f.field, err)
		}
		*f.value = strings.TrimRight(*f.value, "/")
	}
	base := filepath.Dir(file)
	for _, p := range []*string{&cfg.Keyring, &cfg.CacheDir} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	if m := cfg.Maintainer; m != "" {
		if a, err := mail.ParseAddress(m); err != nil || a.Name == "" {
			fail([]string{"maintainer"}, "maintainer %q: expected \"Full Name <email@example.org>\"", m)
		}
	}
	if r := cfg.Runtime; r != "" && !slices.Contains(Runtimes, r) {
		fail([]string{"runtime"}, "runtime %q: expected one of %s", r, strings.Join(Runtimes, ", "))
	}
	if b := cfg.Base; b != "" && !slices.Contains(Bases, b) {
		fail([]string{"base"}, "base %q: expected one of %s", b, strings.Join(Bases, ", "))
	}
	if p := cfg.ImagePrefix; p != "" && !imagePrefix.MatchString(p) {
		fail([]string{"image_prefix"}, "image_prefix %q: expected an image repository such as localhost/backport", p)
	}
	errs = append(errs, checkConfigTargets(ix, cfg)...)
	if cfg.DefaultTarget != "" {
		if _, err := LookupTarget(cfg, cfg.DefaultTarget); err != nil {
			fail([]string{"default_target"}, "default_target: %v", err)
		}
	}
	if err := joinErrors(file, errs); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// checkConfigTargets checks each target the file touches as it ends up
// after merging, so that an override cannot leave a built-in target
// unusable and a new target must be complete.
func checkConfigTargets(ix *nodeIndex, cfg Config) []error {
	var errs []error
	merged := Targets(cfg)
	for _, name := range sortedNames(cfg.Targets) {
		o, at := cfg.Targets[name], "targets."+name
		fail := func(field, format string, args ...any) {
			errs = append(errs, ix.errorf([]string{at + "." + field, at}, format, args...))
		}
		if !reTargetName.MatchString(name) {
			fail("", "target name %q: expected lower-case letters, digits and . + _ -", name)
			continue
		}
		if o.Family != "" && o.Family != FamilyDeb && o.Family != FamilyRPM {
			fail("family", "%s.family: unknown target family %q (expected deb or rpm)", at, o.Family)
			continue
		}
		if o.Vendor != "" && o.Vendor.Family() == "" {
			fail("vendor", "%s.vendor: unknown vendor %q (expected debian, ubuntu, el or fedora)", at, o.Vendor)
			continue
		}
		for _, f := range []struct{ field, value string }{{"mirror", o.Mirror}, {"security_mirror", o.SecurityMirror}} {
			if err := checkMirrorURL(f.value); err != nil {
				fail(f.field, "%s.%s: %v", at, f.field, err)
			}
		}
		if len(o.PackagingSuites) > 0 && merged[name].Family != FamilyDeb {
			fail("packaging_suites", "%s.packaging_suites: only deb targets have suites", at)
		}
		for _, s := range o.PackagingSuites {
			if s == "" || strings.ContainsAny(s, " \t\\") || strings.HasPrefix(s, "/") || strings.Contains(s, "..") {
				fail("packaging_suites", "%s.packaging_suites: %q is not a suite name like unstable or trixie", at, s)
			}
		}
		if err := merged[name].Check(); err != nil {
			fail("", "%s: %v", at, err)
		}
	}
	return errs
}

func checkMirrorURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || (u.Scheme != "file" && u.Host == "") {
		return fmt.Errorf("%q: expected a base URL like https://mirror.example/debian", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file" {
		return fmt.Errorf("%q: expected an http, https or file URL", s)
	}
	return nil
}

// DebianMirror is the Debian archive base URL, no trailing slash: mirror:
// from backport.yaml, else the host's apt sources. It is what recipes see
// as .DebianMirror.
func (c Config) DebianMirror() (string, error) {
	if m := firstSet(c.Mirror, c.Host.For(VendorDebian).Archive); m != "" {
		return strings.TrimRight(m, "/"), nil
	}
	return "", ErrNoMirror
}

// ChooseTarget resolves the target to build for: name when given (a
// --target flag), else default_target, else the host's own release.
func (c Config) ChooseTarget(name string) (Target, error) {
	if name == "" {
		name = c.DefaultTarget
	}
	if name == "" {
		host, err := DefaultTarget()
		if err != nil {
			return Target{}, err
		}
		name = host
	}
	return LookupTarget(c, name)
}
