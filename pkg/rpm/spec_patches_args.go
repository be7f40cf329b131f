package rpm

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// token is one blank-separated word of a %prep line and its span.
type token struct {
	text       string
	start, end int
}

func tokenize(text string, pos int) []token {
	var out []token
	i := pos
	for {
		i = skipBlanks(text, i)
		if i >= len(text) {
			return out
		}
		j := i
		for j < len(text) && !isBlank(text[j]) {
			j++
		}
		out = append(out, token{text: text[i:j], start: i, end: j})
		i = j
	}
}

// patchLine is a parsed %patch line.
type patchLine struct {
	nums   []int
	strip  int
	spans  [][2]int // per patch: the byte span its number takes in the line
	inWord bool     // the first number is part of the word (%patch3)
}

// parsePatchLine reads a %patch line after the "%patch" word: the old
// "%patchN" form, "%patch N", "%patch -P N" / "-PN" (several allowed), and
// the options rpm passes on to patch. Without a number it is Patch0, and
// without -p rpm applies it with -p0 (both measured with rpm 4.18).
func parsePatchLine(text string, pos int) (*patchLine, error) {
	p := &patchLine{strip: 0}
	j := pos
	for j < len(text) && isDigit(text[j]) {
		j++
	}
	if j > pos {
		n, err := strconv.Atoi(text[pos:j])
		if err != nil {
			return nil, fmt.Errorf("bad patch number in %q", text)
		}
		p.nums = append(p.nums, n)
		p.inWord = true
		p.spans = append(p.spans, [2]int{pos, j})
	} else if j < len(text) && !isBlank(text[j]) {
		return nil, fmt.Errorf("cannot read %q", text)
	}
	toks := tokenize(text, j)
	for k := 0; k < len(toks); k++ {
		t := toks[k].text
		arg := func() (string, [2]int, error) {
			if len(t) > 2 {
				return t[2:], [2]int{toks[k].start, toks[k].end}, nil
			}
			if k+1 >= len(toks) {
				return "", [2]int{}, fmt.Errorf("%%patch option %s needs a value", t)
			}
			k++
			return toks[k].text, [2]int{toks[k-1].start, toks[k].end}, nil
		}
		switch {
		case strings.HasPrefix(t, "-P"):
			v, span, err := arg()
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%%patch -P %s: backport reads only literal patch numbers", v)
			}
			p.nums = append(p.nums, n)
			p.spans = append(p.spans, span)
		case strings.HasPrefix(t, "-p"):
			v, _, err := arg()
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%%patch -p %s: backport reads only a literal strip level", v)
			}
			p.strip = n
		case t == "-R":
			return nil, fmt.Errorf("%%patch -R applies a patch in reverse; backport does not triage reversed patches")
		case len(t) >= 2 && t[0] == '-' && strings.ContainsRune("bzFdo", rune(t[1])):
			if _, _, err := arg(); err != nil {
				return nil, err
			}
		case t == "-E" || t == "-Z" || t == "-s" || t == "--no-backup-if-mismatch":
		case strings.HasPrefix(t, "-"):
			return nil, fmt.Errorf("%%patch option %s is unknown to backport", t)
		default:
			n, err := strconv.Atoi(t)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%%patch argument %s: backport reads only literal patch numbers", t)
			}
			p.nums = append(p.nums, n)
			p.spans = append(p.spans, [2]int{toks[k].start, toks[k].end})
		}
	}
	if len(p.nums) == 0 {
		p.nums = []int{0}
		p.spans = [][2]int{{-1, -1}}
	}
	return p, nil
}

// without returns the line text with the k-th patch taken out, or "" when
// it is the line's only patch and the line goes.
func (p *patchLine) without(text string, k int) string {
	if len(p.nums) == 1 {
		return ""
	}
	if k == 0 && p.inWord {
		span := p.spans[k]
		return text[:span[0]] + text[span[1]:] // "%patch3 -P 4" → "%patch -P 4"
	}
	return cutSpan(text, p.spans[k])
}

// without is patchLine.without for "%autopatch N M": with no number left
// the line would apply every patch, so it goes.
func (a *autoLine) without(text string, k int) string {
	if len(a.nums) == 1 {
		return ""
	}
	return cutSpan(text, a.spans[k])
}

// cutSpan removes span from text with the blanks before it.
func cutSpan(text string, span [2]int) string {
	start := span[0]
	for start > 0 && isBlank(text[start-1]) {
		start--
	}
	return text[:start] + text[span[1]:]
}

// autoLine is a parsed %autosetup or %autopatch line.
type autoLine struct {
	apply  bool
	nums   []int    // %autopatch N M: just these
	spans  [][2]int // the byte span of each of nums
	lo, hi int      // -m / -M, -1 when absent
	strip  int
}

// parseAutoLine reads the options of %autosetup(a:b:cDn:TvNS:p:) and
// %autopatch(vp:m:M:), as rpm 4.18's macros declare them.
func parseAutoLine(text string, pos int, setup bool) (*autoLine, error) {
	a := &autoLine{apply: true, lo: -1, hi: -1, strip: -1}
	withArg, flags := "pmM", "v"
	if setup {
		withArg, flags = "abnSp", "cDTvN"
	}
	scm := ""
	toks := tokenize(text, pos)
	for k := 0; k < len(toks); k++ {
		t := toks[k].text
		if len(t) < 2 || t[0] != '-' {
			n, err := strconv.Atoi(t)
			if setup || err != nil || n < 0 {
				return nil, fmt.Errorf("cannot read argument %s (backport reads only literal patch numbers)", t)
			}
			a.nums = append(a.nums, n)
			a.spans = append(a.spans, [2]int{toks[k].start, toks[k].end})
			continue
		}
		opt := t[1]
		switch {
		case strings.IndexByte(flags, opt) >= 0 && len(t) == 2:
			if opt == 'N' {
				a.apply = false
			}
			continue
		case strings.IndexByte(withArg, opt) < 0:
			return nil, fmt.Errorf("option %s is unknown to backport", t)
		}
		v := t[2:]
		if v == "" {
			if k+1 >= len(toks) {
				return nil, fmt.Errorf("option %s needs a value", t)
			}
			k++
			v = toks[k].text
		}
		var err error
		switch opt {
		case 'p':
			a.strip, err = literalNumber(t, v)
		case 'm':
			a.lo, err = literalNumber(t, v)
		case 'M':
			a.hi, err = literalNumber(t, v)
		case 'S':
			scm = v
		}
		if err != nil {
			return nil, err
		}
	}
	// git apply, git am and hg import strip one level by default.
	if a.strip < 0 && (scm == "git" || scm == "git_am" || scm == "hg") {
		a.strip = 1
	}
	return a, nil
}

func literalNumber(opt, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("option %s %s: backport reads only literal numbers", opt, v)
	}
	return n, nil
}

var (
	patchRefRE = regexp.MustCompile(`%\{?\??PATCH([0-9]+)\b`)
	stripRE    = regexp.MustCompile(`(?:^|\s)(?:-p\s*|--strip[= ])([0-9]+)\b`)
)

// patchRefs returns the patch numbers a command names as %{PATCHn}.
func patchRefs(text string) []int {
	var out []int
	for _, m := range patchRefRE.FindAllStringSubmatch(text, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// stripOption returns the -p level of a patch command, -1 when it has none.
func stripOption(text string) int {
	if m := stripRE.FindStringSubmatch(text); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return n
		}
	}
	return -1
}
