package remedy

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/backport/backport/pkg/recipe"
)

// source-renamed: the packaging names an upstream tarball the new release
// does not have (foo-1.2.tar.gz where upstream now ships foo-1.3.tar.xz).
// rpm: the spec's SourceN that names the wanted file is rewritten to
// Packaging.UpstreamTarball, keeping its URL and its macros where the new
// name still fits them. deb: dpkg-source finds no .orig tarball; the loop
// renames the upstream tarball to the name dpkg-source wants (Change.Renames).
//
// Items hold the wanted file name (rpm: its base name; deb: the .orig
// stem "hello_2.12.3.orig.tar" that dpkg-source printed).

var (
	rpmBadSource  = regexp.MustCompile(`^(?:error: )?(?:Bad file: |Bad source: |File )(/\S+/SOURCES/([^/\s:]+)): No such file or directory`)
	rpmSourceMiss = regexp.MustCompile(`^(?:error: )?File (/\S+/SOURCES/([^/\s:]+)) not found`)
	dpkgNoOrig    = regexp.MustCompile(`^dpkg-source: error: can't build with source format '[^']+': no upstream tarball found at (?:\S*/)?(\S+?\.orig\.tar)\.\{[^}]*\}`)
)

func classifySourceRenamed(l *buildLog) (Cause, bool) {
	var c Cause
	for _, line := range l.lines {
		var wanted string
		if m := rpmBadSource.FindStringSubmatch(line); m != nil {
			wanted = m[2]
		} else if m := rpmSourceMiss.FindStringSubmatch(line); m != nil {
			wanted = m[2]
		} else if m := dpkgNoOrig.FindStringSubmatch(line); m != nil {
			wanted = m[1]
		} else {
			continue
		}
		if len(c.Items) == 0 {
			c.Evidence = append(c.Evidence, line)
		}
		c.Items = addUnique(c.Items, wanted)
	}
	if len(c.Items) == 0 {
		return Cause{}, false
	}
	c.Class = ClassSourceRenamed
	c.Summary = "the packaging names an upstream source that is not there: " + quoteList(c.Items)
	return c, true
}

type sourceRenamed struct{}

func (sourceRenamed) Name() string         { return ClassSourceRenamed }
func (sourceRenamed) Matches(c Cause) bool { return c.Class == ClassSourceRenamed && len(c.Items) > 0 }

func (sourceRenamed) Apply(_ context.Context, p Packaging, c Cause) (Change, error) {
	if p.UpstreamTarball == "" {
		return Change{Summary: "no upstream tarball to point the packaging at"}, nil
	}
	have := path.Base(p.UpstreamTarball)
	if p.Family != recipe.FamilyRPM {
		ext := tarballCompression(have)
		stem := c.Items[0]
		if ext == "" || !strings.HasSuffix(stem, ".orig.tar") {
			return Change{Summary: fmt.Sprintf("%s is not a tarball dpkg-source can use as %s.*", have, stem)}, nil
		}
		to := stem + "." + ext
		if to == have {
			return Change{Summary: have + " already has the name dpkg-source wants"}, nil
		}
		return Change{
			Summary: "rename the upstream tarball " + have + " to " + to,
			Renames: []Rename{{From: have, To: to}}, Changed: true,
		}, nil
	}
	rel, data, err := readSpec(p)
	if err != nil {
		return Change{}, err
	}
	s := parseSpecFor(p, data)
	end := s.preambleEnd()
	for _, wanted := range c.Items {
		for i := 0; i < end; i++ {
			key, _, ok := specTag(s.lines[i].text)
			if !ok || !isSourceTag(key) {
				continue
			}
			text, ok := renameSource(s, s.lines[i].text, wanted, have)
			if !ok {
				continue
			}
			s.lines[i].text = text
			if err := writeText(p.Dir, rel, s.textFile); err != nil {
				return Change{}, err
			}
			return Change{
				Summary: fmt.Sprintf("%s now names %s instead of %s", key, have, wanted),
				Files:   []string{rel}, Changed: true,
			}, nil
		}
	}
	return Change{Summary: "no Source tag of " + rel + " names " + quoteList(c.Items)}, nil
}

func isSourceTag(key string) bool {
	k := strings.ToLower(key)
	if !strings.HasPrefix(k, "source") {
		return false
	}
	return strings.Trim(k[len("source"):], "0123456789") == ""
}

// renameSource rewrites a Source line whose value's last path component
// expands to wanted so that it expands to have. The macros before the
// last literal stretch stay when have still starts with their expansion
// (%{name}-%{version}.tar.gz → %{name}-%{version}.tar.xz); otherwise the
// whole component becomes have, with "%" doubled.
func renameSource(s *specFile, line, wanted, have string) (string, bool) {
	colon := strings.IndexByte(line, ':')
	vStart := colon + 1
	for vStart < len(line) && isBlank(line[vStart]) {
		vStart++
	}
	value := strings.TrimRight(line[vStart:], " \t")
	base := value
	if i := strings.LastIndexByte(value, '/'); i >= 0 {
		base = value[i+1:]
	}
	exp, ok := s.expandMacros(base)
	if ok && exp != wanted || !ok && !s.matchPattern(base)(wanted) {
		return "", false
	}
	prefix := value[:len(value)-len(base)]
	newBase := strings.ReplaceAll(have, "%", "%%")
	if cut := lastMacroEnd(base); cut > 0 {
		if exp, ok := s.expandMacros(base[:cut]); ok && strings.HasPrefix(have, exp) {
			newBase = base[:cut] + strings.ReplaceAll(have[len(exp):], "%", "%%")
		}
	}
	return line[:vStart] + prefix + newBase + line[vStart+len(value):], true
}

// lastMacroEnd is the index just after the last macro in text, or 0.
func lastMacroEnd(text string) int {
	end := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '%' || i+1 >= len(text) {
			continue
		}
		switch c := text[i+1]; {
		case c == '%':
			i++
		case c == '{' || c == '(':
			if j := closingBrace(text, i+1); j > 0 {
				end, i = j+1, j
			}
		case isWordByte(c):
			j := i + 1
			for j < len(text) && isWordByte(text[j]) {
				j++
			}
			end, i = j, j-1
		}
	}
	return end
}

// tarballCompression is the compression suffix dpkg-source accepts.
func tarballCompression(name string) string {
	for _, ext := range []string{"gz", "xz", "bz2", "lzma"} {
		if strings.HasSuffix(name, ".tar."+ext) {
			return ext
		}
	}
	return ""
}
