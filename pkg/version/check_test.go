package version

import (
	"errors"
	"strings"
	"testing"
)

// checkCases: wantErr is a substring of the expected error, "" for valid.
var checkCases = []struct {
	f       Family
	v       string
	wantErr string
}{
	{RPM, "1.0-1", ""},
	{RPM, "1:1.0-1.el7", ""},
	{RPM, "1.0^git1-1", ""},
	{RPM, "1.0~rc1-0.1", ""},
	{RPM, "1_0+2", ""},
	{RPM, "1.0-1%{?dist}", ""},
	{RPM, "1.0-0.bp1%{dist}", ""},
	{RPM, "2.2 20", `version "2.2 20": rpm does not allow whitespace`},
	{RPM, "1.0-1-1", "rpm does not allow '-' inside version or release"},
	{RPM, "1.0..1-1", `rpm does not allow ".." in the version`},
	{RPM, "1.0-1..2", `rpm does not allow ".." in the release`},
	{RPM, "1.0-", "rpm needs a non-empty release"},
	{RPM, "-1", "rpm needs a non-empty version"},
	{RPM, "", "rpm needs a non-empty version"},
	{RPM, "x:1.0", "rpm requires the epoch to be an unsigned number"},
	{RPM, ":1.0", "rpm needs a number before ':'"},
	{RPM, "4294967296:1", "rpm does not allow an epoch above 4294967295"},
	{RPM, "1.0@1", "rpm does not allow '@' in the version"},
	{RPM, "1:2:3", "rpm does not allow ':' in the version"},
	{RPM, "1.0-1%{dist", "rpm cannot expand this '%'"},
	{RPM, "1.0\x00", "rpm does not allow byte 0x00 in the version"},

	{Deb, "1.0", ""},
	{Deb, "1:1.0-1", ""},
	{Deb, "2.4.62-1~deb12u2", ""},
	{Deb, "1.0+dfsg-1", ""},
	{Deb, "1.0-1-1", ""}, // the last '-' starts the revision
	{Deb, "1:2:3", ""},   // after an epoch, dpkg takes a colon in the upstream part
	{Deb, "0:1.0~rc1-0ubuntu1", ""},
	{Deb, "", "dpkg needs a non-empty version"},
	{Deb, "a1.0", "dpkg requires the upstream version to start with a digit"},
	{Deb, "1.0_1", "dpkg does not allow '_' in the upstream version"},
	{Deb, "1.0-1_1", "dpkg does not allow '_' in the revision"},
	{Deb, "1.0-", "dpkg does not allow an empty revision"},
	{Deb, ":1.0", "dpkg needs a number before ':'"},
	{Deb, "x:1.0", "dpkg requires the epoch to be an unsigned number"},
	{Deb, "1:", "dpkg needs a version after the epoch"},
	{Deb, "2147483648:1", "dpkg does not allow an epoch above 2147483647"},
	{Deb, "1.0 2", "dpkg does not allow whitespace"},
	{Deb, "1:-1", "dpkg needs a non-empty upstream version"},
	{Deb, "1.0@", "dpkg does not allow '@' in the upstream version"},
	{"tar", "1.0", "unknown package family"},
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, c := range checkCases {
		err := Check(c.f, c.v)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("Check(%s, %q) = %v, want nil", c.f, c.v, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("Check(%s, %q) = %v, want an error containing %q", c.f, c.v, err, c.wantErr)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("Check(%s, %q) error spans lines: %q", c.f, c.v, err)
		}
		var inv *InvalidError
		if err != nil && c.f != "tar" && !errors.As(err, &inv) {
			t.Errorf("Check(%s, %q) error is %T, want *InvalidError", c.f, c.v, err)
		}
	}
}

// TestCheckDebMatchesDpkg holds Check to dpkg --validate-version, which
// reports the same rules as errors or warnings.
func TestCheckDebMatchesDpkg(t *testing.T) {
	t.Parallel()
	for _, c := range checkCases {
		if c.f != Deb || c.v == "" || strings.ContainsAny(c.v, " \x00") {
			continue // dpkg takes the argument apart differently; covered by TestCheck
		}
		if got, want := dpkgValidate(t, c.v), c.wantErr == ""; got != want {
			t.Errorf("dpkg --validate-version %q accepts=%v, but Check wants valid=%v", c.v, got, want)
		}
	}
	// Deliberately stricter than dpkg: a signed epoch, which no distro uses.
	if !dpkgValidate(t, "+1:2") {
		t.Errorf("dpkg now refuses a signed epoch; Check's comment is stale")
	}
	if Check(Deb, "+1:2") == nil {
		t.Errorf("Check(deb, %q) = nil, want an error", "+1:2")
	}
}

var upstreamCases = []struct {
	f       Family
	v       string
	wantErr string
}{
	{RPM, "1.0", ""},
	{RPM, "1.0_1", ""},
	{RPM, "1.0^git20240101", ""},
	{RPM, "1.0~rc1", ""},
	{RPM, "1.0%{?snap}", ""},
	{RPM, "1.0..1", `rpm does not allow ".."`},
	{RPM, "1.0-1", "rpm does not allow '-' inside version or release"},
	{RPM, "1:1", "rpm does not allow ':' in the version"},
	{RPM, "1.0@1", "rpm does not allow '@'"},
	{RPM, "1.0/1", "rpm does not allow '/'"},
	{RPM, "1.0 2", "rpm does not allow whitespace"},
	{Deb, "2.4.69", ""},
	{Deb, "1.0+dfsg", ""},
	{Deb, "1.0~rc1", ""},
	{Deb, "1.0-beta", ""}, // a revision will follow, so dpkg splits after it
	{Deb, "1:1.0", "dpkg does not allow ':' in an upstream version"},
	{Deb, "v1.0", "dpkg requires the upstream version to start with a digit"},
	{Deb, "1.0_1", "dpkg does not allow '_'"},
	{Deb, "", "dpkg needs a non-empty upstream version"},
}

func TestCheckUpstream(t *testing.T) {
	t.Parallel()
	for _, c := range upstreamCases {
		err := CheckUpstream(c.f, c.v)
		if c.wantErr == "" && err != nil {
			t.Errorf("CheckUpstream(%s, %q) = %v, want nil", c.f, c.v, err)
		}
		if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("CheckUpstream(%s, %q) = %v, want an error containing %q", c.f, c.v, err, c.wantErr)
		}
	}
}

// TestCheckUpstreamRPMMatchesRpmbuild holds CheckUpstream to rpmbuild's own
// spec parser, with each value as a spec's Version field.
func TestCheckUpstreamRPMMatchesRpmbuild(t *testing.T) {
	t.Parallel()
	for _, c := range upstreamCases {
		if c.f != RPM {
			continue
		}
		if got, want := rpmspecAccepts(t, c.v), c.wantErr == ""; got != want {
			t.Errorf("rpmspec with Version: %q accepts=%v, but CheckUpstream wants valid=%v", c.v, got, want)
		}
	}
}

// TestCheckRefusesOverlongVersions: a version must fit in a package file
// name, which also bounds the cost of Compare.
func TestCheckRefusesOverlongVersions(t *testing.T) {
	t.Parallel()
	fits := "1" + strings.Repeat(".1", (maxVersionLen-1)/2)
	tooLong := fits + ".1"
	for _, f := range []Family{RPM, Deb} {
		if err := Check(f, fits); err != nil {
			t.Errorf("Check(%s, %d bytes) = %v, want nil", f, len(fits), err)
		}
		err := Check(f, tooLong)
		if err == nil || !strings.Contains(err.Error(), "too long for a package file name") {
			t.Errorf("Check(%s, %d bytes) = %v, want too long", f, len(tooLong), err)
		}
		if err != nil && len(err.Error()) > 120 {
			t.Errorf("error for an overlong version is %d bytes long: %q", len(err.Error()), err)
		}
		if err := CheckUpstream(f, tooLong); err == nil {
			t.Errorf("CheckUpstream(%s, %d bytes) = nil, want too long", f, len(tooLong))
		}
		if _, err := Compare(f, tooLong, fits); err == nil {
			t.Errorf("Compare(%s) accepted a %d-byte version", f, len(tooLong))
		}
	}
}
