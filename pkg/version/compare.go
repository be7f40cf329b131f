package version

import (
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"
	debversion "pault.ag/go/debian/version"
)

// Compare orders two full versions of family f: RPM "[E:]V[-R]" or Debian
// "[E:]U[-R]". It returns -1, 0 or 1 as a sorts below, equal to or above b,
// and an error when either is not a valid, concrete version (see Check).
func Compare(f Family, a, b string) (int, error) {
	switch f {
	case RPM:
		return compareRPM(a, b)
	case Deb:
		return compareDeb(a, b)
	}
	return 0, unknownFamily(f)
}

// compareRPM follows rpm's rpmverCmp: epoch (missing = 0), then version,
// then release. When only one side has a release, rpm.vercmp in rpm 4.18
// sorts that side higher (measured: "1-1" > "1", "1-~" > "1").
func compareRPM(a, b string) (int, error) {
	ea, err := checkRPM(a, false)
	if err != nil {
		return 0, err
	}
	eb, err := checkRPM(b, false)
	if err != nil {
		return 0, err
	}
	return compareEVR(ea, eb), nil
}

func compareEVR(a, b rpmEVR) int {
	if c := compareEpochs(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := rpmVercmp(a.version, b.version); c != 0 {
		return c
	}
	switch {
	case a.hasRelease && b.hasRelease:
		return rpmVercmp(a.release, b.release)
	case a.hasRelease:
		return 1
	case b.hasRelease:
		return -1
	}
	return 0
}

// compareEpochs orders two digit strings numerically, "" counting as 0,
// without parsing them into a fixed-size integer.
func compareEpochs(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

// rpmVercmp is rpm's rpmvercmp for one version or release segment.
//
// go-rpmutils v0.4.0 predates rpm's caret ('^', rpm >= 4.15) and skips it
// as a separator, so it finds "1.0^" equal to "1.0" and "1.0^git1" above
// "1.0.1"; real rpm sorts "1.0" < "1.0^" < "1.0^git1" < "1.0.1". rpm
// treats '^' like '~' except that the side which ends there is the lower
// one. That is the same as cutting both strings at their carets and
// comparing the pieces in turn with the library, a string that runs out of
// pieces first sorting lower; TestRPMVercmpMatchesRPM checks this against
// rpm on random strings.
func rpmVercmp(a, b string) int {
	if a == b {
		return 0
	}
	pa, pb := strings.Split(a, "^"), strings.Split(b, "^")
	for i := 0; ; i++ {
		if c := rpmutils.Vercmp(pa[i], pb[i]); c != 0 {
			return c
		}
		lastA, lastB := i == len(pa)-1, i == len(pb)-1
		switch {
		case lastA && lastB:
			return 0
		case lastA:
			return -1
		case lastB:
			return 1
		}
	}
}

// compareDeb checks both versions with dpkg's rules, then orders them with
// pault.ag/go/debian/version, which implements dpkg's verrevcmp.
func compareDeb(a, b string) (int, error) {
	if _, err := checkDeb(a); err != nil {
		return 0, err
	}
	if _, err := checkDeb(b); err != nil {
		return 0, err
	}
	va, err := debversion.Parse(a)
	if err != nil {
		return 0, invalid(a, "%v", err)
	}
	vb, err := debversion.Parse(b)
	if err != nil {
		return 0, invalid(b, "%v", err)
	}
	// The library returns the raw difference of the first differing
	// characters, not -1/0/1.
	return sign(debversion.Compare(va, vb)), nil
}

// compareDebUpstream orders two Debian upstream versions.
func compareDebUpstream(a, b string) int {
	return sign(debversion.Compare(debversion.Version{Version: a}, debversion.Version{Version: b}))
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
