#!/usr/bin/env bash
# Times `backport build hello 2.10` cold (no download cache, no deps layer)
# and warm, against raw dpkg-buildpackage in the same deps image on the same
# prepared tree, and prints the times and ratios from this one run.
# Target: warm backport ≤ 1.10 × raw.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_go
ensure_packages podman runc catatonit debootstrap dpkg-dev jq bc
build_backport
bp=$PWD/bin/backport
target=${TARGET:-debian-12}

work=$(mktemp -d "${TMPDIR:-/tmp}/backport-bench.XXXXXX")
cd "$work"
export XDG_CACHE_HOME="$work/cache"

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }

# The builder image is a one-off per definition; make sure it exists so that
# "cold" measures a package's first build, not the bootstrap.
"$bp" image build "$target" >/dev/null
# Cold: drop this package's deps layers.
"$bp" image prune >/dev/null

t0=$(now)
"$bp" build hello 2.10 --target "$target" --json >cold.json
t1=$(now)
"$bp" build hello 2.10 --target "$target" --json >warm.json
t2=$(now)

layer=$(jq -r '.attempts[-1].steps[] | select(.name=="deps") | .reason' warm.json | sed -n 's/.*already in \([^ ]*\).*/\1/p')
[ -n "$layer" ] || { echo "bench: the warm build did not reuse a deps layer" >&2; exit 1; }
build=$(jq -r '.attempts[-1].log' warm.json | sed 's|/logs/.*|/build|')
rm -rf raw && cp -a "$build" raw
tree=$(find raw -mindepth 1 -maxdepth 1 -type d | head -n1)
conf=${CONTAINERS_CONF:-$HOME/.config/backport/containers.conf}
[ -f "$conf" ] && export CONTAINERS_CONF="$conf"
t3=$(now)
podman run --rm --init --network none -v "$PWD/raw:/b" -w "/b/$(basename "$tree")" "$layer" \
	dpkg-buildpackage -us -uc -b >raw.log 2>&1
t4=$(now)

cold=$(secs "$t0" "$t1"); warm=$(secs "$t1" "$t2"); raw=$(secs "$t3" "$t4")
printf '%-28s %8.1f s\n' "backport build, cold" "$cold" "backport build, warm" "$warm" "raw dpkg-buildpackage" "$raw"
printf '%-28s %8.2f ×\n' "warm / raw (target ≤ 1.10)" "$(echo "$warm / $raw" | bc -l)" "cold / raw" "$(echo "$cold / $raw" | bc -l)"
jq -r '"warm deps step: " + (.attempts[-1].steps[] | select(.name=="deps") | if .skipped then "skipped (" + .reason + ")" else "ran" end)' warm.json
rm -rf "$work"
