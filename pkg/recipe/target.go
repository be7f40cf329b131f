package recipe

import (
	"fmt"
	"sort"
	"strings"
)

// Family is a package format. The words are the ones package version uses.
type Family string

// The package families.
const (
	FamilyDeb Family = "deb"
	FamilyRPM Family = "rpm"
)

// Vendor is a distribution line with its own version conventions. The
// words are the ones package version uses.
type Vendor string

// The vendors backport knows.
const (
	VendorDebian Vendor = "debian"
	VendorUbuntu Vendor = "ubuntu"
	VendorEL     Vendor = "el" // RHEL and its rebuilds: AlmaLinux, Rocky, CentOS, Oracle
	VendorFedora Vendor = "fedora"
)

// Family is the package family the vendor ships; "" for an unknown vendor.
func (v Vendor) Family() Family {
	switch v {
	case VendorDebian, VendorUbuntu:
		return FamilyDeb
	case VendorEL, VendorFedora:
		return FamilyRPM
	}
	return ""
}

// Default archive keyrings, as the debian-archive-keyring and
// ubuntu-keyring packages install them.
const (
	DebianKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
	UbuntuKeyring = "/usr/share/keyrings/ubuntu-archive-keyring.gpg"
)

// Target is a distro release that packages are built for. In backport.yaml
// a target under targets: is merged field by field over the built-in one of
// the same name, or defines a new one.
type Target struct {
	Name       string   `yaml:"-"`
	Family     Family   `yaml:"family"`
	Vendor     Vendor   `yaml:"vendor"`
	Release    string   `yaml:"release"`    // the distro's version: "12", "24.04", "9"
	Codename   string   `yaml:"codename"`   // deb: the suite, e.g. bookworm
	Suites     []string `yaml:"suites"`     // deb: suites to search, the release's own first
	Components []string `yaml:"components"` // deb: archive components to search
	BaseImage  string   `yaml:"base_image"` // registry reference the builder image starts from
	DistTag    string   `yaml:"dist_tag"`   // rpm: %{?dist}, e.g. ".el9"
	// Repos are rpm baseurl templates. Empty by default: EL repositories
	// need subscriptions or local mirrors that only the user knows.
	Repos          []string `yaml:"repos"`
	Mirror         string   `yaml:"mirror"`          // deb: archive base URL
	SecurityMirror string   `yaml:"security_mirror"` // deb: base URL of the -security suite; "" when unknown
	Keyring        string   `yaml:"keyring"`         // deb: keyring that signs the archive's Release files

	// PackagingSuites (deb) are newer suites whose packaging --packaging
	// auto also considers: an engineer starts from unstable's debian/ when
	// it already packages the upstream version being backported. Oldest
	// release first: among equal versions the first listed wins.
	PackagingSuites []string `yaml:"packaging_suites"`
}

func debianTarget(release, codename string, newer ...string) Target {
	return Target{
		Family: FamilyDeb, Vendor: VendorDebian, Release: release, Codename: codename,
		Suites:          []string{codename, codename + "-updates", codename + "-security"},
		PackagingSuites: newer,
		Components:      []string{"main"},
		BaseImage:       "docker.io/library/debian:" + codename,
		// Keyring is left to fillTarget, so that keyring: in backport.yaml applies.
	}
}

func ubuntuTarget(release, codename string, newer ...string) Target {
	return Target{
		Family: FamilyDeb, Vendor: VendorUbuntu, Release: release, Codename: codename,
		Suites:          []string{codename, codename + "-updates", codename + "-security"},
		PackagingSuites: newer,
		// Much of what a fleet runs (jq among it) lives in universe.
		Components: []string{"main", "universe"},
		BaseImage:  "docker.io/library/ubuntu:" + release,
	}
}

func elTarget(major, image string) Target {
	return Target{
		Family: FamilyRPM, Vendor: VendorEL, Release: major,
		BaseImage: image, DistTag: ".el" + major,
	}
}

func fedoraTarget(release string) Target {
	return Target{
		Family: FamilyRPM, Vendor: VendorFedora, Release: release,
		BaseImage: "docker.io/library/fedora:" + release, DistTag: ".fc" + release,
	}
}

// builtinTargets is the table of targets backport knows without
// configuration: supported releases plus those still common in fleets. It
// returns fresh values each call so that callers may modify them.
func builtinTargets() map[string]Target {
	// Packaging suites: the later stable releases with their -security
	// suite (a newer release's security update of the same upstream is
	// the packaging to start from), then unstable, where new upstreams
	// land first. Ubuntu's -updates carries its security uploads too, and
	// only releases still on the archive are named (interim ones leave it
	// after nine months; a suite missing from the mirror is skipped).
	ts := map[string]Target{
		"debian-11":    debianTarget("11", "bullseye", "bookworm", "bookworm-security", "trixie", "trixie-security", "unstable"),
		"debian-12":    debianTarget("12", "bookworm", "trixie", "trixie-security", "unstable"),
		"debian-13":    debianTarget("13", "trixie", "forky", "unstable"),
		"ubuntu-20.04": ubuntuTarget("20.04", "focal", "jammy", "jammy-updates", "noble", "noble-updates"),
		"ubuntu-22.04": ubuntuTarget("22.04", "jammy", "noble", "noble-updates", "resolute", "resolute-updates"),
		"ubuntu-24.04": ubuntuTarget("24.04", "noble", "resolute", "resolute-updates"),
		// CentOS 7 for el7: the last EL7 image anyone may pull freely. Its
		// repos are archived, so el7 needs repos: in backport.yaml.
		"el7": elTarget("7", "docker.io/library/centos:7"),
		// AlmaLinux for el8 on: a maintained, freely pullable RHEL rebuild.
		"el8":       elTarget("8", "docker.io/library/almalinux:8"),
		"el9":       elTarget("9", "docker.io/library/almalinux:9"),
		"el10":      elTarget("10", "docker.io/library/almalinux:10"),
		"fedora-40": fedoraTarget("40"),
		"fedora-41": fedoraTarget("41"),
		"fedora-42": fedoraTarget("42"),
	}
	for name, t := range ts {
		t.Name = name
		ts[name] = t
	}
	return ts
}

// BuiltinTargetNames lists the built-in targets, sorted.
func BuiltinTargetNames() []string { return sortedNames(builtinTargets()) }

// Targets is the built-in table with cfg applied: its targets: entries
// merged over (or added to) the table, then the mirrors and keyrings left
// open filled from cfg and the host's apt sources (cfg.Host).
func Targets(cfg Config) map[string]Target {
	ts := builtinTargets()
	for name, o := range cfg.Targets {
		t := mergeTarget(ts[name], o)
		t.Name = name
		ts[name] = t
	}
	for name, t := range ts {
		ts[name] = cfg.fillTarget(t)
	}
	return ts
}

// mergeTarget lays the fields o sets over base. A field cannot be set back
// to empty this way; define a new target under another name instead.
func mergeTarget(base, o Target) Target {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setList := func(dst *[]string, v []string) {
		if v != nil {
			*dst = append([]string(nil), v...)
		}
	}
	if o.Family != "" {
		base.Family = o.Family
	}
	if o.Vendor != "" {
		base.Vendor = o.Vendor
	}
	set(&base.Release, o.Release)
	set(&base.Codename, o.Codename)
	setList(&base.Suites, o.Suites)
	setList(&base.PackagingSuites, o.PackagingSuites)
	setList(&base.Components, o.Components)
	set(&base.BaseImage, o.BaseImage)
	set(&base.DistTag, o.DistTag)
	setList(&base.Repos, o.Repos)
	set(&base.Mirror, o.Mirror)
	set(&base.SecurityMirror, o.SecurityMirror)
	set(&base.Keyring, o.Keyring)
	return base
}

// fillTarget fills what a target leaves open: the family from the vendor,
// suites from the codename, and for deb targets the keyring and mirrors.
func (c Config) fillTarget(t Target) Target {
	if t.Family == "" {
		t.Family = t.Vendor.Family()
	}
	if t.Family != FamilyDeb {
		return t
	}
	if len(t.Suites) == 0 && t.Codename != "" {
		t.Suites = []string{t.Codename, t.Codename + "-updates", t.Codename + "-security"}
	}
	host := c.Host.For(t.Vendor)
	switch t.Vendor {
	case VendorDebian:
		if len(t.Components) == 0 {
			t.Components = []string{"main"}
		}
		t.Keyring = firstSet(t.Keyring, c.Keyring, DebianKeyring)
		t.Mirror = strings.TrimRight(firstSet(t.Mirror, c.Mirror, host.Archive), "/")
		t.SecurityMirror = strings.TrimRight(firstSet(t.SecurityMirror, c.SecurityMirror, host.Security), "/")
	case VendorUbuntu:
		if len(t.Components) == 0 {
			t.Components = []string{"main", "universe"}
		}
		t.Keyring = firstSet(t.Keyring, UbuntuKeyring)
		t.Mirror = strings.TrimRight(firstSet(t.Mirror, host.Archive), "/")
		// Ubuntu's archive mirrors carry -security too, only a little later
		// than the security host does.
		t.SecurityMirror = strings.TrimRight(firstSet(t.SecurityMirror, host.Security, t.Mirror), "/")
	}
	return t
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// LookupTarget finds a target by name, or by a Debian or Ubuntu codename
// ("bookworm" for debian-12).
func LookupTarget(cfg Config, name string) (Target, error) {
	ts := Targets(cfg)
	if t, ok := ts[name]; ok {
		return t, nil
	}
	var byCodename []Target
	for _, t := range ts {
		if t.Codename != "" && t.Codename == name {
			byCodename = append(byCodename, t)
		}
	}
	if len(byCodename) == 1 {
		return byCodename[0], nil
	}
	return Target{}, fmt.Errorf("unknown target %q (known: %s)", name, strings.Join(sortedNames(ts), ", "))
}

func sortedNames(ts map[string]Target) []string {
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Check says what a target lacks to be built for; nil when complete.
func (t Target) Check() error {
	var missing []string
	switch {
	case t.Family != FamilyDeb && t.Family != FamilyRPM:
		return fmt.Errorf("family %q: expected deb or rpm", t.Family)
	case t.Vendor.Family() == "":
		return fmt.Errorf("vendor %q: expected debian, ubuntu, el or fedora", t.Vendor)
	case t.Vendor.Family() != t.Family:
		return fmt.Errorf("vendor %s builds %s packages, not %s", t.Vendor, t.Vendor.Family(), t.Family)
	}
	if t.BaseImage == "" {
		missing = append(missing, "base_image")
	}
	if t.Family == FamilyDeb && len(t.Suites) == 0 {
		missing = append(missing, "suites (or codename)")
	}
	if t.Family == FamilyDeb && len(t.Components) == 0 {
		missing = append(missing, "components")
	}
	if t.Family == FamilyRPM && !strings.HasPrefix(t.DistTag, ".") {
		missing = append(missing, "dist_tag (like .el9)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("expected %s", strings.Join(missing, ", "))
	}
	return nil
}
