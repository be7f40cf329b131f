package sources_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/archivetest"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/sources"
	"github.com/backport/backport/pkg/workspace"
)

// The packaging fixture is jq as several Debian releases carry it, for a
// target whose own release is "old":
//
//	old           1.6-2            ┐ the target's own suites
//	old-updates   (empty)          │
//	old-security  1.6-2+deb12u1    ┘ ← what the target runs
//	new           1.7.1-6          ┐ packaging_suites
//	new-security  1.7.1-6+deb13u1  │
//	unstable      1.8.2-1          │ (Codename: sid)
//	gone          (not on the mirror)
//	experimental  1.8.0-1            considered by nobody; it vouches for
//	                                 the 1.8.0 orig tarball
//	unstable      newpkg 2.0-1       a package the target lacks
const (
	pkgTarget    = "test-old"
	installedJq  = "1.6-2+deb12u1"
	goneWarning  = "packaging suite gone is not on the mirror"
	jqDistroIdx  = "distro_index: [unstable, new, experimental]"
	unknownSuite = `packaging "bogus" is not a suite of target test-old (its own: old, old-updates, old-security; packaging_suites: new, new-security, unstable, gone)`
)

func upstreamOf(name, up string) map[string]string {
	return map[string]string{"README": name + " " + up + "\n", "src/main.c": "int main(void) { return 0; } /* " + up + " */\n"}
}

func newPackagingFixture(t *testing.T) (*archivetest.Archive, string) {
	t.Helper()
	a := archivetest.New(t)
	add := func(suite, name, ver string) {
		s := archivetest.Source{Name: name, Version: ver}
		s.Files = upstreamOf(name, s.Upstream())
		a.AddSource(suite, s)
	}
	add("old", "jq", "1.6-2")
	add("old-security", "jq", installedJq)
	add("new", "jq", "1.7.1-6")
	add("new-security", "jq", "1.7.1-6+deb13u1")
	add("unstable", "jq", "1.8.2-1")
	add("experimental", "jq", "1.8.0-1")
	add("unstable", "newpkg", "2.0-1")
	a.AddSuite("old-updates")
	a.Publish()
	a.SetCodename("unstable", "sid")
	return a, a.Keyring(t)
}

func packagingTarget(a *archivetest.Archive, keyring string) recipe.Target {
	return recipe.Target{
		Name: pkgTarget, Family: recipe.FamilyDeb, Vendor: recipe.VendorDebian, Release: "12", Codename: "old",
		Suites:          []string{"old", "old-updates", "old-security"},
		PackagingSuites: []string{"new", "new-security", "unstable", "gone"},
		Components:      []string{"main"}, Mirror: a.URL(), Keyring: keyring,
	}
}

func packagingRecipe(t *testing.T, name string) *recipe.Recipe {
	t.Helper()
	yaml := fmt.Sprintf("name: %s\nsummary: test\nupstream:\n  urls:\n    - \"{{.DebianMirror}}/pool/main/%c/%s/%s_{{.Version}}.orig.tar.gz\"\n"+
		"  verify:\n    %s\ndeb:\n  source: %s\n", name, name[0], name, name, jqDistroIdx, name)
	r, err := recipe.Parse("specs/"+name+".yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("recipe:\n%s\n%v", yaml, err)
	}
	return r
}

func TestPackagingChoice(t *testing.T) {
	t.Parallel()
	a, keyring := newPackagingFixture(t)
	cache := newCache(t, filepath.Join(t.TempDir(), "cache"))
	tests := []struct {
		name, pkg, version, packaging, distroVersion string
		wantVersion, wantSuite, wantPackaging        string
		wantReason                                   string // a part of PackagingReason
		wantNewUpstream, wantGone                    bool   // gone: the newer suites were read
		wantWarning                                  string
		wantErr                                      string
	}{
		{name: "auto: unstable packages the upstream asked for", version: "1.8.2",
			wantVersion: "1.8.2-1", wantSuite: "unstable", wantPackaging: "unstable", wantGone: true,
			wantReason: "unstable has jq 1.8.2-1, upstream 1.8.2 = requested; old 1.6-2, old-security 1.6-2+deb12u1, new 1.7.1-6, new-security 1.7.1-6+deb13u1"},
		{name: "auto: the same upstream twice, the newest revision", version: "1.7.1",
			wantVersion: "1.7.1-6+deb13u1", wantSuite: "new-security", wantPackaging: "new", wantGone: true,
			wantReason: "new-security has jq 1.7.1-6+deb13u1, upstream 1.7.1 = requested;", wantWarning: ""},
		{name: "auto: the closest upstream below", version: "1.8.0",
			wantVersion: "1.7.1-6+deb13u1", wantSuite: "new-security", wantPackaging: "new", wantGone: true, wantNewUpstream: true,
			wantReason: "upstream 1.7.1 the closest below 1.8.0; old 1.6-2, old-security 1.6-2+deb12u1, new 1.7.1-6, unstable 1.8.2-1 (newer upstream)"},
		{name: "auto: the target's own upstream needs no newer index", version: "1.6",
			wantVersion: installedJq, wantSuite: "old-security", wantPackaging: "old", wantReason: "(the target's own)"},
		{name: "auto: nothing at or below the request", version: "1.5",
			wantErr: "jq 1.5 is older than the distro's " + installedJq + " (old-security); a hotfix cannot downgrade"},
		{name: "forced: the target's codename", version: "1.8.2", packaging: "old",
			wantVersion: installedJq, wantSuite: "old-security", wantPackaging: "old", wantNewUpstream: true,
			wantReason: "packaging old asked for: old-security has jq " + installedJq},
		{name: "forced: an alias from the Release", version: "1.8.2", packaging: "sid",
			wantVersion: "1.8.2-1", wantSuite: "unstable", wantPackaging: "unstable", wantReason: "packaging sid asked for"},
		{name: "forced: a newer release with its security suite", version: "1.8.2", packaging: "new",
			wantVersion: "1.7.1-6+deb13u1", wantSuite: "new-security", wantPackaging: "new", wantNewUpstream: true},
		{name: "forced: packaging of a newer upstream", version: "1.7.1", packaging: "unstable",
			wantVersion: "1.8.2-1", wantSuite: "unstable", wantPackaging: "unstable", wantNewUpstream: true,
			wantWarning: "is for upstream 1.8.2, newer than 1.7.1"},
		{name: "forced: unknown", version: "1.8.2", packaging: "bogus", wantErr: unknownSuite},
		{name: "forced: a suite the mirror lacks", version: "1.8.2", packaging: "gone",
			wantErr: "source package jq in gone (packaging gone): not found in the archive (available: old 1.6-2, old-security " +
				installedJq + ", new 1.7.1-6, new-security 1.7.1-6+deb13u1, unstable 1.8.2-1)"},
		{name: "distro version from a newer suite", version: "1.8.2", distroVersion: "1.7.1-6",
			wantVersion: "1.7.1-6", wantSuite: "new", wantPackaging: "new", wantNewUpstream: true,
			wantReason: "distro version 1.7.1-6 asked for: new has it"},
		{name: "distro version outside the forced suite", version: "1.8.2", packaging: "unstable", distroVersion: "1.7.1-6",
			wantErr: "source package jq 1.7.1-6 in unstable: not found in the archive (available: old 1.6-2,"},
		{name: "a package the target lacks", pkg: "newpkg", version: "2.0",
			wantVersion: "2.0-1", wantSuite: "unstable", wantPackaging: "unstable", wantGone: true, wantReason: "upstream 2.0 = requested"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := tt.pkg
			if name == "" {
				name = "jq"
			}
			ws, err := workspace.Open(filepath.Join(t.TempDir(), "work"), workspace.Key{Name: name, Version: tt.version, Target: pkgTarget})
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			req := sources.Request{
				Recipe: packagingRecipe(t, name), Version: tt.version, Target: packagingTarget(a, keyring),
				DebianMirror: a.URL(), DebianKeyring: keyring, Packaging: tt.packaging, DistroVersion: tt.distroVersion,
				Cache: cache, Workspace: ws,
			}
			res, err := sources.Fetch(context.Background(), req)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("case %d: err = %v, want %q", i, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.DistroVersion != tt.wantVersion || res.DistroSuite != tt.wantSuite || res.PackagingSuite != tt.wantPackaging {
				t.Errorf("packaging %s from %s (as %q), want %s from %s (as %q); reason: %s",
					res.DistroVersion, res.DistroSuite, res.PackagingSuite, tt.wantVersion, tt.wantSuite, tt.wantPackaging, res.PackagingReason)
			}
			wantTarget := installedJq
			if name != "jq" {
				wantTarget = ""
			}
			if res.TargetVersion != wantTarget {
				t.Errorf("target version %q, want %q: hotfixes are versioned against what the target runs", res.TargetVersion, wantTarget)
			}
			if !strings.Contains(res.PackagingReason, tt.wantReason) || strings.Contains(res.PackagingReason, "\n") {
				t.Errorf("reason %q, want one line with %q", res.PackagingReason, tt.wantReason)
			}
			if res.NewUpstream != tt.wantNewUpstream {
				t.Errorf("new upstream %v, want %v", res.NewUpstream, tt.wantNewUpstream)
			}
			warnings := strings.Join(res.Warnings, "\n")
			if strings.Contains(warnings, goneWarning) != tt.wantGone {
				t.Errorf("warnings %q: want the missing packaging suite reported: %v", res.Warnings, tt.wantGone)
			}
			if !strings.Contains(warnings, tt.wantWarning) {
				t.Errorf("warnings %q, want %q", res.Warnings, tt.wantWarning)
			}
			// packaging/ is the chosen source untouched; tree/ its
			// debian/ on the requested upstream.
			chosen := archivetest.Source{Name: name, Version: tt.wantVersion}
			requireFile(t, filepath.Join(res.Packaging, "README"), name+" "+chosen.Upstream()+"\n")
			for _, dir := range []string{res.Packaging, res.Tree} {
				if cl := readFile(t, filepath.Join(dir, "debian/changelog")); !strings.HasPrefix(cl, name+" ("+tt.wantVersion+")") {
					t.Errorf("%s/debian/changelog starts %q, want the chosen %s", dir, strings.SplitN(cl, "\n", 2)[0], tt.wantVersion)
				}
			}
			requireFile(t, filepath.Join(res.Tree, "README"), name+" "+tt.version+"\n")
			if !strings.Contains(fileByRole(t, res, "dsc").VerifiedBy, "signed Sources index of "+tt.wantSuite) {
				t.Errorf("dsc verified by %q", fileByRole(t, res, "dsc").VerifiedBy)
			}
		})
	}
}

// The choice is remembered with the resolution: the same request again
// reports the same packaging, the same reason, and asks no mirror.
func TestPackagingChoiceRemembered(t *testing.T) {
	t.Parallel()
	a, keyring := newPackagingFixture(t)
	cache := newCache(t, filepath.Join(t.TempDir(), "cache"))
	root := filepath.Join(t.TempDir(), "work")
	fetchOnce := func(packaging string) *sources.Result {
		t.Helper()
		ws, err := workspace.Open(root, workspace.Key{Name: "jq", Version: "1.8.2", Target: pkgTarget})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		res, err := sources.Fetch(context.Background(), sources.Request{
			Recipe: packagingRecipe(t, "jq"), Version: "1.8.2", Target: packagingTarget(a, keyring),
			DebianMirror: a.URL(), DebianKeyring: keyring, Packaging: packaging, Cache: cache, Workspace: ws,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := fetchOnce("")
	a.ResetRequests()
	again := fetchOnce("auto")
	if n := a.Requests(); n != 0 {
		t.Errorf("the same request again made %d requests", n)
	}
	if again.PackagingSuite != first.PackagingSuite || again.PackagingReason != first.PackagingReason ||
		again.TargetVersion != first.TargetVersion || strings.Join(again.Warnings, "|") != strings.Join(first.Warnings, "|") {
		t.Errorf("remembered %+v, first %+v", again, first)
	}
	// Another packaging is another resolution.
	forced := fetchOnce("old")
	if forced.DistroSuite != "old-security" || a.Requests() == 0 {
		t.Errorf("--packaging old after auto: %s from %s with %d requests", forced.DistroVersion, forced.DistroSuite, a.Requests())
	}
}

// A pool that lacks only the .dsc (this project's CI mirror lacks
// unstable's jq .dsc) is no reason to stop: the .dsc is written from the
// signed index, dpkg-source accepts it, and the result says so.
func TestMissingDscIsWrittenFromIndex(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.arch.Remove(f.security.Path(f.security.DscName()))
	res, _, err := f.fetch(t, f.recipe(t, distroIndex), oldUpstream, "work")
	if err != nil {
		t.Fatal(err)
	}
	dsc := fileByRole(t, res, "dsc")
	if !strings.Contains(dsc.VerifiedBy, "written from the signed Sources index of stable-security") ||
		!strings.Contains(strings.Join(res.Warnings, "\n"), "the mirror lacks "+f.security.DscName()) {
		t.Errorf("dsc verified by %q, warnings %q", dsc.VerifiedBy, res.Warnings)
	}
	if res.DistroVersion != securityVer || !strings.Contains(readFile(t, filepath.Join(res.Tree, "debian/changelog")), securityVer) {
		t.Errorf("distro %s; the tree is not the security update's", res.DistroVersion)
	}
	requireDpkgSourceAccepts(t, dsc.Path)
}
