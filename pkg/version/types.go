package version

import (
	"fmt"
	"strings"
)

// Family is a package format with its own version syntax and ordering.
type Family string

// The package families backport builds for.
const (
	RPM Family = "rpm"
	Deb Family = "deb"
)

// Vendor is a distribution whose update conventions decide which successors
// a hotfix must lose to.
type Vendor string

// The vendors backport knows the update conventions of.
const (
	Debian Vendor = "debian"
	Ubuntu Vendor = "ubuntu"
	EL     Vendor = "el"
	Fedora Vendor = "fedora"
)

// Request describes the distro package a hotfix replaces.
type Request struct {
	Family Family
	// Vendor is inferred when empty: for Debian, "ubuntu" in the revision
	// means Ubuntu; for RPM, the Dist tag ".elN" or ".fcN", else EL.
	Vendor Vendor
	// Current is the distro's current version. RPM "[E:]V-R", where R may
	// hold the dist tag literally ("2.2.19-10.el6") or as a macro
	// ("2.2.19-10%{?dist}"); Debian "[E:]U[-R]" ("2.4.62-1~deb12u2").
	Current string
	// Upstream is the upstream version the hotfix ships; equal to Current's
	// upstream version for a patch on the same version.
	Upstream string
	// Dist is, for RPM only, the dist tag as it appears in Current's
	// release: ".el6", "%{?dist}", "%{dist}", or "" for none.
	Dist string
}

// Hotfix is a chosen hotfix version and the proof that it is right.
type Hotfix struct {
	Epoch   string // kept from Current; "" when none
	Version string // RPM Version; Debian upstream version (the whole version when native)
	Release string // RPM Release, holding Dist exactly as given; Debian revision ("" when native)
	Full    string // [E:]Version-Release, or [E:]Version for a native Debian version
	// Concrete is Full with a macro dist replaced by the representative tag
	// the proof used (".el9", ".fc40"); equal to Full otherwise.
	Concrete string
	Above    string   // the concrete current version Concrete was proved to upgrade over
	Below    []string // the concrete plausible distro successors Concrete was proved to sort below
}

// ProofError reports a hotfix candidate that failed its ordering proof.
type ProofError struct {
	Hotfix    string // the concrete candidate
	Other     string // the version it was compared with
	Successor bool   // Other is a successor the hotfix must sort below; otherwise the current version
}

func (e *ProofError) Error() string {
	if e.Successor {
		return fmt.Sprintf("hotfix %s does not sort below the plausible distro successor %s", e.Hotfix, e.Other)
	}
	return fmt.Sprintf("hotfix %s does not sort above the current version %s", e.Hotfix, e.Other)
}

// InvalidError reports a version string that rpm or dpkg would refuse.
type InvalidError struct {
	Version string
	Reason  string // e.g. "rpm does not allow whitespace"
}

func (e *InvalidError) Error() string {
	v := e.Version
	if len(v) > 64 {
		v = v[:48] + "..."
	}
	return fmt.Sprintf("version %q: %s", v, e.Reason)
}

func invalid(v, format string, args ...any) error {
	return &InvalidError{Version: v, Reason: fmt.Sprintf(format, args...)}
}

func unknownFamily(f Family) error {
	return fmt.Errorf("unknown package family %q (want %q or %q)", string(f), RPM, Deb)
}

// withEpoch prefixes v with "epoch:" when there is an epoch.
func withEpoch(epoch, v string) string {
	if epoch == "" {
		return v
	}
	return epoch + ":" + v
}

// joinRelease gives "v-r", or just v when there is no release.
func joinRelease(v, r string) string {
	if r == "" {
		return v
	}
	return v + "-" + r
}

// quoteChar names a byte for an error message, escaping what would not
// print on one line.
func quoteChar(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return "'" + string(c) + "'"
}

// firstSpace returns the index of the first whitespace byte in s, or -1.
func firstSpace(s string) int {
	return strings.IndexAny(s, " \t\n\r\v\f")
}
