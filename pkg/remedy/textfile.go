package remedy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
)

// textFile is a packaging file held as its lines, each with its own line
// ending, so that an edit rewrites only the lines it touches: CRLF files
// stay CRLF and a missing final newline stays missing.
type textFile struct {
	lines []textLine
}

type textLine struct {
	text string
	eol  string // "\n", "\r\n" or "" (the last line, without one)
}

func parseText(data []byte) *textFile {
	f := &textFile{}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			f.lines = append(f.lines, textLine{text: string(data)})
			break
		}
		l := textLine{text: string(data[:i]), eol: "\n"}
		if strings.HasSuffix(l.text, "\r") {
			l.text, l.eol = l.text[:len(l.text)-1], "\r\n"
		}
		f.lines = append(f.lines, l)
		data = data[i+1:]
	}
	return f
}

func (f *textFile) bytes() []byte {
	var b bytes.Buffer
	for _, l := range f.lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return b.Bytes()
}

// eol is the line ending inserted lines get: the file's first one.
func (f *textFile) eol() string {
	for _, l := range f.lines {
		if l.eol != "" {
			return l.eol
		}
	}
	return "\n"
}

// insert puts texts before line index at (len(lines) appends). Appending
// after a last line without a newline moves the missing newline to the
// new last line, so the file keeps its style.
func (f *textFile) insert(at int, texts ...string) {
	if len(texts) == 0 {
		return
	}
	eol := f.eol()
	added := make([]textLine, len(texts))
	for i, t := range texts {
		added[i] = textLine{text: t, eol: eol}
	}
	if at > 0 && at == len(f.lines) && f.lines[at-1].eol == "" {
		f.lines[at-1].eol = eol
		added[len(added)-1].eol = ""
	}
	f.lines = append(f.lines[:at], append(added, f.lines[at:]...)...)
}

// remove deletes line i. Removing the last line moves its missing newline
// to the line before, so the file keeps its final-newline style.
func (f *textFile) remove(i int) {
	if i == len(f.lines)-1 && i > 0 && f.lines[i].eol == "" {
		f.lines[i-1].eol = ""
	}
	f.lines = append(f.lines[:i], f.lines[i+1:]...)
}

// readText reads dir/rel; a missing file is an error naming it.
func readText(dir, rel string) (*textFile, error) {
	data, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, unwrapPathError(err))
	}
	return parseText(data), nil
}

// writeText replaces dir/rel atomically, keeping its permissions (a
// debian/rules stays executable); new files get mode 0644.
func writeText(dir, rel string, f *textFile) error {
	path := filepath.Join(dir, rel)
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := renameio.WriteFile(path, f.bytes(), mode); err != nil {
		return fmt.Errorf("%s: %w", rel, unwrapPathError(err))
	}
	return nil
}

// unwrapPathError drops the path from an *os.PathError: callers name the
// file relative to the packaging directory themselves.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
