package recipe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// AptSource is one entry of the host's apt sources: a one-line
// "deb [options] URI suite components…" line, or a deb822 stanza of a
// .sources file. Disabled stanzas (Enabled: no) are not returned.
type AptSource struct {
	File       string
	Line       int      // the line, or a stanza's first line
	Types      []string // deb, deb-src
	URIs       []string
	Suites     []string
	Components []string // empty when the suite is an exact path ending in "/"
	// SignedBy is the keyring paths or fingerprints apt checks the
	// repository with, as written; an embedded key block is kept whole.
	SignedBy string
	Options  map[string]string // one-line: the [options]; deb822: every field; keys in lower case
}

// ParseSourcesList parses the one-line format of sources.list and
// sources.list.d/*.list. file names it in messages.
func ParseSourcesList(file string, data []byte) ([]AptSource, error) {
	var out []AptSource
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		bad := func(format string, args ...any) error {
			return &FileError{File: file, Line: n, Msg: fmt.Sprintf(format, args...)}
		}
		typ, rest := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			typ, rest = line[:i], strings.TrimSpace(line[i:])
		}
		if typ != "deb" && typ != "deb-src" {
			return nil, bad("%q: expected deb or deb-src", typ)
		}
		src := AptSource{File: file, Line: n, Types: []string{typ}, Options: map[string]string{}}
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, bad("options: expected ] after [")
			}
			for _, opt := range strings.Fields(rest[1:end]) {
				key, value, ok := strings.Cut(opt, "=")
				if !ok {
					return nil, bad("option %q: expected key=value", opt)
				}
				// "arch+=…" and "arch-=…" adjust a default; recorded under the bare key.
				key = strings.ToLower(strings.TrimRight(key, "+-"))
				src.Options[key] = value
			}
			rest = rest[end+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			return nil, bad("expected a URI and a suite after %s", typ)
		}
		src.URIs, src.Suites, src.Components = fields[:1], fields[1:2], fields[2:]
		if !strings.HasSuffix(fields[1], "/") && len(src.Components) == 0 {
			return nil, bad("suite %s: expected at least one component (like main)", fields[1])
		}
		src.SignedBy = src.Options["signed-by"]
		out = append(out, src)
	}
	return out, sc.Err()
}

// ParseDeb822Sources parses the deb822 format of sources.list.d/*.sources:
// stanzas of "Field: value" lines separated by blank lines, values
// continued on lines that start with white space, and "#" comment lines
// anywhere.
func ParseDeb822Sources(file string, data []byte) ([]AptSource, error) {
	var out []AptSource
	fields := map[string]string{}
	start, last := 0, ""
	flush := func() error {
		defer func() { fields, start, last = map[string]string{}, 0, "" }()
		if len(fields) == 0 {
			return nil
		}
		src, enabled, err := stanzaSource(file, start, fields)
		if err == nil && enabled {
			out = append(out, src)
		}
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			continue
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return nil, err
			}
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				return nil, &FileError{File: file, Line: n, Msg: "continuation line with no field before it"}
			}
			fields[last] += "\n" + strings.TrimSpace(line)
		default:
			key, value, ok := strings.Cut(line, ":")
			if !ok {
				return nil, &FileError{File: file, Line: n, Msg: fmt.Sprintf("%q: expected Field: value", line)}
			}
			if start == 0 {
				start = n
			}
			last = strings.ToLower(strings.TrimSpace(key))
			fields[last] = strings.TrimSpace(value)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

func stanzaSource(file string, line int, f map[string]string) (AptSource, bool, error) {
	src := AptSource{
		File: file, Line: line,
		Types: strings.Fields(f["types"]), URIs: strings.Fields(f["uris"]),
		Suites: strings.Fields(f["suites"]), Components: strings.Fields(f["components"]),
		SignedBy: strings.TrimSpace(f["signed-by"]),
		Options:  f,
	}
	bad := func(format string, args ...any) (AptSource, bool, error) {
		return AptSource{}, false, &FileError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	switch strings.ToLower(f["enabled"]) {
	case "", "yes", "true":
	case "no", "false":
		return src, false, nil
	default:
		return bad("Enabled: %q: expected yes or no", f["enabled"])
	}
	for _, t := range src.Types {
		if t != "deb" && t != "deb-src" {
			return bad("Types: %q: expected deb or deb-src", t)
		}
	}
	switch {
	case len(src.Types) == 0:
		return bad("stanza without Types:; expected deb and/or deb-src")
	case len(src.URIs) == 0:
		return bad("stanza without URIs:")
	case len(src.Suites) == 0:
		return bad("stanza without Suites:")
	}
	for _, s := range src.Suites {
		if !strings.HasSuffix(s, "/") && len(src.Components) == 0 {
			return bad("suite %s: expected Components: (like main)", s)
		}
	}
	return src, true, nil
}

// ReadAptSources reads the apt sources under root ("/" on a real host):
// etc/apt/sources.list, then etc/apt/sources.list.d/*.list and *.sources in
// name order, as apt reads them. Other files there (backups,
// *.disabled) are ignored, as apt ignores them.
func ReadAptSources(root string) ([]AptSource, error) {
	dir := filepath.Join(root, "etc", "apt")
	files := []string{filepath.Join(dir, "sources.list")}
	entries, err := os.ReadDir(filepath.Join(dir, "sources.list.d"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var parts []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".list") || strings.HasSuffix(e.Name(), ".sources")) {
			parts = append(parts, filepath.Join(dir, "sources.list.d", e.Name()))
		}
	}
	sort.Strings(parts)
	files = append(files, parts...)

	var out []AptSource
	for _, p := range files {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		parse := ParseSourcesList
		if strings.HasSuffix(p, ".sources") {
			parse = ParseDeb822Sources
		}
		srcs, err := parse(p, data)
		if err != nil {
			return nil, err
		}
		out = append(out, srcs...)
	}
	return out, nil
}
