package recipe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/internal/testtool"
)

// hostRoot lays out files under a fake root: path (relative to /) → content.
func hostRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		writeFile(t, filepath.Join(root, p), content)
	}
	return root
}

const (
	debianOS = "ID=debian\nVERSION_ID=\"12\"\n"
	ubuntuOS = "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n"
)

func TestHostMirrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		files  map[string]string
		want   map[Vendor]Mirror
		noMirr bool
	}{
		{
			name: "deb822 Debian, security on another URI, third-party repos sorted first",
			files: map[string]string{
				"etc/os-release": debianOS,
				// A browser repository with its own key reuses "stable main".
				"etc/apt/sources.list.d/brave.list": "deb [signed-by=/usr/share/keyrings/brave-browser-archive-keyring.gpg] https://brave.example/ stable main\n",
				// One with no Signed-By: weaker evidence than a codename.
				"etc/apt/sources.list.d/chrome.list": "deb [arch=amd64] https://chrome.example/deb/ stable main\n",
				"etc/apt/sources.list.d/debian.sources": `Types: deb deb-src
URIs: http://deb.mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.mirror.example/debian-security/
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`,
			},
			want: map[Vendor]Mirror{VendorDebian: {
				Archive:  "http://deb.mirror.example/debian",
				Security: "http://security.mirror.example/debian-security",
			}},
		},
		{
			name: "Ubuntu with a PPA whose key is embedded",
			files: map[string]string{
				"etc/os-release": ubuntuOS,
				"etc/apt/sources.list.d/ubuntu.sources": `Types: deb
URIs: http://archive.mirror.example/ubuntu/
Suites: noble noble-updates noble-backports
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg

Types: deb
URIs: http://security.mirror.example/ubuntu/
Suites: noble-security
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
`,
				"etc/apt/sources.list.d/a-ppa.sources": `Types: deb
URIs: https://ppa.example/someone/ubuntu/
Suites: noble
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 (key material)
 -----END PGP PUBLIC KEY BLOCK-----
`,
			},
			want: map[Vendor]Mirror{VendorUbuntu: {
				Archive:  "http://archive.mirror.example/ubuntu",
				Security: "http://security.mirror.example/ubuntu",
			}},
		},
		{
			name: "one-line sources.list, old-style security suite, disabled lines",
			files: map[string]string{
				"etc/os-release": "ID=debian\nVERSION_ID=\"10\"\n",
				"etc/apt/sources.list": `#deb http://commented.example/debian buster main
deb http://deb.mirror.example/debian/ buster main contrib
deb-src http://deb.mirror.example/debian/ buster main
deb http://security.mirror.example/debian-security buster/updates main
`,
			},
			want: map[Vendor]Mirror{VendorDebian: {
				Archive:  "http://deb.mirror.example/debian",
				Security: "http://security.mirror.example/debian-security",
			}},
		},
		{
			name: "a mirror+file list, as cloud images use; no security entry",
			files: map[string]string{
				"etc/os-release":                   "ID=debian\nVERSION_ID=\"12\"\n",
				"etc/apt/mirrors/debian.list":      "# nearest first\nhttps://cloud.mirror.example/debian/\tpriority:1\n",
				"etc/apt/sources.list.d/d.sources": "Types: deb\nURIs: mirror+file:///etc/apt/mirrors/debian.list\nSuites: bookworm\nComponents: main\n",
			},
			want: map[Vendor]Mirror{VendorDebian: {Archive: "https://cloud.mirror.example/debian"}},
		},
		{
			name: "a codename newer than the table, from the host's own vendor",
			files: map[string]string{
				"etc/os-release":       debianOS,
				"etc/apt/sources.list": "deb http://deb.mirror.example/debian zzyzx main\n",
			},
			want: map[Vendor]Mirror{VendorDebian: {Archive: "http://deb.mirror.example/debian"}},
		},
		{
			name: "Enabled: no is not a mirror",
			files: map[string]string{
				"etc/os-release":                   debianOS,
				"etc/apt/sources.list.d/d.sources": "Enabled: no\nTypes: deb\nURIs: http://deb.mirror.example/debian\nSuites: bookworm\nComponents: main\n",
			},
			noMirr: true,
		},
		{
			name: "only third-party repositories",
			files: map[string]string{
				"etc/os-release":                     debianOS,
				"etc/apt/sources.list.d/docker.list": "deb [signed-by=/etc/apt/keyrings/docker.asc] https://docker.example/linux/debian bookworm stable\n",
				"etc/apt/sources.list.d/node.list":   "deb [signed-by=/etc/apt/keyrings/node.gpg] https://node.example/node_20.x nodistro main\n",
			},
			noMirr: true,
		},
		{
			name:   "no apt at all",
			files:  map[string]string{"etc/os-release": "ID=fedora\nVERSION_ID=41\n"},
			noMirr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := hostRoot(t, tt.files)
			got, err := HostMirrors(root)
			if tt.noMirr {
				if !errors.Is(err, ErrNoMirror) || !strings.Contains(err.Error(), "set mirror: in backport.yaml") {
					t.Fatalf("HostMirrors = %+v, %v; want ErrNoMirror saying to set mirror:", got.Vendors, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Vendors) != len(tt.want) {
				t.Errorf("vendors = %+v, want %+v", got.Vendors, tt.want)
			}
			for v, m := range tt.want {
				if got.For(v) != m {
					t.Errorf("%s: %+v, want %+v", v, got.For(v), m)
				}
			}
		})
	}
}

func TestHostMirrorsBrokenFile(t *testing.T) {
	t.Parallel()
	root := hostRoot(t, map[string]string{"etc/apt/sources.list": "deb http://x.example/debian\n"})
	_, err := HostMirrors(root)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 1 {
		t.Errorf("HostMirrors = %v; want the file and line", err)
	}
}

// TestHostMirrorsOnThisMachine reads the real /etc/apt: the production
// path. On a machine without apt it is skipped, except under CI=true,
// whose machines are Debian and must have a mirror configured.
func TestHostMirrorsOnThisMachine(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/etc/apt"); err != nil {
		testtool.SkipOrFail(t, "no /etc/apt on this machine")
	}
	m, err := HostMirrors("/")
	if err != nil {
		t.Fatal(err)
	}
	found := ""
	for _, v := range []Vendor{VendorDebian, VendorUbuntu} {
		if a := m.For(v).Archive; a != "" {
			found = a
			if !strings.HasPrefix(a, "http://") && !strings.HasPrefix(a, "https://") && !strings.HasPrefix(a, "file:") {
				t.Errorf("%s archive %q is not a URL", v, a)
			}
			if strings.HasSuffix(a, "/") {
				t.Errorf("%s archive %q keeps its trailing slash", v, a)
			}
		}
	}
	if found == "" {
		t.Fatalf("no Debian or Ubuntu archive among %d apt sources", len(m.Sources))
	}
	t.Logf("host mirrors: %+v", m.Vendors)
}
