package deb

import (
	"bytes"
	"fmt"
	"strings"
)

// The .dsc is read line by line the way Dpkg::Control::HashCore::parse reads
// it, OpenPGP armour included, rather than by pault.ag/go/debian/control:
// that decoder keeps reading after the signature's end and forgets line
// numbers, and a .dsc error here must name the line (DESIGN §9).

const (
	armorSignedMessage = "-----BEGIN PGP SIGNED MESSAGE-----"
	armorSignature     = "-----BEGIN PGP SIGNATURE-----"
	armorSignatureEnd  = "-----END PGP SIGNATURE-----"
)

// dscField is one field of a .dsc: the text after the colon, then each
// continuation line after a "\n".
type dscField struct {
	name  string // as written
	value string
	line  int // 1-based line of the field name
}

// dscParagraph is the one paragraph of a .dsc.
type dscParagraph struct {
	file   string
	fields map[string]*dscField // by lower-case name: deb822 names ignore case
	signed bool
}

func (p *dscParagraph) field(name string) *dscField { return p.fields[strings.ToLower(name)] }

func (p *dscParagraph) required(name string) (string, error) {
	f := p.field(name)
	if f == nil || strings.TrimSpace(f.value) == "" {
		return "", p.missing(name)
	}
	if strings.Contains(f.value, "\n") {
		return "", p.errorLine(f.line, "%s must be a single line", name)
	}
	return f.value, nil
}

func (p *dscParagraph) missing(name string) error {
	return &DscError{File: p.file, Msg: fmt.Sprintf("missing required field %s", name)}
}

func (p *dscParagraph) errorAt(name, format string, args ...any) error {
	line := 0
	if f := p.field(name); f != nil {
		line = f.line
	}
	return p.errorLine(line, format, args...)
}

func (p *dscParagraph) errorLine(line int, format string, args ...any) error {
	return &DscError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// dscLines walks the lines of a .dsc with their 1-based numbers.
type dscLines struct {
	lines []string
	next  int // index of the next line to read
}

// read returns the next line without its line ending and trailing white
// space (dpkg strips both), and its number; ok is false at the end.
func (l *dscLines) read() (text string, no int, ok bool) {
	if l.next >= len(l.lines) {
		return "", len(l.lines), false
	}
	l.next++
	return strings.TrimRight(l.lines[l.next-1], " \t\r\v\f"), l.next, true
}

func (l *dscLines) unread() { l.next-- }

// readDscParagraph parses the single paragraph of a .dsc and, when it is
// clearsigned, checks that the armour encloses it and nothing follows.
func readDscParagraph(name string, data []byte) (*dscParagraph, error) {
	p := &dscParagraph{file: name, fields: map[string]*dscField{}}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, p.errorLine(bytes.Count(data[:i], []byte("\n"))+1, "contains a NUL byte")
	}
	text := strings.TrimSuffix(string(data), "\n")
	l := &dscLines{}
	if text != "" {
		l.lines = strings.Split(text, "\n")
	}
	if err := p.readArmorHeader(l); err != nil {
		return nil, err
	}
	if err := p.readFields(l); err != nil {
		return nil, err
	}
	if p.signed {
		return p, p.readSignature(l)
	}
	return p, p.readUnsignedTail(l)
}

// readArmorHeader skips blank and comment lines and, if the signed-message
// armour comes next, its "Hash:" headers up to the blank line before the
// signed text.
func (p *dscParagraph) readArmorHeader(l *dscLines) error {
	for {
		text, no, ok := l.read()
		switch {
		case !ok:
			return nil
		case text == "" || text[0] == '#':
			continue
		case text != armorSignedMessage:
			l.unread()
			return nil
		}
		p.signed = true
		for {
			text, hno, ok := l.read()
			switch {
			case !ok:
				return p.errorLine(no, "OpenPGP signed message ends before its text starts")
			case text == "":
				return nil
			case !strings.HasPrefix(text, "Hash: "):
				// RFC 4880 §7 allows only Hash headers here; anything else
				// is not something gpg would have produced.
				return p.errorLine(hno, "unexpected OpenPGP armour header %q (only \"Hash:\" is allowed)", text)
			}
		}
	}
}

// readFields reads the paragraph up to its blank line, or up to the
// signature armour that may follow the signed text directly.
func (p *dscParagraph) readFields(l *dscLines) error {
	var cur *dscField
	for {
		text, no, ok := l.read()
		if !ok || text == "" {
			return p.checkNotEmpty(no)
		}
		raw := l.lines[no-1]
		switch {
		case text[0] == '#':
			continue // dpkg skips comment lines anywhere
		case raw[0] == ' ' || raw[0] == '\t':
			if cur == nil {
				return p.errorLine(no, "continuation line before any field")
			}
			cont := text[1:]
			if strings.Trim(cont, ".") == "" {
				cont = cont[1:] // " ." stands for an empty line
			}
			cur.value += "\n" + cont
			continue
		case p.signed && text == armorSignature:
			l.unread()
			return p.checkNotEmpty(no)
		case text == armorSignedMessage:
			if p.signed {
				return p.errorLine(no, "a second OpenPGP signed message inside the first")
			}
			return p.errorLine(no, "unsigned fields before the OpenPGP signed part")
		case text[0] == '-':
			return p.errorLine(no, "a field name cannot start with '-': %q", text)
		}
		fieldName, value, found := strings.Cut(text, ":")
		fieldName = strings.TrimRight(fieldName, " \t")
		if !found || !validFieldName(fieldName) {
			return p.errorLine(no, "expected a \"Field: value\" line, found %q", text)
		}
		key := strings.ToLower(fieldName)
		if prev, dup := p.fields[key]; dup {
			return p.errorLine(no, "duplicate field %s (first on line %d)", fieldName, prev.line)
		}
		cur = &dscField{name: fieldName, value: strings.TrimSpace(value), line: no}
		p.fields[key] = cur
	}
}

func (p *dscParagraph) checkNotEmpty(line int) error {
	if len(p.fields) == 0 {
		if p.signed {
			return p.errorLine(line, "the signed message has no fields")
		}
		return &DscError{File: p.file, Msg: "no fields"}
	}
	return nil
}

// validFieldName is deb822's rule: printable US-ASCII other than ':' and
// space, not starting with '-' or '#'.
func validFieldName(name string) bool {
	if name == "" || name[0] == '-' || name[0] == '#' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// readSignature expects the signature armour after the signed paragraph
// and nothing but blank lines after it: any text there is outside what the
// signature covers, and a reader that took fields from it could be fooled.
func (p *dscParagraph) readSignature(l *dscLines) error {
	text, no, ok := l.read()
	for ok && text == "" {
		text, no, ok = l.read()
	}
	switch {
	case !ok:
		return p.errorLine(no, "expected the OpenPGP signature after the signed text, found the end of the file")
	case text != armorSignature:
		return p.errorLine(no, "expected the OpenPGP signature after the signed paragraph, found %q", text)
	}
	start := no
	for {
		text, _, ok = l.read()
		if !ok {
			return p.errorLine(start, "unfinished OpenPGP signature (no %s line)", armorSignatureEnd)
		}
		if text == armorSignatureEnd {
			break
		}
	}
	for {
		text, no, ok = l.read()
		if !ok {
			return nil
		}
		if text != "" {
			return p.errorLine(no, "text after the OpenPGP signature is not signed: %q", truncate(text, 60))
		}
	}
}

// readUnsignedTail allows only blank and comment lines after an unsigned
// paragraph: a .dsc has exactly one.
func (p *dscParagraph) readUnsignedTail(l *dscLines) error {
	for {
		text, no, ok := l.read()
		switch {
		case !ok:
			return nil
		case text == "" || text[0] == '#':
			continue
		case text == armorSignedMessage:
			return p.errorLine(no, "unsigned fields before the OpenPGP signed part")
		default:
			return p.errorLine(no, "unexpected text after the paragraph (a .dsc has one): %q", truncate(text, 60))
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
