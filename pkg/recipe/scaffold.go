package recipe

import "strings"

// scaffold is the starting point for `backport recipe new NAME`. It parses
// as it stands (a test keeps it so), and every line to change says so.
const scaffold = `# Recipe for NAME: how backport fetches, verifies and packages it.
# The schema is in specs/README.md of the backport source.
name: NAME
summary: "TODO: one line about NAME"

upstream:
  # Tried in order. Templates may use {{.Name}}, {{.Version}}, {{.Target}}
  # and {{.DebianMirror}} (the Debian mirror backport uses, no trailing /).
  urls:
    - https://example.org/releases/NAME-{{.Version}}.tar.gz   # TODO: the project's release URL
    - "{{.DebianMirror}}/pool/main/PREFIX/NAME/NAME_{{.Version}}.orig.tar.gz"
  # Fetch refuses a tarball it cannot verify. Give at least one way; each
  # that applies is tried.
  verify:
    # Debian suites whose signed Sources index lists NAME_VERSION.orig.tar.*.
    distro_index: [unstable, testing]
    # A hash pinned per version:
    # sha256:
    #   "1.2.3": 0123…(64 hex digits)
    # A SHA256SUMS-style file; {{.URL}} is the tarball being verified:
    # checksums: "https://example.org/releases/SHA256SUMS"
    # An OpenPGP detached signature:
    # signature: "{{.URL}}.sig"
    # The signer's public key, relative to this file. Without it, the
    # distro source package's debian/upstream/signing-key.asc is used:
    # keyring: keys/NAME.asc

# Debian and Ubuntu targets. Remove the section if NAME is not built for them.
deb:
  source: NAME           # the Debian source package
  services: []           # systemd units to restart after install
  health: "NAME --version"   # exits 0 when the installed package works

# EL and Fedora targets: uncomment to build for them.
# rpm:
#   repo_package: NAME   # the package in the target's repos; or
#   # srpm: "https://example.org/NAME-{{.Version}}-1.src.rpm"
#   services: []
#   health: "NAME --version"
`

// Scaffold returns a commented recipe template for name, ready to edit.
// The caller checks name with CheckName first.
func Scaffold(name string) []byte {
	prefix := name
	if len(name) > 0 {
		prefix = name[:1]
	}
	// Debian's pool splits lib* packages by four letters: pool/main/libx/libxml2.
	if strings.HasPrefix(name, "lib") && len(name) > 3 {
		prefix = name[:4]
	}
	text := strings.ReplaceAll(scaffold, "PREFIX", prefix)
	return []byte(strings.ReplaceAll(text, "NAME", name))
}
