package recipe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Mirror is where a vendor's archive is reached from this host.
type Mirror struct {
	Archive  string // base URL serving the release and its -updates suite
	Security string // base URL serving -security; "" when the host lists none
}

// Mirrors are the Debian and Ubuntu archives the host's apt uses. backport
// takes its mirror from there rather than from a built-in host name: the
// host's choice is reachable (proxies, firewalls, local mirrors) and was
// made by its administrator.
type Mirrors struct {
	Sources []AptSource
	Vendors map[Vendor]Mirror
}

// For is the mirror of vendor; empty fields when the host has none.
func (m Mirrors) For(v Vendor) Mirror { return m.Vendors[v] }

// Suite names apt sources use besides the codenames in the target table.
var (
	debianCodenames = []string{"stretch", "buster", "forky", "duke", "sid"}
	debianAliases   = []string{"stable", "oldstable", "oldoldstable", "testing", "unstable", "experimental"}
	ubuntuCodenames = []string{"xenial", "bionic", "oracular", "plucky", "questing"}
)

// suiteVendor says whose suite base is, and how sure that is: a codename is
// the vendor's own (2); "stable" and friends are Debian's names but also
// common in third-party repositories (1).
func suiteVendor(base string) (Vendor, int) {
	for _, t := range builtinTargets() {
		if t.Codename == base {
			return t.Vendor, 2
		}
	}
	switch {
	case slices.Contains(ubuntuCodenames, base):
		return VendorUbuntu, 2
	case slices.Contains(debianCodenames, base):
		return VendorDebian, 2
	case slices.Contains(debianAliases, base):
		return VendorDebian, 1
	}
	return "", 0
}

// splitSuite strips the pocket from a suite: bookworm-security → bookworm,
// security. "buster/updates" is how Debian named security suites before 11.
func splitSuite(suite string) (base string, security bool) {
	if b, ok := strings.CutSuffix(suite, "/updates"); ok {
		return b, true
	}
	if b, ok := strings.CutSuffix(suite, "-security"); ok {
		return b, true
	}
	for _, pocket := range []string{"-updates", "-backports", "-proposed", "-proposed-updates"} {
		if b, ok := strings.CutSuffix(suite, pocket); ok {
			return b, false
		}
	}
	return suite, false
}

// keyringScore rates an entry's Signed-By: the vendor's own archive keyring
// is strong evidence (2), no Signed-By is neutral (0), and any other key
// means a third-party repository that merely reuses a suite name (-1).
func keyringScore(signedBy string, v Vendor) int {
	if signedBy == "" {
		return 0
	}
	for _, k := range strings.FieldsFunc(signedBy, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		if strings.HasPrefix(filepath.Base(k), string(v)+"-archive-") {
			return 2
		}
	}
	return -1
}

// HostMirrors reads the apt sources under root ("/" on a real host; a test
// directory in tests) and picks, per vendor, the archive and security
// mirrors: the URIs of enabled entries whose suites are that vendor's and
// whose components include main. It fails with ErrNoMirror when there is
// neither a Debian nor an Ubuntu archive; there is no built-in fallback.
func HostMirrors(root string) (Mirrors, error) {
	srcs, err := ReadAptSources(root)
	if err != nil {
		return Mirrors{}, err
	}
	m := Mirrors{Sources: srcs, Vendors: map[Vendor]Mirror{}}
	hostVendor := osReleaseVendor(root)
	type pick struct {
		uri   string
		score int
	}
	type slot struct {
		vendor   Vendor
		security bool
	}
	best := map[slot]pick{}
	for _, src := range srcs {
		if !slices.Contains(src.Components, "main") {
			continue
		}
		for _, suite := range src.Suites {
			base, security := splitSuite(suite)
			vendor, score := suiteVendor(base)
			if vendor == "" {
				vendor = hostVendor // a codename newer than this table
			}
			ks := keyringScore(src.SignedBy, vendor)
			if vendor == "" || ks < 0 {
				continue
			}
			for _, uri := range src.URIs {
				u := resolveMirrorURI(root, uri)
				if u == "" {
					continue
				}
				s := slot{vendor, security}
				if cur, ok := best[s]; !ok || score+ks > cur.score {
					best[s] = pick{u, score + ks}
				}
			}
		}
	}
	for s, p := range best {
		mi := m.Vendors[s.vendor]
		if s.security {
			mi.Security = p.uri
		} else {
			mi.Archive = p.uri
		}
		m.Vendors[s.vendor] = mi
	}
	for v, mi := range m.Vendors {
		if mi.Archive == "" { // a security suite alone is no archive to build from
			delete(m.Vendors, v)
		}
	}
	if len(m.Vendors) == 0 {
		return m, fmt.Errorf("no Debian or Ubuntu archive in the apt sources under %s: %w",
			filepath.Join(root, "etc", "apt"), ErrNoMirror)
	}
	return m, nil
}

// resolveMirrorURI turns an apt URI into a base URL backport can fetch
// from, or "" for one it cannot use (cdrom:, tor+http:, a remote mirror
// list). "mirror+file:" lists, as Debian's cloud images use, are read.
func resolveMirrorURI(root, uri string) string {
	uri = strings.TrimRight(uri, "/")
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return ""
	}
	switch scheme {
	case "http", "https", "file":
		return uri
	case "mirror+file":
		data, err := os.ReadFile(filepath.Join(root, strings.TrimPrefix(rest, "//")))
		if err != nil {
			return ""
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			// A mirror list line is a URI, optionally followed by a tab and
			// metadata such as priority:1.
			first := strings.Fields(line)[0]
			if s, _, _ := strings.Cut(first, ":"); s == "http" || s == "https" {
				return strings.TrimRight(first, "/")
			}
		}
	}
	return ""
}

// osReleaseVendor is the host's own vendor when it is Debian or Ubuntu (or
// built on one), for suites the codename table does not know yet.
func osReleaseVendor(root string) Vendor {
	var data []byte
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		d, err := os.ReadFile(filepath.Join(root, p))
		if err == nil {
			data = d
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return ""
		}
	}
	kv := ParseOSRelease(data)
	ids := append([]string{kv["ID"]}, strings.Fields(kv["ID_LIKE"])...)
	switch {
	case slices.Contains(ids, "ubuntu"):
		return VendorUbuntu
	case slices.Contains(ids, "debian"):
		return VendorDebian
	}
	return ""
}
