package recipe

import (
	"reflect"
	"strings"
	"testing"
)

func TestBuiltinTargetInvariants(t *testing.T) {
	t.Parallel()
	ts := Targets(Config{})
	for _, want := range []string{"debian-11", "debian-12", "debian-13", "ubuntu-22.04", "ubuntu-24.04", "el7", "el8", "el9", "fedora-40", "fedora-41"} {
		if _, ok := ts[want]; !ok {
			t.Errorf("target %s is missing", want)
		}
	}
	codenames := map[string]string{}
	for name, tg := range ts {
		if tg.Name != name {
			t.Errorf("%s: Name = %q", name, tg.Name)
		}
		if err := tg.Check(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if tg.Family == "" || tg.Vendor == "" || tg.BaseImage == "" || tg.Release == "" {
			t.Errorf("%s: family %q, vendor %q, base image %q, release %q", name, tg.Family, tg.Vendor, tg.BaseImage, tg.Release)
		}
		if tg.Vendor.Family() != tg.Family {
			t.Errorf("%s: vendor %s with family %s", name, tg.Vendor, tg.Family)
		}
		if !strings.HasPrefix(tg.BaseImage, "docker.io/library/") {
			t.Errorf("%s: base image %q is not a fully qualified reference", name, tg.BaseImage)
		}
		switch tg.Family {
		case FamilyDeb:
			if tg.Codename == "" || len(tg.Suites) != 3 || tg.Suites[0] != tg.Codename ||
				tg.Suites[1] != tg.Codename+"-updates" || tg.Suites[2] != tg.Codename+"-security" {
				t.Errorf("%s: codename %q, suites %q", name, tg.Codename, tg.Suites)
			}
			if len(tg.Components) == 0 || tg.Components[0] != "main" || tg.Keyring == "" || tg.DistTag != "" {
				t.Errorf("%s: components %q, keyring %q, dist tag %q", name, tg.Components, tg.Keyring, tg.DistTag)
			}
			if prev, dup := codenames[tg.Codename]; dup {
				t.Errorf("%s and %s share codename %s", name, prev, tg.Codename)
			}
			codenames[tg.Codename] = name
			// --packaging auto needs newer suites to choose from, and a
			// target's own suites are searched anyway.
			if len(tg.PackagingSuites) == 0 {
				t.Errorf("%s: no packaging suites", name)
			}
			for _, s := range tg.PackagingSuites {
				if strings.HasPrefix(s, tg.Codename) {
					t.Errorf("%s: packaging suite %s is one of its own", name, s)
				}
			}
			if want := string(tg.Vendor) + "-" + tg.Release; name != want {
				t.Errorf("%s: named unlike its vendor and release (%s)", name, want)
			}
		case FamilyRPM:
			if !strings.HasPrefix(tg.DistTag, ".el") && !strings.HasPrefix(tg.DistTag, ".fc") {
				t.Errorf("%s: dist tag %q", name, tg.DistTag)
			}
			if len(tg.Suites) != 0 || len(tg.PackagingSuites) != 0 || tg.Mirror != "" || len(tg.Repos) != 0 {
				t.Errorf("%s: an rpm target with suites %q, mirror %q, repos %q", name, tg.Suites, tg.Mirror, tg.Repos)
			}
		default:
			t.Errorf("%s: family %q", name, tg.Family)
		}
	}
	if ts["debian-12"].Keyring != DebianKeyring || ts["ubuntu-24.04"].Keyring != UbuntuKeyring {
		t.Errorf("keyrings: %q, %q", ts["debian-12"].Keyring, ts["ubuntu-24.04"].Keyring)
	}
	if ts["debian-12"].BaseImage != "docker.io/library/debian:bookworm" || ts["el9"].DistTag != ".el9" || ts["fedora-40"].DistTag != ".fc40" {
		t.Errorf("debian-12 %+v, el9 %+v, fedora-40 %+v", ts["debian-12"], ts["el9"], ts["fedora-40"])
	}
}

func TestTargetsAreFreshCopies(t *testing.T) {
	t.Parallel()
	a := Targets(Config{})
	a["debian-12"].Suites[0] = "changed"
	if b := Targets(Config{}); b["debian-12"].Suites[0] != "bookworm" {
		t.Error("changing one result of Targets changed the built-in table")
	}
}

func TestTargetsMirrors(t *testing.T) {
	t.Parallel()
	host := Mirrors{Vendors: map[Vendor]Mirror{
		VendorDebian: {Archive: "http://deb.mirror.example/debian", Security: "http://sec.mirror.example/debian-security"},
		VendorUbuntu: {Archive: "http://ubuntu.mirror.example/ubuntu"},
	}}
	tests := []struct {
		name                   string
		cfg                    Config
		target                 string
		mirror, security, keyr string
	}{
		{"host mirrors", Config{Host: host}, "debian-12",
			"http://deb.mirror.example/debian", "http://sec.mirror.example/debian-security", DebianKeyring},
		{"config wins over host", Config{Host: host, Mirror: "https://cfg.example/debian/", Keyring: "/k.gpg"}, "debian-11",
			"https://cfg.example/debian", "http://sec.mirror.example/debian-security", "/k.gpg"},
		{"ubuntu security falls back to the archive", Config{Host: host, Mirror: "https://cfg.example/debian"}, "ubuntu-24.04",
			"http://ubuntu.mirror.example/ubuntu", "http://ubuntu.mirror.example/ubuntu", UbuntuKeyring},
		{"no mirror anywhere", Config{}, "debian-13", "", "", DebianKeyring},
		{"per-target override wins", Config{Host: host, Mirror: "https://cfg.example/debian",
			Targets: map[string]Target{"debian-12": {Mirror: "https://t.example/debian"}}}, "debian-12",
			"https://t.example/debian", "http://sec.mirror.example/debian-security", DebianKeyring},
		{"rpm targets take no mirror", Config{Host: host, Mirror: "https://cfg.example/debian"}, "el9", "", "", ""},
	}
	for _, tt := range tests {
		got, err := LookupTarget(tt.cfg, tt.target)
		if err != nil {
			t.Fatal(err)
		}
		if got.Mirror != tt.mirror || got.SecurityMirror != tt.security || got.Keyring != tt.keyr {
			t.Errorf("%s: mirror %q, security %q, keyring %q; want %q, %q, %q",
				tt.name, got.Mirror, got.SecurityMirror, got.Keyring, tt.mirror, tt.security, tt.keyr)
		}
	}
}

func TestTargetsMergeFieldByField(t *testing.T) {
	t.Parallel()
	cfg := Config{Targets: map[string]Target{
		"el9": {Repos: []string{"https://repo.example/el9/$basearch/os"}, BaseImage: "registry.example/rhel9:latest"},
		"debian-14": {Vendor: VendorDebian, Release: "14", Codename: "forky",
			BaseImage: "docker.io/library/debian:forky"},
	}}
	ts := Targets(cfg)
	el9 := ts["el9"]
	if el9.BaseImage != "registry.example/rhel9:latest" || !reflect.DeepEqual(el9.Repos, cfg.Targets["el9"].Repos) ||
		el9.DistTag != ".el9" || el9.Family != FamilyRPM || el9.Vendor != VendorEL {
		t.Errorf("el9 after merge = %+v", el9)
	}
	forky := ts["debian-14"]
	if err := forky.Check(); err != nil {
		t.Errorf("debian-14: %v", err)
	}
	if forky.Name != "debian-14" || forky.Family != FamilyDeb ||
		!reflect.DeepEqual(forky.Suites, []string{"forky", "forky-updates", "forky-security"}) ||
		!reflect.DeepEqual(forky.Components, []string{"main"}) || forky.Keyring != DebianKeyring {
		t.Errorf("debian-14 = %+v", forky)
	}
}

func TestLookupTarget(t *testing.T) {
	t.Parallel()
	got, err := LookupTarget(Config{}, "el9")
	if err != nil || got.Name != "el9" {
		t.Errorf("LookupTarget(el9) = %+v, %v", got, err)
	}
	got, err = LookupTarget(Config{}, "bookworm")
	if err != nil || got.Name != "debian-12" {
		t.Errorf("LookupTarget(bookworm) = %+v, %v", got, err)
	}
	_, err = LookupTarget(Config{}, "debian-99")
	if err == nil {
		t.Fatal("LookupTarget(debian-99) succeeded")
	}
	want := `unknown target "debian-99" (known: ` + strings.Join(BuiltinTargetNames(), ", ") + ")"
	if err.Error() != want {
		t.Errorf("error = %s\nwant %s", err, want)
	}
	if !strings.Contains(err.Error(), "debian-12, debian-13") || !strings.Contains(err.Error(), "el9") {
		t.Errorf("error does not list the targets: %s", err)
	}
}

func TestTargetCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		t    Target
		want string
	}{
		{Target{Family: "dpkg", Vendor: VendorDebian}, `family "dpkg": expected deb or rpm`},
		{Target{Family: FamilyDeb, Vendor: "suse"}, `vendor "suse": expected debian, ubuntu, el or fedora`},
		{Target{Family: FamilyDeb, Vendor: VendorEL}, `vendor el builds rpm packages, not deb`},
		{Target{Family: FamilyDeb, Vendor: VendorDebian}, `expected base_image, suites (or codename), components`},
		{Target{Family: FamilyRPM, Vendor: VendorEL, BaseImage: "x", DistTag: "el9"}, `expected dist_tag (like .el9)`},
	}
	for _, tt := range tests {
		if err := tt.t.Check(); err == nil || err.Error() != tt.want {
			t.Errorf("Check(%+v) = %v; want %s", tt.t, err, tt.want)
		}
	}
}
