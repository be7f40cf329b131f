package fetch

import (
	"strings"
	"testing"
	"time"
)

const bookwormRelease = `Origin: Debian
Label: Debian
Suite: oldstable
Version: 12.11
Codename: bookworm
Changelogs: https://metadata.ftp-master.example.invalid/changelogs/@CHANGEPATH@_changelog
Date: Sat, 11 Jul 2026 10:16:37 UTC
Valid-Until: Sat, 1 Aug 2026 10:16:37 UTC
Acquire-By-Hash: yes
No-Support-for-Architecture-all: Packages
Architectures: all amd64 arm64
Components: main contrib non-free-firmware non-free
Description: Debian 12.11 Released 17 May 2025
MD5Sum:
 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
SHA256:
 3957f28db16e3f28c7b34ae84f1c929c567de6970f3f1b95dac9b498dd80fe63   738242 contrib/Contents-all
 2dfb0f7de1c9b4ec1c1e5bfb13fde1ad5e8a33e1dc4bf9b1a6e0ccb1b1c5e6a7 10234567 main/source/Sources.xz
`

func TestParseRelease(t *testing.T) {
	t.Parallel()
	r, err := ParseRelease([]byte(bookwormRelease))
	if err != nil {
		t.Fatal(err)
	}
	if r.Suite != "oldstable" || r.Codename != "bookworm" || r.Origin != "Debian" || !r.AcquireByHash {
		t.Errorf("parsed %+v", r)
	}
	if want := time.Date(2026, 7, 11, 10, 16, 37, 0, time.UTC); !r.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", r.Date, want)
	}
	if want := time.Date(2026, 8, 1, 10, 16, 37, 0, time.UTC); !r.ValidUntil.Equal(want) {
		t.Errorf("Valid-Until = %v, want %v", r.ValidUntil, want)
	}
	if len(r.Components) != 4 || r.Components[0] != "main" {
		t.Errorf("Components = %v", r.Components)
	}
	src := r.SHA256["main/source/Sources.xz"]
	if src.Size != 10234567 || !strings.HasPrefix(src.SHA256, "2dfb0f7d") || len(r.SHA256) != 2 {
		t.Errorf("SHA256 = %v", r.SHA256)
	}
	if !r.matches("bookworm") || !r.matches("oldstable") || r.matches("trixie") {
		t.Error("suite matching")
	}
	if _, err := parseReleaseTime("Sat, 11 Jul 2026 10:16:37 +0000"); err != nil {
		t.Errorf("numeric zone: %v", err)
	}
}

func TestParseReleaseRejects(t *testing.T) {
	t.Parallel()
	for name, text := range map[string]string{
		"empty":              "",
		"no suite":           "Origin: Debian\n",
		"bad date":           "Suite: x\nDate: yesterday\n",
		"bad Valid-Until":    "Suite: x\nValid-Until: 2026-07-11\n",
		"short SHA256 line":  "Suite: x\nSHA256:\n abc 12\n",
		"bad size":           "Suite: x\nSHA256:\n " + sumA + " -1 main/source/Sources.xz\n",
		"repeated field":     "Suite: x\nSuite: y\n",
		"not a field":        "Suite: x\nthis is not a field\n",
		"nested signed text": "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nSuite: x\n",
	} {
		if _, err := ParseRelease([]byte(text)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func FuzzParseRelease(f *testing.F) {
	f.Add([]byte(bookwormRelease))
	f.Add([]byte("Suite: x\nSHA256:\n " + sumA + " 1 a\n .\n\n\nSuite: y\n"))
	f.Add([]byte("Suite: x\r\nValid-Until: Mon, 2 Jan 2006 15:04:05 -0700 (MST)\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRelease(data)
		if err != nil {
			return
		}
		if r.Suite == "" && r.Codename == "" {
			t.Error("parsed a Release with neither Suite nor Codename")
		}
		for p, f := range r.SHA256 {
			if p != f.Name || f.Size < 0 || len(f.SHA256) != 64 {
				t.Errorf("bad entry %q: %+v", p, f)
			}
		}
	})
}
