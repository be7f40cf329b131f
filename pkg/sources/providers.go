package sources

import (
	"context"
	"log/slog"
	"runtime"

	"github.com/backport/backport/pkg/fetch"
	"github.com/backport/backport/pkg/recipe"
)

// Providers returns a lookup of the packages that ship paths in the
// Debian-family target's signed Contents indexes (its own suites, for the
// build-deps-changed remedy), or nil for targets with no such index.
func Providers(t recipe.Target, cache *fetch.Cache, log *slog.Logger) func(ctx context.Context, patterns []string) (map[string]string, error) {
	if t.Family != recipe.FamilyDeb || t.Mirror == "" {
		return nil
	}
	archive := &fetch.DebianArchive{Mirror: t.Mirror, Keyring: t.Keyring, Cache: cache, Logger: log}
	return func(ctx context.Context, patterns []string) (map[string]string, error) {
		return archive.FindProviders(ctx, suiteRefs(t), DebianArch(runtime.GOARCH), patterns)
	}
}

// DebianArch is Debian's name for a Go architecture.
func DebianArch(goarch string) string {
	switch goarch {
	case "386":
		return "i386"
	case "arm":
		return "armhf"
	case "ppc64le":
		return "ppc64el"
	}
	return goarch
}
