package remedy

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// symbols-changed: the new upstream exports symbols the packaging's
// symbols file does not list, and the packaging asks dpkg-gensymbols to
// fail on that (dh_makeshlibs -- -c4). The fix adds the "+" lines of the
// diff dpkg-gensymbols prints, with the version it printed: the hotfix's
// own version, so that reverse dependencies built against the hotfix
// depend on a version the hotfix and every later distro build satisfy.
//
// Symbols that disappeared are an ABI break (abi-break, a guard), and a
// library that disappeared is a library transition (library_transition.go).
//
// Items are "<symbols file> <soname> <symbol line>", one per new symbol.

var (
	gensymsNew      = regexp.MustCompile(`^dpkg-gensymbols: (error|warning): some new symbols appeared in the symbols file`)
	gensymsLost     = regexp.MustCompile(`^dpkg-gensymbols: (?:error|warning): some symbols or patterns disappeared in the symbols file`)
	gensymsMismatch = regexp.MustCompile(`^dpkg-gensymbols: (?:error|warning): \S+ doesn't match completely (\S+)`)
	gensymsDiffOld  = regexp.MustCompile(`^--- (\S+) \((\S+?)_`)
	makeshlibsFail  = regexp.MustCompile(`^dh_makeshlibs: (?:error: )?failing due to earlier errors`)
	missingMarker   = regexp.MustCompile(`^#MISSING: [^#]*# ?`)
)

// symbolsDiff is what one dpkg-gensymbols diff says.
type symbolsDiff struct {
	file     string   // the packaging's symbols file
	added    []string // "soname symbol-line"
	lost     []string // symbol lines, #MISSING marker dropped
	evidence []string
}

func classifySymbols(l *buildLog) (Cause, bool) {
	lost := l.find(gensymsLost, 0)
	newAt := l.find(gensymsNew, 0)
	if lost < 0 && newAt < 0 {
		return Cause{}, false
	}
	diffs := readSymbolsDiffs(l)
	var c Cause
	if lost >= 0 {
		c = Cause{Class: ClassABIBreak, Stop: true, Evidence: []string{l.lines[lost]}}
		for _, d := range diffs {
			c.Items = append(c.Items, d.lost...)
			for _, s := range d.lost {
				c.Evidence = append(c.Evidence, "lost: "+s)
			}
		}
		c.Summary = "symbols disappeared from the library (an ABI break): " + quoteList(c.Items) +
			"; a hotfix must not break reverse dependencies, so backport stops here"
		return c, true
	}
	fatal := gensymsNew.FindStringSubmatch(l.lines[newAt])[1] == "error" || l.find(makeshlibsFail, 0) >= 0
	if !fatal {
		return Cause{}, false // a warning only: not why the build failed
	}
	c = Cause{Class: ClassSymbolsChanged, Evidence: []string{l.lines[newAt]}}
	for _, d := range diffs {
		for _, a := range d.added {
			c.Items = addUnique(c.Items, d.file+" "+a)
		}
		c.Evidence = append(c.Evidence, d.evidence...)
	}
	c.Summary = fmt.Sprintf("the library exports %d symbol(s) its symbols file does not list", len(c.Items))
	return c, true
}

// readSymbolsDiffs reads each "doesn't match completely" warning and the
// unified diff after it.
func readSymbolsDiffs(l *buildLog) []symbolsDiff {
	var out []symbolsDiff
	for i := 0; i < len(l.lines); i++ {
		m := gensymsMismatch.FindStringSubmatch(l.lines[i])
		if m == nil {
			continue
		}
		d := symbolsDiff{file: m[1], evidence: []string{l.lines[i]}}
		j := i + 1
		if j < len(l.lines) {
			if h := gensymsDiffOld.FindStringSubmatch(l.lines[j]); h != nil && strings.Contains(d.file, "/.debhelper/") {
				d.file = "debian/" + h[2] + ".symbols"
			}
		}
		soname := ""
		for ; j < len(l.lines); j++ {
			line := l.lines[j]
			if strings.HasPrefix(line, "---") || strings.HasPrefix(line, "+++") || strings.HasPrefix(line, "@@") {
				continue
			}
			if line == "" || !strings.ContainsAny(line[:1], " +-") {
				break
			}
			mark, body := line[0], line[1:]
			if body != "" && !strings.ContainsAny(body[:1], " |*#") {
				soname = strings.Fields(body)[0] // a library's header line
				continue
			}
			switch {
			case mark == '+' && strings.HasPrefix(body, "#MISSING:"):
				d.lost = append(d.lost, strings.TrimSpace(missingMarker.ReplaceAllString(body, "")))
			case mark == '+' && strings.HasPrefix(body, " ") && soname != "":
				d.added = append(d.added, soname+" "+strings.TrimSpace(body))
				d.evidence = append(d.evidence, line)
			}
		}
		out = append(out, d)
		i = j - 1
	}
	return out
}

type symbolsChanged struct{}

func (symbolsChanged) Name() string { return ClassSymbolsChanged }
func (symbolsChanged) Matches(c Cause) bool {
	return c.Class == ClassSymbolsChanged && len(c.Items) > 0
}

func (symbolsChanged) Apply(_ context.Context, p Packaging, c Cause) (Change, error) {
	byFile := map[string][][2]string{}
	var files []string
	for _, it := range c.Items {
		parts := strings.SplitN(it, " ", 3)
		if len(parts) < 3 {
			return Change{}, fmt.Errorf("symbols-changed: malformed item %q", it)
		}
		file := path.Clean(parts[0])
		if path.IsAbs(file) || strings.HasPrefix(file, "..") || !strings.HasPrefix(file, "debian/") {
			return Change{}, fmt.Errorf("symbols-changed: %s is not a file under debian/", parts[0])
		}
		if _, ok := byFile[file]; !ok {
			files = append(files, file)
		}
		byFile[file] = append(byFile[file], [2]string{parts[1], parts[2]})
	}
	sort.Strings(files)
	var edited []string
	total := 0
	for _, rel := range files {
		f, err := readText(p.Dir, rel)
		if err != nil {
			return Change{}, err
		}
		n := addSymbols(f, byFile[rel])
		if n == 0 {
			continue
		}
		if err := writeText(p.Dir, rel, f); err != nil {
			return Change{}, err
		}
		edited = append(edited, rel)
		total += n
	}
	if total == 0 {
		return Change{Summary: "the symbols files already list every new symbol, or name none of their libraries"}, nil
	}
	return Change{
		Summary: fmt.Sprintf("added %d new symbol(s) to %s", total, strings.Join(edited, ", ")),
		Files:   edited, Changed: true,
	}, nil
}

// addSymbols adds each (soname, symbol line) at the end of that library's
// block in a symbols file, unless the symbol is listed already. It returns
// how many it added.
func addSymbols(f *textFile, syms [][2]string) int {
	n := 0
	for _, s := range syms {
		fields := strings.Fields(s[1])
		if len(fields) == 0 {
			continue
		}
		name := fields[0]
		start, end := symbolsBlock(f, s[0])
		if start < 0 {
			continue
		}
		listed := false
		for i := start + 1; i < end; i++ {
			if fs := strings.Fields(f.lines[i].text); len(fs) > 0 && fs[0] == name {
				listed = true
			}
		}
		if listed {
			continue
		}
		at := end
		for at > start+1 && (strings.TrimSpace(f.lines[at-1].text) == "" || strings.HasPrefix(f.lines[at-1].text, "#")) {
			at--
		}
		f.insert(at, " "+s[1])
		n++
	}
	return n
}

// symbolsBlock finds the header line of soname's block and the index of
// the next header (or the end); start is -1 when the file has no block for
// it.
func symbolsBlock(f *textFile, soname string) (start, end int) {
	start = -1
	for i, l := range f.lines {
		t := l.text
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t[:1], " \t|*#") {
			continue
		}
		if start >= 0 {
			return start, i
		}
		if strings.Fields(t)[0] == soname {
			start = i
		}
	}
	return start, len(f.lines)
}
