package recipe

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadConfigLookupOrder(t *testing.T) {
	t.Parallel()
	cwd, userDir, empty := t.TempDir(), t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(cwd, ConfigFile), "maintainer: Local Admin <admin@example.org>\n")
	writeFile(t, filepath.Join(userDir, ConfigFile), "maintainer: User <user@example.org>\n")

	cfg, path, err := LoadConfig(cwd, userDir)
	if err != nil || path != filepath.Join(cwd, ConfigFile) || cfg.Maintainer != "Local Admin <admin@example.org>" {
		t.Errorf("LoadConfig(cwd, user) = %+v, %q, %v", cfg, path, err)
	}
	cfg, path, err = LoadConfig(empty, userDir)
	if err != nil || path != filepath.Join(userDir, ConfigFile) || cfg.Maintainer != "User <user@example.org>" {
		t.Errorf("LoadConfig(empty, user) = %+v, %q, %v", cfg, path, err)
	}
	cfg, path, err = LoadConfig(empty)
	if err != nil || path != "" || !reflect.DeepEqual(cfg, Config{}) {
		t.Errorf("LoadConfig(empty) = %+v, %q, %v; want the zero Config", cfg, path, err)
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	src := `# backport.yaml
mirror: https://deb.mirror.example/debian/
security_mirror: https://sec.mirror.example/debian-security
keyring: keys/archive.gpg
default_target: el9
maintainer: Jane Admin <jane@example.org>
runtime: podman
cache_dir: /var/cache/backport
targets:
  el9:
    repos: ["https://repo.example/el9/$basearch/os"]
  ubuntu-24.04:
    mirror: http://ubuntu.mirror.example/ubuntu
  debian-14:
    vendor: debian
    release: "14"
    codename: forky
    base_image: docker.io/library/debian:forky
`
	file := filepath.Join("/etc/backport", ConfigFile)
	cfg, err := ParseConfig(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mirror != "https://deb.mirror.example/debian" {
		t.Errorf("mirror = %q (the trailing slash should go)", cfg.Mirror)
	}
	if cfg.Keyring != "/etc/backport/keys/archive.gpg" || cfg.CacheDir != "/var/cache/backport" {
		t.Errorf("keyring %q, cache_dir %q: relative paths resolve beside the file", cfg.Keyring, cfg.CacheDir)
	}
	if m, err := cfg.DebianMirror(); err != nil || m != "https://deb.mirror.example/debian" {
		t.Errorf("DebianMirror() = %q, %v", m, err)
	}
	ts := Targets(cfg)
	if got := ts["debian-12"]; got.Mirror != cfg.Mirror || got.SecurityMirror != cfg.SecurityMirror || got.Keyring != cfg.Keyring {
		t.Errorf("debian-12 = %+v; want the config's mirror, security mirror and keyring", got)
	}
	if got := ts["ubuntu-24.04"]; got.Mirror != "http://ubuntu.mirror.example/ubuntu" || got.SecurityMirror != got.Mirror || got.Codename != "noble" {
		t.Errorf("ubuntu-24.04 = %+v", got)
	}
	if got := ts["el9"]; len(got.Repos) != 1 || got.DistTag != ".el9" {
		t.Errorf("el9 = %+v", got)
	}
	if got := ts["debian-14"]; got.Family != FamilyDeb || got.Suites[2] != "forky-security" || got.Mirror != cfg.Mirror {
		t.Errorf("debian-14 = %+v", got)
	}
	tg, err := cfg.ChooseTarget("")
	if err != nil || tg.Name != "el9" {
		t.Errorf("ChooseTarget(\"\") = %+v, %v; want default_target el9", tg, err)
	}
	tg, err = cfg.ChooseTarget("debian-14")
	if err != nil || tg.Name != "debian-14" {
		t.Errorf("ChooseTarget(debian-14) = %+v, %v", tg, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, src, want string }{
		{"typo'd key", "mirorr: https://x.example/debian\n",
			`backport.yaml:1: unknown field "mirorr" (known: mirror, security_mirror, keyring, default_target, maintainer, runtime, cache_dir, image_prefix, base, targets)`},
		{"typo in a target", "targets:\n  el9:\n    dist-tag: .el9\n",
			`backport.yaml:3: unknown field "dist-tag" (known: family, vendor, release, codename, suites, components, base_image, dist_tag, repos, mirror, security_mirror, keyring, packaging_suites)`},
		{"wrong type", "targets:\n  el9:\n    repos: https://repo.example/el9\n",
			`backport.yaml:3: targets.el9.repos: expected a list of strings, got a string`},
		{"targets as a list", "targets: [el9]\n",
			`backport.yaml:1: targets: expected a mapping, got a list`},
		{"mirror without scheme", "mirror: deb.mirror.example/debian\n",
			`backport.yaml:1: mirror: "deb.mirror.example/debian": expected a base URL like https://mirror.example/debian`},
		{"mirror of another scheme", "security_mirror: ftp://deb.mirror.example/debian\n",
			`backport.yaml:1: security_mirror: "ftp://deb.mirror.example/debian": expected an http, https or file URL`},
		{"runtime", "runtime: lxc\n", `backport.yaml:1: runtime "lxc": expected one of auto, podman, docker, host`},
		{"base", "base: pull\n", `backport.yaml:1: base "pull": expected one of auto, registry, bootstrap`},
		{"image prefix", "image_prefix: Local/Backport\n", `backport.yaml:1: image_prefix "Local/Backport": expected an image repository such as localhost/backport`},
		{"maintainer", "maintainer: jane\n", `backport.yaml:1: maintainer "jane": expected "Full Name <email@example.org>"`},
		{"unknown family", "targets:\n  sles-15:\n    family: zypper\n",
			`backport.yaml:3: targets.sles-15.family: unknown target family "zypper" (expected deb or rpm)`},
		{"unknown vendor", "targets:\n  sles-15:\n    vendor: suse\n",
			`backport.yaml:3: targets.sles-15.vendor: unknown vendor "suse" (expected debian, ubuntu, el or fedora)`},
		{"incomplete new target", "\ntargets:\n  debian-14:\n    vendor: debian\n",
			`backport.yaml:3: targets.debian-14: expected base_image, suites (or codename)`},
		{"override breaks a built-in", "targets:\n  el9:\n    family: deb\n",
			`backport.yaml:2: targets.el9: vendor el builds rpm packages, not deb`},
		{"bad target mirror", "targets:\n  debian-12:\n    mirror: nope\n",
			`backport.yaml:3: targets.debian-12.mirror: "nope": expected a base URL like https://mirror.example/debian`},
		{"packaging suites on an rpm target", "targets:\n  el9:\n    packaging_suites: [unstable]\n",
			`backport.yaml:3: targets.el9.packaging_suites: only deb targets have suites`},
		{"packaging suite outside the archive", "targets:\n  debian-12:\n    packaging_suites: [../x]\n",
			`backport.yaml:3: targets.debian-12.packaging_suites: "../x" is not a suite name like unstable or trixie`},
		{"unknown default target", "default_target: debian-99\n",
			`backport.yaml:1: default_target: unknown target "debian-99" (known: ` + strings.Join(BuiltinTargetNames(), ", ") + `)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig(ConfigFile, []byte(tt.src))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseConfigEmpty(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig(ConfigFile, []byte("# all defaults\n"))
	if err != nil || !reflect.DeepEqual(cfg, Config{}) {
		t.Errorf("ParseConfig(comment only) = %+v, %v", cfg, err)
	}
}

func TestConfigDebianMirror(t *testing.T) {
	t.Parallel()
	host := Mirrors{Vendors: map[Vendor]Mirror{VendorDebian: {Archive: "http://host.mirror.example/debian"}}}
	if m, err := (Config{Host: host}).DebianMirror(); err != nil || m != "http://host.mirror.example/debian" {
		t.Errorf("host only: %q, %v", m, err)
	}
	if m, err := (Config{Host: host, Mirror: "https://cfg.example/debian/"}).DebianMirror(); err != nil || m != "https://cfg.example/debian" {
		t.Errorf("config and host: %q, %v", m, err)
	}
	ubuntuOnly := Mirrors{Vendors: map[Vendor]Mirror{VendorUbuntu: {Archive: "http://u.example/ubuntu"}}}
	_, err := (Config{Host: ubuntuOnly}).DebianMirror()
	if !errors.Is(err, ErrNoMirror) || !strings.Contains(err.Error(), "set mirror: in backport.yaml") {
		t.Errorf("no Debian mirror: %v", err)
	}
}

func TestPackagingSuitesConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, target string
		want              []string
	}{
		{"built-in", "", "debian-12", []string{"trixie", "trixie-security", "unstable"}},
		{"replaced", "targets:\n  debian-12:\n    packaging_suites: [sid]\n", "debian-12", []string{"sid"}},
		{"turned off", "targets:\n  debian-12:\n    packaging_suites: []\n", "debian-12", []string{}},
		{"other fields keep them", "targets:\n  debian-11:\n    components: [main, contrib]\n", "debian-11",
			[]string{"bookworm", "bookworm-security", "trixie", "trixie-security", "unstable"}},
		{"a new target has none", "targets:\n  debian-14:\n    vendor: debian\n    codename: forky\n    base_image: docker.io/library/debian:forky\n",
			"debian-14", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := ParseConfig(ConfigFile, []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			got := Targets(cfg)[tt.target].PackagingSuites
			if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("%s packaging suites %q, want %q", tt.target, got, tt.want)
			}
		})
	}
}
