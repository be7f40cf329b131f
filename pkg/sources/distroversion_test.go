package sources_test

import (
	"strings"
	"testing"

	"github.com/backport/backport/pkg/sources"
)

// A mirror whose index lists a version its pool lacks (a lagging or
// partial mirror) must not make backport fall back to an older, possibly
// unfixed version on its own: it stops and names --distro-version, which
// then picks the version the engineer chose.
func TestMissingPoolFileNamesDistroVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.arch.Remove(f.security.Path(f.security.DebianName()))
	r := f.recipe(t, distroIndex)
	_, _, err := f.fetch(t, r, oldUpstream, "work")
	if err == nil || !strings.Contains(err.Error(), securityVer+" (stable-security) is in the index but not on the mirror") ||
		!strings.Contains(err.Error(), "--distro-version") {
		t.Fatalf("err = %v, want one naming the missing version and --distro-version", err)
	}
	res, _, err := f.fetch(t, r, oldUpstream, "work", func(req *sources.Request) { req.DistroVersion = "2.10-3" })
	if err != nil {
		t.Fatal(err)
	}
	if res.DistroVersion != "2.10-3" || res.DistroSuite != "stable" {
		t.Errorf("distro %s from %s, want 2.10-3 from stable", res.DistroVersion, res.DistroSuite)
	}
}
