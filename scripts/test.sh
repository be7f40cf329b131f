#!/usr/bin/env bash
# Installs what the tests need (only what is missing), then runs the whole
# check: gofmt, go vet, staticcheck, go test, and a short run of every fuzz
# target. This is the command CI runs (.ci/run) and the README gives.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_go
# rpm: rpmspec, rpmbuild, rpmsign and rpm's vercmp; dpkg-dev:
# dpkg-parsechangelog, dpkg-source; the archive tools and patch cross-check
# our extractor and diffs; gnupg signs test packages; createrepo-c makes
# real yum repodata; podman (with runc, and catatonit for --init) and
# debootstrap run the container tests; gcc builds a test shared library;
# dash and busybox run install.sh as the servers' shells would; gpgv
# checks signatures as install.sh does.
ensure_packages rpm dpkg-dev tar gzip bzip2 xz-utils zstd cpio patch diffutils gnupg gpgv createrepo-c \
	podman runc catatonit debootstrap uidmap gcc dash busybox

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go tool staticcheck ./...

echo "== go test"
# The real-build tests (jq through several loop attempts) take a while:
# go test's 10-minute default is too short for cmd/backport.
go test -count=1 -timeout 50m ./...

echo "== fuzz (${FUZZTIME:=10s} each)"
# Every Fuzz* function, run briefly so that new crashers show up in CI.
grep -rl --include='*_test.go' '^func Fuzz' pkg | sort | while read -r file; do
	dir=./$(dirname "$file")
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
		echo "-- $dir $target"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 50x "$dir"
	done
done
echo "== all checks passed"
