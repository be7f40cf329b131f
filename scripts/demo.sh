#!/usr/bin/env bash
# The main job on a fresh machine with the embedded defaults: builds
# bin/backport, checks the machine (backport doctor), builds hello 2.10 for
# Debian 12 as a hotfix in a container (its base pulled from a registry, or
# bootstrapped from the mirror in this host's apt sources when there is
# none), installs the bundle on a fresh container with its install.sh,
# builds hello 2.12.3 on bookworm's packaging through the rebuild loop, and
# bumps a project-written RPM spec. Each result is checked with the distro's
# own tools.
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
echo "== build: hello 2.10 as a hotfix for debian-12 (the first run makes the builder image)"
"$bp" build hello 2.10 --target debian-12 >packages.txt
cat packages.txt
deb=$(grep '/hello_.*\.deb$' packages.txt)
dpkg-deb -f "$deb" Package Version
bundle=$(dirname "$(dirname "$deb")")
ls "$bundle"

echo
echo "== the bundle on a fresh 'server' (a container with no hello): install.sh --check, install.sh, hello --version"
conf=${XDG_CONFIG_HOME:-$HOME/.config}/backport/containers.conf
if [ -z "${CONTAINERS_CONF:-}" ] && [ -f "$conf" ]; then export CONTAINERS_CONF=$conf; fi
podman run --rm --network none -v "$bundle:/bundle:ro" localhost/backport/builder:debian-12 \
	/bin/sh -c 'cp -r /bundle /tmp/b && cd /tmp/b && ./install.sh --check && ./install.sh && hello --version | head -1'

echo
echo "== build: hello 2.12.3 (new upstream) on bookworm's 2.10-3 packaging: the loop fixes dh_autoreconf"
"$bp" build hello 2.12.3 --target debian-12 --packaging bookworm >packages-2.12.3.txt
ws=.backport/work/hello-2.12.3-debian-12
sed -n '1,/^## Remedies/p' "$ws/report.md" | head -30
echo "-- packaging.diff:"
cat "$ws/packaging.diff"
deb=$(grep '/hello_.*\.deb$' packages-2.12.3.txt)
dpkg-deb -f "$deb" Package Version

echo
echo "== fetch hello 2.12.3 again: served from the cache, no network"
tree=$("$bp" fetch hello 2.12.3 --target debian-12 --packaging bookworm --fresh)
echo "tree: $tree"

echo
echo "== an RPM spec: a patch on the same version, then a new upstream"
cp "$OLDPWD/testdata/demo/httpd.spec" httpd.spec
"$bp" bump httpd.spec --version 2.4.57 --cve CVE-2024-0002 >/dev/null
"$bp" bump httpd.spec --version 2.4.58 --cve CVE-2024-0003 >/dev/null
echo "rpmspec reads: $(rpmspec -q --srpm --define 'dist .el9' --qf '%{VERSION}-%{RELEASE}\n' httpd.spec)"

echo
echo "results in $work (workspace: $work/.backport/work)"
