package fetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// FindProviders answers "which package ships this file?" from the suites'
// Contents indexes, as apt-file does: when a build names a missing tool or
// library, the package that provides it is added to the build
// dependencies.
//
// patterns are paths without the leading slash; a "*" (and path.Match's
// "?" and "[…]") stands within one path element:
// "usr/lib/*/pkgconfig/oniguruma.pc", "usr/bin/bison", "usr/include/onig.h".
// The result maps each pattern that some package ships to that package;
// patterns nothing ships are left out.
//
// Contents-<arch> is read first, for every suite; Contents-all (files of
// Architecture: all packages, which Debian lists apart since 2019) only
// when a pattern is still unmatched, as it is the largest index. Each file
// is verified by the sha256 its signed InRelease gives, cached like the
// other indexes, and read as a stream.
//
// When several packages ship a match, the choice is the one a packager
// would make: a -dev package for headers, pkg-config files, unversioned
// .so links and aclocal macros (the runtime package never ships those, so
// another match is a compatibility or alternative package); then a name
// that contains the file's stem ("oniguruma" in libonig-dev does not, but
// "bison" in bison does); then the shortest name, then the first in
// alphabetical order.
func (a *DebianArchive) FindProviders(ctx context.Context, suites []SuiteRef, arch string, patterns []string) (map[string]string, error) {
	if len(suites) == 0 {
		return nil, errors.New("FindProviders: no suites to search")
	}
	if arch == "" || strings.ContainsAny(arch, "/\\ \x00") {
		return nil, fmt.Errorf("FindProviders: architecture %q", arch)
	}
	m, err := newContentsMatcher(patterns)
	if err != nil {
		return nil, err
	}
	listed := false
	seen := map[string]bool{} // Ubuntu's per-suite index serves every component
	indexArchs := []string{arch}
	if arch != "all" {
		indexArchs = append(indexArchs, "all")
	}
	for _, ia := range indexArchs {
		if m.done() {
			break
		}
		for _, ref := range suites {
			ok, err := a.scanContents(ctx, ref, ia, m, seen)
			if err != nil {
				return nil, err
			}
			listed = listed || ok
		}
	}
	if !listed {
		return nil, fmt.Errorf("no Contents-%s index in %s: the archive publishes none, so no provider can be looked up", arch, suiteNames(suites))
	}
	return m.result(), nil
}

// scanContents feeds the suite's Contents-<arch> index to m. It reports
// false when the signed Release lists no such index. Debian lists one per
// component; Ubuntu one per suite, beside the components.
func (a *DebianArchive) scanContents(ctx context.Context, ref SuiteRef, arch string, m *contentsMatcher, seen map[string]bool) (bool, error) {
	ref = a.resolve(ref)
	rel, err := a.Release(ctx, ref)
	if err != nil {
		return false, err
	}
	for _, name := range []string{ref.component() + "/Contents-" + arch, "Contents-" + arch} {
		if !listsIndex(rel, name) {
			continue
		}
		key := ref.Mirror + "/dists/" + ref.Suite + "/" + name
		if seen[key] {
			return true, nil
		}
		seen[key] = true
		file, err := a.fetchIndex(ctx, ref, name)
		if err != nil {
			return false, err
		}
		err = m.scan(file)
		file.Close()
		if err != nil {
			return false, fmt.Errorf("%s of %s: %w", name, ref, err)
		}
		return true, nil
	}
	return false, nil
}

func listsIndex(rel *Release, name string) bool {
	for _, ext := range indexCompressions {
		if _, ok := rel.SHA256[name+ext]; ok {
			return true
		}
	}
	return false
}

// maxContentsLine bounds one line of a Contents index: a path and the
// packages shipping it. Real lines are under 1 KiB.
const maxContentsLine = 1 << 20

// contentsMatcher collects, per pattern, the packages shipping a match.
type contentsMatcher struct {
	patterns []contentsPattern
	found    []map[string]bool // by pattern index: package names
}

type contentsPattern struct {
	text string
	tail string // the literal end after the last wildcard: a cheap pre-check
	dev  bool   // a file only -dev packages are expected to ship
	stem string // the file name without extension and lib prefix
}

func newContentsMatcher(patterns []string) (*contentsMatcher, error) {
	if len(patterns) == 0 {
		return nil, errors.New("FindProviders: no patterns")
	}
	m := &contentsMatcher{}
	for _, p := range patterns {
		if p == "" || strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("FindProviders: pattern %q: want a path without the leading slash", p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("FindProviders: pattern %q: %w", p, err)
		}
		tail := p
		if i := strings.LastIndexAny(p, "*?[]\\"); i >= 0 {
			tail = p[i+1:]
		}
		m.patterns = append(m.patterns, contentsPattern{text: p, tail: tail, dev: devFile(p), stem: fileStem(p)})
		m.found = append(m.found, map[string]bool{})
	}
	return m, nil
}

// done reports whether every pattern has a provider.
func (m *contentsMatcher) done() bool {
	for _, f := range m.found {
		if len(f) == 0 {
			return false
		}
	}
	return true
}

// scan reads a Contents index: "path<whitespace>section/pkg,section/pkg".
// The last field is the location, as paths may contain spaces; a line
// whose location names no section is a header (older archives had one).
func (m *contentsMatcher) scan(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxContentsLine)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexAny(line, " \t")
		if i <= 0 {
			continue
		}
		file, where := strings.TrimRight(line[:i], " \t"), line[i+1:]
		file = strings.TrimPrefix(strings.TrimPrefix(file, "./"), "/")
		for pi, p := range m.patterns {
			if !strings.HasSuffix(file, p.tail) {
				continue
			}
			if ok, _ := path.Match(p.text, file); !ok {
				continue
			}
			for loc := range strings.SplitSeq(where, ",") {
				slash := strings.LastIndexByte(loc, '/')
				if slash < 0 || slash == len(loc)-1 {
					continue
				}
				m.found[pi][loc[slash+1:]] = true
			}
		}
	}
	return sc.Err()
}

// result picks one package per matched pattern (see FindProviders).
func (m *contentsMatcher) result() map[string]string {
	out := map[string]string{}
	for i, p := range m.patterns {
		if len(m.found[i]) == 0 {
			continue
		}
		pkgs := make([]string, 0, len(m.found[i]))
		for name := range m.found[i] {
			pkgs = append(pkgs, name)
		}
		sort.Slice(pkgs, func(a, b int) bool { return p.rank(pkgs[a], pkgs[b]) })
		out[p.text] = pkgs[0]
	}
	return out
}

// rank orders two providers of the pattern, best first.
func (p contentsPattern) rank(a, b string) bool {
	if p.dev {
		if da, db := strings.HasSuffix(a, "-dev"), strings.HasSuffix(b, "-dev"); da != db {
			return da
		}
	}
	if p.stem != "" {
		if sa, sb := strings.Contains(a, p.stem), strings.Contains(b, p.stem); sa != sb {
			return sa
		}
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// devFile reports whether only a development package should ship the
// path: headers, pkg-config and CMake files, unversioned .so links,
// aclocal macros.
func devFile(p string) bool {
	switch {
	case strings.HasPrefix(p, "usr/include/"),
		strings.HasSuffix(p, ".pc"),
		strings.HasSuffix(p, ".so"),
		strings.Contains(p, "/cmake/"),
		strings.HasPrefix(p, "usr/share/aclocal/"):
		return true
	}
	return false
}

// fileStem is the base name without extensions and a "lib" prefix:
// "onig" for onig.h, "oniguruma" for oniguruma.pc, "z" for libz.so, "" for
// a base name that is a wildcard.
func fileStem(p string) string {
	base := path.Base(p)
	if strings.ContainsAny(base, "*?[") {
		return ""
	}
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if s, ok := strings.CutPrefix(base, "lib"); ok && s != "" {
		base = s
	}
	return base
}
