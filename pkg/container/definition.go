package container

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Definition says what a builder image holds. Its Hash labels the image, so
// that the image is rebuilt exactly when the definition changes.
type Definition struct {
	Base Base
	// AptSources, when set, replaces the image's apt sources
	// (/etc/apt/sources.list, and sources.list.d emptied) before the
	// toolchain is installed: the mirror's suite, -updates and -security
	// lines in one-line format. Empty: what the base has (debootstrap writes
	// the main suite of its mirror).
	AptSources string
	// Toolchain is installed with apt-get install --no-install-recommends;
	// DebToolchain and RPMOnDebianToolchain are the usual sets.
	Toolchain []string
	// Setup are shell commands run after the install, in order, under set -e.
	Setup []string
}

// Base is what a builder image starts from: exactly one of Bootstrap and
// Image.
type Base struct {
	Bootstrap *Bootstrap // created from a mirror with debootstrap (air-gapped hosts, no registry)
	Image     string     // pulled from a registry (FROM)
}

// Bootstrap is a debootstrap run.
type Bootstrap struct {
	Suite      string   // bookworm, noble, …
	Mirror     string   // from the target's configuration or the host's apt sources
	Variant    string   // debootstrap --variant; empty: minbase
	Include    []string // extra packages debootstrap installs
	Components []string // empty: main
	Keyring    string   // --keyring; empty: debootstrap's default for the suite
}

// DebToolchain returns the packages a Debian-family builder needs.
func DebToolchain() []string {
	return []string{"build-essential", "ccache", "devscripts", "dpkg-dev", "equivs", "fakeroot", "quilt"}
}

// RPMOnDebianToolchain returns the packages of an rpm builder on a Debian
// base (Debian's rpm ships rpmbuild): how RPM builds are tested on hosts
// with no RPM-family mirror.
func RPMOnDebianToolchain() []string {
	return []string{"build-essential", "ccache", "cpio", "rpm"}
}

var (
	debPackage = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$`)
	noSpace    = regexp.MustCompile(`^\S+$`)
)

// Validate reports the first problem that would make the image build fail
// or its shell script ambiguous.
func (d Definition) Validate() error {
	b := d.Base.Bootstrap
	switch {
	case b == nil && d.Base.Image == "":
		return errors.New("image definition: no base: expected a bootstrap suite or a base image")
	case b != nil && d.Base.Image != "":
		return errors.New("image definition: both a bootstrap suite and a base image: expected one")
	case b != nil && (!noSpace.MatchString(b.Suite) || !noSpace.MatchString(b.Mirror)):
		return errors.New("image definition: bootstrap needs a suite and a mirror URL (from the target's configuration or the host's apt sources)")
	case d.Base.Image != "" && !noSpace.MatchString(d.Base.Image):
		return fmt.Errorf("image definition: base image %q: expected a reference like debian:bookworm", d.Base.Image)
	}
	pkgs := slices.Clone(d.Toolchain)
	if b != nil {
		pkgs = append(pkgs, b.Include...)
		pkgs = append(pkgs, b.Components...)
	}
	for _, p := range pkgs {
		if !debPackage.MatchString(p) {
			return fmt.Errorf("image definition: %q is not a package name", p)
		}
	}
	return nil
}

// Hash identifies the image the definition makes: the definition and the
// script that installs the toolchain, so that a change to either rebuilds.
// Package order does not matter to apt, so it does not change the hash.
func (d Definition) Hash() string {
	norm := struct {
		Bootstrap *Bootstrap `json:",omitempty"`
		Image     string     `json:",omitempty"`
		Script    string
	}{Image: d.Base.Image, Script: d.toolchainScript()}
	if b := d.Base.Bootstrap; b != nil {
		c := *b
		c.Variant = c.variant()
		c.Include = sortedSet(c.Include)
		c.Components = sortedSet(c.Components)
		norm.Bootstrap = &c
	}
	data, _ := json.Marshal(norm) // plain strings and slices cannot fail
	sum := sha256.Sum256(append([]byte("backport-image-v1\n"), data...))
	return hex.EncodeToString(sum[:])
}

// describe names the base in a label and in messages.
func (b Base) describe() string {
	if b.Bootstrap != nil {
		return fmt.Sprintf("debootstrap %s %s", b.Bootstrap.Suite, b.Bootstrap.variant())
	}
	return b.Image
}

func (b *Bootstrap) variant() string {
	if b.Variant == "" {
		return "minbase"
	}
	return b.Variant
}

// needsToolchainStep reports whether anything must be installed on top of
// the base; a bare bootstrap is imported as the image itself.
func (d Definition) needsToolchainStep() bool {
	return d.AptSources != "" || len(d.Toolchain) > 0 || len(d.Setup) > 0
}

// toolchainScript is what runs in the base image, with the network on, to
// make the builder. The apt lists are removed at the end: a layer that
// installs build dependencies runs apt-get update first, against the mirror
// as it is then.
func (d Definition) toolchainScript() string {
	if !d.needsToolchainStep() {
		return ""
	}
	var s strings.Builder
	s.WriteString("set -e\n")
	// Builds are throwaway: dpkg's fsyncs buy nothing, services must not
	// start, and recommends and translations only cost time and space.
	s.WriteString("echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/backport-unsafe-io\n")
	s.WriteString("printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d\n")
	s.WriteString("printf 'APT::Install-Recommends \"false\";\\nAcquire::Languages \"none\";\\n' > /etc/apt/apt.conf.d/90backport\n")
	if d.AptSources != "" {
		// From the environment, so that no quoting can go wrong.
		s.WriteString("rm -f /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources\n")
		s.WriteString("printf '%s\\n' \"$BACKPORT_APT_SOURCES\" > /etc/apt/sources.list\n")
	}
	if len(d.Toolchain) > 0 {
		s.WriteString("apt-get update\n")
		s.WriteString("apt-get install -y --no-install-recommends")
		for _, p := range sortedSet(d.Toolchain) {
			s.WriteString(" " + p)
		}
		s.WriteString("\n")
	}
	for _, cmd := range d.Setup {
		s.WriteString(cmd + "\n")
	}
	s.WriteString("apt-get clean\nrm -rf /var/lib/apt/lists/*\n")
	return s.String()
}

func sortedSet(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}
