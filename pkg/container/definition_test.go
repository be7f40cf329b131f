package container

import (
	"slices"
	"strings"
	"testing"
)

// testDefinition is a small bootstrap definition; the mirror is a
// parameter because no mirror host is written into the sources.
func testDefinition(mirror string) Definition {
	return Definition{
		Base:      Base{Bootstrap: &Bootstrap{Suite: "bookworm", Mirror: mirror}},
		Toolchain: []string{"netbase"},
	}
}

func TestDefinitionHash(t *testing.T) {
	t.Parallel()
	base := Definition{
		Base:      Base{Bootstrap: &Bootstrap{Suite: "bookworm", Mirror: "http://m/debian"}},
		Toolchain: DebToolchain(),
	}
	same := base
	same.Toolchain = slices.Clone(base.Toolchain)
	slices.Reverse(same.Toolchain)
	same.Base.Bootstrap = &Bootstrap{Suite: "bookworm", Mirror: "http://m/debian", Variant: "minbase"}
	if base.Hash() != same.Hash() {
		t.Error("package order or the default variant changed the hash")
	}
	if len(base.Hash()) != 64 {
		t.Errorf("hash %q is not hex sha256", base.Hash())
	}
	changes := map[string]func(*Definition){
		"suite":  func(d *Definition) { d.Base.Bootstrap = &Bootstrap{Suite: "trixie", Mirror: "http://m/debian"} },
		"mirror": func(d *Definition) { d.Base.Bootstrap = &Bootstrap{Suite: "bookworm", Mirror: "http://n/debian"} },
		"include": func(d *Definition) {
			d.Base.Bootstrap = &Bootstrap{Suite: "bookworm", Mirror: "http://m/debian", Include: []string{"ca-certificates"}}
		},
		"registry":  func(d *Definition) { d.Base = Base{Image: "debian:bookworm"} },
		"toolchain": func(d *Definition) { d.Toolchain = RPMOnDebianToolchain() },
		"sources":   func(d *Definition) { d.AptSources = "deb http://m/debian bookworm-updates main" },
		"setup":     func(d *Definition) { d.Setup = []string{"echo hi"} },
	}
	for name, change := range changes {
		d := base
		change(&d)
		if d.Hash() == base.Hash() {
			t.Errorf("changing the %s kept the hash", name)
		}
	}
}

func TestDefinitionValidate(t *testing.T) {
	t.Parallel()
	good := testDefinition("http://m/debian")
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]Definition{
		"no base":     {},
		"two bases":   {Base: Base{Bootstrap: good.Base.Bootstrap, Image: "debian:bookworm"}},
		"no mirror":   {Base: Base{Bootstrap: &Bootstrap{Suite: "bookworm"}}},
		"bad package": {Base: good.Base, Toolchain: []string{"gcc; rm -rf /"}},
		"bad include": {Base: Base{Bootstrap: &Bootstrap{Suite: "bookworm", Mirror: "http://m", Include: []string{"a b"}}}},
	}
	for name, d := range bad {
		if err := d.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestToolchainScript(t *testing.T) {
	t.Parallel()
	d := Definition{Base: Base{Image: "debian:bookworm"}, Toolchain: []string{"quilt", "dpkg-dev", "quilt"}, AptSources: "deb x y z", Setup: []string{"echo done"}}
	s := d.toolchainScript()
	for _, want := range []string{
		"set -e\n",
		"apt-get update\n",
		"apt-get install -y --no-install-recommends dpkg-dev quilt\n",
		`printf '%s\n' "$BACKPORT_APT_SOURCES" > /etc/apt/sources.list`,
		"echo done\napt-get clean\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if (Definition{Base: d.Base}).needsToolchainStep() {
		t.Error("a bare base needs no toolchain step")
	}
	for _, p := range []string{"build-essential", "dpkg-dev", "devscripts", "equivs", "fakeroot", "quilt", "ccache"} {
		if !slices.Contains(DebToolchain(), p) {
			t.Errorf("DebToolchain lacks %s", p)
		}
	}
	if !slices.Contains(RPMOnDebianToolchain(), "rpm") {
		t.Error("RPMOnDebianToolchain lacks rpm")
	}
}
