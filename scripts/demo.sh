#!/usr/bin/env bash
# The main job on real material, with the embedded defaults: builds
# bin/backport, then turns the real Debian changelog of hello 2.10-3
# (bookworm) and a project-written spec into hotfixes, proving each result
# with the distro's own tools.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_go
ensure_packages dpkg-dev rpm
build_backport
bp=$PWD/bin/backport
echo "built $("$bp" version)"

work=$(mktemp -d "${TMPDIR:-/tmp}/backport-demo.XXXXXX")
mkdir -p "$work/hello-2.10/debian"
cp testdata/changelogs/hello-2.10-3.changelog "$work/hello-2.10/debian/changelog"
cp testdata/demo/httpd.spec "$work/httpd.spec"

export DEBFULLNAME=${DEBFULLNAME:-Backport Demo} DEBEMAIL=${DEBEMAIL:-demo@example.org}

echo
echo "== hello 2.10-3 → upstream 2.12.3 on bookworm (what would change)"
"$bp" bump "$work/hello-2.10" --version 2.12.3 --suite bookworm --cve CVE-2024-0001 --dry-run
echo
echo "== the same, written"
"$bp" bump "$work/hello-2.10" --version 2.12.3 --suite bookworm --cve CVE-2024-0001
dpkg-parsechangelog -l "$work/hello-2.10/debian/changelog" -S Version

echo
echo "== httpd.spec: patch on the same version, then a new upstream"
"$bp" bump "$work/httpd.spec" --version 2.4.57 --cve CVE-2024-0002
"$bp" bump "$work/httpd.spec" --version 2.4.58 --cve CVE-2024-0003
rpmspec -q --srpm --define 'dist .el9' --qf '%{VERSION}-%{RELEASE}\n' "$work/httpd.spec"

echo
echo "results in $work"
