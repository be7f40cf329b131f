package remedy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Line-level readers shared by the file-list remedies: %files lines in a
// spec and debhelper .install lines.

// filesToken is one path word on a %files line, with its byte span and the
// directive it is under (%doc and %license take paths relative to the
// build directory).
type filesToken struct {
	text       string
	start, end int
	docLike    bool // under %doc or %license
}

// filesDirectives are the %files words that qualify a path rather than
// name one; several take a parenthesised argument.
var filesDirectives = map[string]bool{
	"%attr": true, "%defattr": true, "%config": true, "%dir": true, "%doc": true,
	"%docdir": true, "%exclude": true, "%ghost": true, "%lang": true, "%license": true,
	"%verify": true, "%caps": true, "%readme": true, "%missingok": true, "%artifact": true,
}

// filesLineTokens splits a %files line into its path words. Comments,
// conditionals and %defattr-only lines have none. Words are split at
// blanks outside quotes, braces and parentheses.
func filesLineTokens(text string) []filesToken {
	t := strings.TrimLeft(text, " \t")
	if t == "" || strings.HasPrefix(t, "#") || conditionalDelta(t) != 0 ||
		strings.HasPrefix(t, "%else") || strings.HasPrefix(t, "%elif") {
		return nil
	}
	var out []filesToken
	docLike := false
	for i := 0; i < len(text); {
		for i < len(text) && isBlank(text[i]) {
			i++
		}
		if i >= len(text) {
			break
		}
		start := i
		depth, quoted := 0, false
		for i < len(text) && (quoted || depth > 0 || !isBlank(text[i])) {
			switch text[i] {
			case '"':
				quoted = !quoted
			case '(', '{':
				if !quoted {
					depth++
				}
			case ')', '}':
				if !quoted && depth > 0 {
					depth--
				}
			case '\\':
				i++
			}
			i++
		}
		i = min(i, len(text))
		word := text[start:i]
		directive := word
		if j := strings.IndexByte(word, '('); j >= 0 {
			directive = word[:j]
		}
		if filesDirectives[directive] {
			if directive == "%doc" || directive == "%license" {
				docLike = true
			}
			continue
		}
		out = append(out, filesToken{text: strings.Trim(word, `"`), start: start, end: i, docLike: docLike})
	}
	return out
}

// installSources are the source words of a debhelper .install line: all
// of them, or all but the last when there are several (the destination).
// Comments and dh-exec directives give none.
func installSources(text string) []string {
	t := strings.TrimSpace(text)
	if t == "" || strings.HasPrefix(t, "#") {
		return nil
	}
	words := strings.Fields(t)
	if strings.HasPrefix(words[0], "=>") {
		return nil
	}
	if len(words) > 1 {
		return words[:len(words)-1]
	}
	return words
}

// readSpec reads p.Spec and returns its path relative to p.Dir.
func readSpec(p Packaging) (rel string, data []byte, err error) {
	if p.Spec == "" {
		return "", nil, fmt.Errorf("%s: no spec given", p.Dir)
	}
	path := p.Spec
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.Dir, path)
	}
	rel, err = filepath.Rel(p.Dir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", nil, fmt.Errorf("%s: the spec is outside the packaging directory %s", p.Spec, p.Dir)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", rel, unwrapPathError(err))
	}
	return rel, data, nil
}

func fileExists(dir, rel string) bool {
	_, err := os.Lstat(filepath.Join(dir, rel))
	return err == nil
}
