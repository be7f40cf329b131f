package fetch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// We read deb822 paragraphs (Release, Sources, .dsc) ourselves: the
// paragraph decoder of pault.ag/go/debian/control pulls in a module
// (pault.ag/go/topsort) that go.sum does not carry, and the three fields
// lists we need are a few lines of code.

// paragraph is one deb822 stanza. Field names are kept in lower case, as
// deb822 field names are case-insensitive; multi-line values keep their
// lines, joined by "\n", with the " ." placeholder turned into "".
type paragraph map[string]string

func (p paragraph) get(field string) string { return p[strings.ToLower(field)] }

// paragraphReader reads paragraphs one at a time, so a 40 MB Sources index
// is never held in memory whole.
type paragraphReader struct {
	r    *bufio.Reader
	line int
}

func newParagraphReader(r io.Reader) *paragraphReader {
	return &paragraphReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next paragraph, or io.EOF after the last one.
func (pr *paragraphReader) next() (paragraph, error) {
	var p paragraph
	var field string   // the field being read
	var lines []string // its value so far; joined once, as joining per line is quadratic
	flush := func() {
		if field != "" {
			p[field] = strings.Join(lines, "\n")
			field, lines = "", lines[:0]
		}
	}
	done := func() (paragraph, error) {
		if p == nil {
			return nil, io.EOF
		}
		flush()
		return p, nil
	}
	for {
		line, err := pr.r.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, err
		}
		if line == "" && err == io.EOF {
			return done()
		}
		pr.line++
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.TrimSpace(line) == "":
			if p != nil {
				return done()
			}
		case line[0] == '#':
			// Comments occur in apt's .sources files and debian/control;
			// archive files have none.
		case line[0] == ' ' || line[0] == '\t':
			if field == "" {
				return nil, fmt.Errorf("line %d: continuation line outside a field", pr.line)
			}
			text := strings.TrimSpace(line)
			if text == "." {
				text = ""
			}
			if len(lines) == 1 && lines[0] == "" {
				lines[0] = text // the value starts on the next line
			} else {
				lines = append(lines, text)
			}
		default:
			name, value, ok := strings.Cut(line, ":")
			name = strings.ToLower(name)
			if !ok || name == "" || strings.ContainsAny(name, " \t") {
				return nil, fmt.Errorf("line %d: %q is not a \"Field: value\" line", pr.line, line)
			}
			if p == nil {
				p = paragraph{}
			}
			flush()
			// A repeated field would let two readers of the same
			// signed file disagree on its value.
			if _, dup := p[name]; dup {
				return nil, fmt.Errorf("line %d: field %q repeated", pr.line, name)
			}
			p[name] = ""
			field, lines = name, append(lines, strings.TrimSpace(value))
		}
		if err == io.EOF {
			return done()
		}
	}
}

// FileSum is one "<sha256> <size> <name>" line of a Checksums-Sha256 field
// (.dsc, Sources) or a Release's SHA256 field, where Name is a path below
// dists/<suite>/.
type FileSum struct {
	SHA256 string
	Size   int64
	Name   string
}

// parseFileLines parses the lines of a Checksums-Sha256-style field.
func parseFileLines(field, value string) ([]FileSum, error) {
	var out []FileSum
	for line := range strings.SplitSeq(value, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s: %q: want \"<sha256> <size> <name>\"", field, line)
		}
		sum, err := normalizeSHA256(fields[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		size, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("%s: bad size %q", field, fields[1])
		}
		out = append(out, FileSum{SHA256: sum, Size: size, Name: fields[2]})
	}
	return out, nil
}

var errNestedSignature = errors.New("nested OpenPGP data in signed text")
