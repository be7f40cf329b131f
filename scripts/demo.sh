#!/usr/bin/env bash
# The main job on a fresh machine with the embedded defaults: builds
# bin/backport, checks the machine (backport doctor), builds hello 2.10 for
# Debian 12 as a hotfix in a container bootstrapped from the mirror in this
# host's apt sources, fetches and verifies hello 2.12.3 for the next step,
# and bumps a project-written RPM spec. Each result is checked with the
# distro's own tools.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_go
ensure_packages dpkg-dev rpm debian-archive-keyring podman runc catatonit debootstrap uidmap
build_backport
bp=$PWD/bin/backport
echo "built $("$bp" version)"

work=$(mktemp -d "${TMPDIR:-/tmp}/backport-demo.XXXXXX")
cd "$work"
export DEBFULLNAME=${DEBFULLNAME:-Backport Demo} DEBEMAIL=${DEBEMAIL:-demo@example.org}
# A cache of the demo's own, so that the first fetch really downloads.
export XDG_CACHE_HOME="$work/cache"

echo
echo "== doctor"
"$bp" doctor --target debian-12

echo
echo "== build: hello 2.10 as a hotfix for debian-12 (the first run bootstraps the builder image)"
"$bp" build hello 2.10 --target debian-12 >packages.txt
cat packages.txt
deb=$(grep '/hello_.*\.deb$' packages.txt)
dpkg-deb -f "$deb" Package Version

echo
echo "== fetch: hello 2.12.3 for debian-12 (distro source + upstream, verified)"
tree=$("$bp" fetch hello 2.12.3 --target debian-12)
echo "tree: $tree"
echo
echo "== fetch again: served from the cache, no network"
"$bp" fetch hello 2.12.3 --target debian-12 >/dev/null

echo
echo "== bump the fetched tree to the hotfix version (what would change)"
"$bp" bump "$tree" --version 2.12.3 --suite bookworm --cve CVE-2024-0001 --dry-run
"$bp" bump "$tree" --version 2.12.3 --suite bookworm --cve CVE-2024-0001 >/dev/null
echo "dpkg-parsechangelog reads: $(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)"

echo
echo "== an RPM spec: a patch on the same version, then a new upstream"
cp "$OLDPWD/testdata/demo/httpd.spec" httpd.spec
"$bp" bump httpd.spec --version 2.4.57 --cve CVE-2024-0002 >/dev/null
"$bp" bump httpd.spec --version 2.4.58 --cve CVE-2024-0003 >/dev/null
echo "rpmspec reads: $(rpmspec -q --srpm --define 'dist .el9' --qf '%{VERSION}-%{RELEASE}\n' httpd.spec)"

echo
echo "results in $work (workspace: $work/.backport/work)"
