package fetch

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/archivetest"
	"github.com/backport/backport/pkg/exitcode"
)

// contentsArchive serves stable and stable-security with Contents indexes
// as dak writes them: Contents-amd64 for architecture-specific packages,
// Contents-all for Architecture: all ones.
func contentsArchive(t *testing.T) (*archivetest.Archive, *DebianArchive) {
	t.Helper()
	a := archivetest.New(t)
	a.AddSuite("stable", "stable-security", "bare")
	a.Publish()
	a.AddContents("stable", "amd64", map[string][]string{
		"bison":       {"usr/bin/bison", "usr/bin/yacc"},
		"byacc":       {"usr/bin/byacc", "usr/bin/yacc"},
		"libonig-dev": {"usr/include/onig.h", "usr/lib/x86_64-linux-gnu/pkgconfig/oniguruma.pc", "usr/lib/x86_64-linux-gnu/libonig.so"},
		"libonig5":    {"usr/lib/x86_64-linux-gnu/libonig.so.5"},
		// A non-dev package shipping a header (a compatibility copy) must
		// not win over the -dev package for a header pattern.
		"onig-tools":     {"usr/include/onig.h", "usr/bin/onig"},
		"docs-with-gaps": {"usr/share/doc/docs-with-gaps/READ ME"},
	})
	a.AddContents("stable", "all", map[string][]string{
		"autoconf": {"usr/bin/autoconf", "usr/share/aclocal/autoconf.m4"},
	})
	a.AddContents("stable-security", "amd64", map[string][]string{
		"libonig5": {"usr/lib/x86_64-linux-gnu/libonig.so.5"},
		"zlib1g":   {"usr/lib/x86_64-linux-gnu/libz.so.1"},
	})
	arch := &DebianArchive{Mirror: a.URL(), Keyring: a.Keyring(t), Cache: newTestCache(t)}
	return a, arch
}

var contentsSuites = []SuiteRef{{Suite: "stable"}, {Suite: "stable-security"}}

func TestFindProviders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		patterns []string
		want     map[string]string
		readsAll bool // whether Contents-all must be read
	}{
		{"plain paths", []string{"usr/bin/bison", "usr/include/onig.h"},
			map[string]string{"usr/bin/bison": "bison", "usr/include/onig.h": "libonig-dev"}, false},
		{"a wildcard per element", []string{"usr/lib/*/pkgconfig/oniguruma.pc", "usr/lib/*/libonig.so"},
			map[string]string{"usr/lib/*/pkgconfig/oniguruma.pc": "libonig-dev", "usr/lib/*/libonig.so": "libonig-dev"}, false},
		{"a wildcard does not cross a slash", []string{"usr/*/oniguruma.pc"}, map[string]string{}, true},
		{"several shippers: the name with the stem", []string{"usr/bin/yacc", "usr/bin/byacc"},
			map[string]string{"usr/bin/yacc": "byacc", "usr/bin/byacc": "byacc"}, false},
		{"from the security suite", []string{"usr/lib/*/libz.so.1"}, map[string]string{"usr/lib/*/libz.so.1": "zlib1g"}, false},
		{"a path with a space", []string{"usr/share/doc/*/READ ME"},
			map[string]string{"usr/share/doc/*/READ ME": "docs-with-gaps"}, false},
		{"an Architecture: all package", []string{"usr/bin/autoconf", "usr/bin/bison"},
			map[string]string{"usr/bin/autoconf": "autoconf", "usr/bin/bison": "bison"}, true},
		{"nothing ships it", []string{"usr/bin/nonesuch"}, map[string]string{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, arch := contentsArchive(t)
			if !tt.readsAll {
				// Listed but not served: reading it would fail the call.
				a.Remove("dists/stable/main/Contents-all.gz")
			}
			got, err := arch.FindProviders(context.Background(), contentsSuites, "amd64", tt.patterns)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FindProviders(%q) = %v, want %v", tt.patterns, got, tt.want)
			}
		})
	}
}

// A second lookup is served from the cache: only the InRelease files are
// asked for again.
func TestFindProvidersCached(t *testing.T) {
	t.Parallel()
	a, arch := contentsArchive(t)
	ctx := context.Background()
	patterns := []string{"usr/bin/bison"}
	if _, err := arch.FindProviders(ctx, contentsSuites, "amd64", patterns); err != nil {
		t.Fatal(err)
	}
	a.ResetRequests()
	again := &DebianArchive{Mirror: arch.Mirror, Keyring: arch.Keyring, Cache: arch.Cache}
	got, err := again.FindProviders(ctx, contentsSuites, "amd64", patterns)
	if err != nil || got["usr/bin/bison"] != "bison" {
		t.Fatalf("FindProviders = %v, %v", got, err)
	}
	if n := a.Requests(); n != len(contentsSuites) {
		t.Errorf("%d requests for a cached lookup, want %d (the InRelease files)", n, len(contentsSuites))
	}
}

func TestFindProvidersRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("tampered index", func(t *testing.T) {
		t.Parallel()
		a, arch := contentsArchive(t)
		p := "dists/stable/main/Contents-amd64.gz"
		bad := archivetest.Corrupt(a.File(p))
		a.SetFile(p, bad)
		_, err := arch.FindProviders(ctx, contentsSuites, "amd64", []string{"usr/bin/bison"})
		if exitcode.Of(err) != exitcode.Verification {
			t.Fatalf("err = %v (exit %d), want a verification failure", err, exitcode.Of(err))
		}
		if cacheHolds(t, arch.Cache.Dir(), bad) {
			t.Error("the cache holds the tampered index")
		}
	})
	t.Run("no index", func(t *testing.T) {
		t.Parallel()
		_, arch := contentsArchive(t)
		_, err := arch.FindProviders(ctx, []SuiteRef{{Suite: "bare"}}, "amd64", []string{"usr/bin/bison"})
		if err == nil || !strings.Contains(err.Error(), "no Contents-amd64 index in bare") {
			t.Fatalf("err = %v", err)
		}
	})
	for _, bad := range [][]string{nil, {""}, {"/usr/bin/bison"}, {"usr/lib/[x"}} {
		_, arch := contentsArchive(t)
		if _, err := arch.FindProviders(ctx, contentsSuites, "amd64", bad); err == nil {
			t.Errorf("FindProviders(%q) accepted", bad)
		}
	}
	_, arch := contentsArchive(t)
	if _, err := arch.FindProviders(ctx, contentsSuites, "../amd64", []string{"usr/bin/bison"}); err == nil {
		t.Error("an architecture with a slash was accepted")
	}
}

func TestContentsRank(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		pkgs    []string
		want    string
	}{
		{"usr/include/zlib.h", []string{"zlib-doc", "zlib1g-dev", "libz-mingw-w64-dev"}, "zlib1g-dev"},
		{"usr/lib/*/pkgconfig/oniguruma.pc", []string{"oniguruma-tools", "libonig-dev"}, "libonig-dev"},
		{"usr/lib/*/libssl.so", []string{"libssl3", "libssl-dev"}, "libssl-dev"},
		{"usr/share/aclocal/pkg.m4", []string{"pkgconf", "pkg-config-dev"}, "pkg-config-dev"},
		{"usr/bin/make", []string{"remake", "make", "make-guile"}, "make"},
		{"usr/bin/*", []string{"zz", "aa", "bbb"}, "aa"},
	}
	for _, tt := range tests {
		m, err := newContentsMatcher([]string{tt.pattern})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range tt.pkgs {
			m.found[0][p] = true
		}
		if got := m.result()[tt.pattern]; got != tt.want {
			t.Errorf("%s from %v: %s, want %s", tt.pattern, tt.pkgs, got, tt.want)
		}
	}
}

// FuzzContentsScan feeds arbitrary index text to the scanner: it must not
// panic, and every provider it reports is a plain package name.
func FuzzContentsScan(f *testing.F) {
	f.Add("usr/bin/bison                      devel/bison\n")
	f.Add("FILE LOCATION\nusr/include/onig.h libdevel/libonig-dev,misc/onig-tools\n")
	f.Add("usr/share/doc/x/READ ME\tdoc/x\n/\n \n,,/\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := newContentsMatcher([]string{"usr/bin/*", "usr/include/onig.h", "*/*/*"})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.scan(strings.NewReader(text)); err != nil {
			return
		}
		for pattern, pkg := range m.result() {
			if pkg == "" || strings.ContainsAny(pkg, "/, \t\n") {
				t.Errorf("%s: provider %q", pattern, pkg)
			}
		}
	})
}

// TestRealFindProviders looks two providers up in bookworm's real Contents
// index (about 12 MB, once per run): the case the build-deps remedy meets
// with jq's new upstream.
func TestRealFindProviders(t *testing.T) {
	if testing.Short() {
		t.Skip("real-mirror test skipped in -short mode")
	}
	mirror, security := hostMirrors(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cache, err := NewCache(t.TempDir(), NewClient(ClientOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	arch := &DebianArchive{Mirror: mirror, Keyring: debianKeyring, Cache: cache,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	suites := []SuiteRef{{Suite: "bookworm"}, {Suite: "bookworm-updates"}}
	if security != "" {
		suites = append(suites, SuiteRef{Mirror: security, Suite: "bookworm-security"})
	}
	if _, err := arch.Release(ctx, suites[0]); err != nil {
		var ne net.Error
		var oe *net.OpError
		if os.Getenv("CI") == "" && (errors.As(err, &ne) || errors.As(err, &oe)) {
			t.Skipf("mirror unreachable: %v", err)
		}
		t.Fatal(err)
	}
	start := time.Now()
	patterns := []string{"usr/bin/bison", "usr/lib/*/pkgconfig/oniguruma.pc"}
	got, err := arch.FindProviders(ctx, suites, "amd64", patterns)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"usr/bin/bison": "bison", "usr/lib/*/pkgconfig/oniguruma.pc": "libonig-dev"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FindProviders = %v, want %v", got, want)
	}
	t.Logf("looked up %d paths in %s", len(patterns), time.Since(start).Round(time.Millisecond))
}
