# Shared helpers for scripts/*.sh. Source it; it defines functions only.

# ensure_go puts the machine's Go toolchain on PATH when it is not there.
ensure_go() {
	if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
		PATH="/usr/local/go/bin:$PATH"
		export PATH
	fi
	command -v go >/dev/null 2>&1 || { echo "go is not installed (need Go >= 1.26)" >&2; exit 1; }
}

# ensure_packages installs the named Debian packages that are missing,
# running apt-get update at most once, and nothing when all are present.
ensure_packages() {
	missing=""
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	echo "installing:$missing" >&2
	$sudo apt-get update -qq >&2
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
}

# build_backport builds ./bin/backport with version information stamped in.
build_backport() {
	ver=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
	date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	go build -trimpath -ldflags "-X main.version=$ver -X main.commit=$commit -X main.date=$date" \
		-o bin/backport ./cmd/backport
}
