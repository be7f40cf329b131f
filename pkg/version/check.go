package version

import (
	"regexp"
	"strconv"
	"strings"
)

// Check reports why rpm or dpkg would refuse v as a full version string of
// family f: RPM "[E:]V[-R]", Debian "[E:]U[-R]". RPM versions may hold
// macro references such as %{?dist}, as a spec's Release field does.
func Check(f Family, v string) error {
	switch f {
	case RPM:
		_, err := checkRPM(v, true)
		return err
	case Deb:
		_, err := checkDeb(v)
		return err
	}
	return unknownFamily(f)
}

// CheckUpstream reports why rpm or dpkg would refuse v as the upstream part
// of a version: the RPM Version field, or a Debian upstream version that
// will be followed by a revision.
func CheckUpstream(f Family, v string) error {
	switch f {
	case RPM:
		if v == "" {
			return invalid(v, "rpm needs a non-empty version")
		}
		if err := checkLength(v); err != nil {
			return err
		}
		if firstSpace(v) >= 0 {
			return invalid(v, "rpm does not allow whitespace")
		}
		return checkRPMField(v, "version", v, true)
	case Deb:
		if v == "" {
			return invalid(v, "dpkg needs a non-empty upstream version")
		}
		if err := checkLength(v); err != nil {
			return err
		}
		if firstSpace(v) >= 0 {
			return invalid(v, "dpkg does not allow whitespace")
		}
		// dpkg would read a colon as the end of an epoch once the hotfix
		// version is written without one, so an upstream part may not hold it.
		if strings.IndexByte(v, ':') >= 0 {
			return invalid(v, "dpkg does not allow ':' in an upstream version (it would be read as an epoch)")
		}
		return checkDebUpstream(v, v)
	}
	return unknownFamily(f)
}

// rpmEVR is an RPM version split the way rpm splits it.
type rpmEVR struct {
	epoch      string // digits, or "" when absent (rpm then uses 0)
	version    string
	release    string
	hasRelease bool
}

func (e rpmEVR) String() string {
	s := withEpoch(e.epoch, e.version)
	if e.hasRelease {
		s += "-" + e.release
	}
	return s
}

// maxVersionLen bounds every version: the package file name holds it
// ("name-version-release.arch.rpm", "name_version_arch.deb") and must fit
// in a file name (NAME_MAX, 255 bytes). The bound also keeps Compare fast:
// go-rpmutils' regexp-based Vercmp takes time quadratic in the length.
const maxVersionLen = 255

// checkLength refuses a version no package file name could hold.
func checkLength(v string) error {
	if len(v) > maxVersionLen {
		return invalid(v, "longer than %d bytes, too long for a package file name", maxVersionLen)
	}
	return nil
}

// maxRPMEpoch is the largest epoch rpm can store: the header keeps it as a
// 32-bit unsigned integer.
const maxRPMEpoch = 1<<32 - 1

// maxDebEpoch is dpkg's limit: it parses the epoch into a C int.
const maxDebEpoch = 1<<31 - 1

// checkRPM validates v and splits it. When macros is false an unexpanded
// macro is an error, because ordering needs the expanded text.
func checkRPM(v string, macros bool) (rpmEVR, error) {
	var evr rpmEVR
	if v == "" {
		return evr, invalid(v, "rpm needs a non-empty version")
	}
	if err := checkLength(v); err != nil {
		return evr, err
	}
	if firstSpace(v) >= 0 {
		return evr, invalid(v, "rpm does not allow whitespace")
	}
	rest := v
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		epoch, err := checkEpoch(v, rest[:i], "rpm", maxRPMEpoch)
		if err != nil {
			return evr, err
		}
		evr.epoch, rest = epoch, rest[i+1:]
	}
	parts := strings.Split(rest, "-")
	if len(parts) > 2 {
		return evr, invalid(v, "rpm does not allow '-' inside version or release")
	}
	evr.version = parts[0]
	if err := checkRPMField(v, "version", evr.version, macros); err != nil {
		return evr, err
	}
	if len(parts) == 2 {
		evr.release, evr.hasRelease = parts[1], true
		if err := checkRPMField(v, "release", evr.release, macros); err != nil {
			return evr, err
		}
	}
	return evr, nil
}

// rpmMacro matches the macro references a spec's Version or Release field
// may hold before expansion: %{name}, %{?name}, %{!?name}.
var rpmMacro = regexp.MustCompile(`%\{!?\??[A-Za-z_][A-Za-z0-9_]*\}`)

// checkRPMField applies rpmbuild's rules for a Version or Release value
// (build/parsePreamble.c: alphanumerics and "._+~^", no "..").
func checkRPMField(whole, name, field string, macros bool) error {
	if macros {
		// Stand a letter in for each macro: rpmbuild checks the expanded
		// text, which for a dist tag is letters and digits.
		field = rpmMacro.ReplaceAllLiteralString(field, "x")
	} else if m := rpmMacro.FindString(field); m != "" {
		return invalid(whole, "holds the unexpanded macro %s; expand it to compare", m)
	}
	if field == "" {
		return invalid(whole, "rpm needs a non-empty %s", name)
	}
	for i := 0; i < len(field); i++ {
		c := field[i]
		switch {
		case isAlnum(c) || strings.IndexByte("._+~^", c) >= 0:
		case c == '-':
			return invalid(whole, "rpm does not allow '-' inside version or release")
		case c == '%':
			return invalid(whole, "rpm cannot expand this '%%' in the %s; only %%{name} and %%{?name} macros are understood", name)
		default:
			return invalid(whole, "rpm does not allow %s in the %s", quoteChar(c), name)
		}
	}
	if strings.Contains(field, "..") {
		return invalid(whole, `rpm does not allow ".." in the %s`, name)
	}
	return nil
}

// debVersion is a Debian version split the way dpkg splits it.
type debVersion struct {
	epoch    string // digits, or "" when absent (dpkg then uses 0)
	upstream string
	revision string // "" for a native version
}

func (d debVersion) native() bool { return d.revision == "" }

func (d debVersion) String() string {
	return withEpoch(d.epoch, joinRelease(d.upstream, d.revision))
}

// checkDeb validates v with dpkg's rules (lib/dpkg/parsehelp.c parseversion,
// counting its warnings as errors, as dpkg-source and the archive do) and
// splits it.
func checkDeb(v string) (debVersion, error) {
	var d debVersion
	if v == "" {
		return d, invalid(v, "dpkg needs a non-empty version")
	}
	if err := checkLength(v); err != nil {
		return d, err
	}
	// dpkg trims surrounding whitespace in control files; a version we
	// compute or compare never carries any, so all of it is refused.
	if firstSpace(v) >= 0 {
		return d, invalid(v, "dpkg does not allow whitespace")
	}
	rest := v
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		epoch, err := checkEpoch(v, rest[:i], "dpkg", maxDebEpoch)
		if err != nil {
			return d, err
		}
		d.epoch, rest = epoch, rest[i+1:]
		if rest == "" {
			return d, invalid(v, "dpkg needs a version after the epoch")
		}
	}
	d.upstream = rest
	if j := strings.LastIndexByte(rest, '-'); j >= 0 {
		d.upstream, d.revision = rest[:j], rest[j+1:]
		if d.revision == "" {
			return d, invalid(v, "dpkg does not allow an empty revision after '-'")
		}
	}
	if err := checkDebUpstream(v, d.upstream); err != nil {
		return d, err
	}
	for i := 0; i < len(d.revision); i++ {
		if c := d.revision[i]; !isAlnum(c) && strings.IndexByte(".+~", c) < 0 {
			return d, invalid(v, "dpkg does not allow %s in the revision", quoteChar(c))
		}
	}
	return d, nil
}

// checkDebUpstream applies dpkg's rules for the upstream part; a colon
// passes because, after an epoch, dpkg accepts one there.
func checkDebUpstream(whole, upstream string) error {
	if upstream == "" {
		return invalid(whole, "dpkg needs a non-empty upstream version")
	}
	if !isDigit(upstream[0]) {
		return invalid(whole, "dpkg requires the upstream version to start with a digit")
	}
	for i := 0; i < len(upstream); i++ {
		if c := upstream[i]; !isAlnum(c) && strings.IndexByte(".+-~:", c) < 0 {
			return invalid(whole, "dpkg does not allow %s in the upstream version", quoteChar(c))
		}
	}
	return nil
}

// checkEpoch requires an unsigned decimal epoch no larger than limit. dpkg
// would also take a sign ("+1:"), which no distro uses; refusing it keeps
// both families' epochs plain numbers.
func checkEpoch(whole, epoch, tool string, limit uint64) (string, error) {
	if epoch == "" {
		return "", invalid(whole, "%s needs a number before ':' (the epoch)", tool)
	}
	if !allDigits(epoch) {
		return "", invalid(whole, "%s requires the epoch to be an unsigned number", tool)
	}
	if n, err := strconv.ParseUint(epoch, 10, 64); err != nil || n > limit {
		return "", invalid(whole, "%s does not allow an epoch above %d", tool, limit)
	}
	return epoch, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
