package deb

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"pault.ag/go/debian/version"
)

// Dsc is a Debian source control file: which source package it describes
// and the files that make it up.
type Dsc struct {
	Source  string
	Version string // as written, epoch included
	// Format is the source format normalised the way dpkg-source writes it
	// to debian/source/format: "3.0 (quilt)", "3.0 (native)", "1.0".
	Format string
	Files  []DscFile // in Checksums-Sha256 order
	Path   string    // the name ParseDsc was given; UnpackSource finds the files beside it
}

// DscFile is one file of a source package as the .dsc lists it.
type DscFile struct {
	Name   string
	Size   int64
	SHA256 string // lower-case hex, from Checksums-Sha256
	// MD5 is the lower-case hex digest from the Files field. It is checked
	// as well, because a .dsc whose two tables disagree is broken or forged,
	// but it never stands in for a missing SHA256.
	MD5 string
}

// DscError reports where a .dsc breaks the format and what was expected.
// Line is 0 when the problem is not on one line (a missing field).
type DscError struct {
	File string
	Line int
	Msg  string
}

func (e *DscError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// The source formats UnpackSource knows, as Dsc.Format spells them.
const (
	FormatQuilt    = "3.0 (quilt)"
	FormatNative   = "3.0 (native)"
	FormatOriginal = "1.0"
)

var (
	// formatRe is Dpkg::Source::Format's syntax: major[.minor] [(variant)].
	formatRe = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?(?:[ \t]+\(([a-z0-9]+)\))?$`)
	// dscFileNameRe is the file name pattern of Dpkg::Checksums: no slash,
	// no leading dot, so a name can never leave the .dsc's directory.
	dscFileNameRe = regexp.MustCompile(`^[0-9a-zA-Z][-+:.,=0-9a-zA-Z_~]+$`)
)

// ParseDsc reads a .dsc, clearsigned or not. name is used in errors and
// kept as Dsc.Path.
//
// The OpenPGP signature is not checked: uploaders' keys are not what
// backport trusts. The .dsc is trusted through its hash in a signed archive
// index, so what matters here is that every field read is inside the part
// that hash covers and the signature would cover: a .dsc with text before
// the signed part or after the signature is refused, not trimmed.
func ParseDsc(name string, data []byte) (*Dsc, error) {
	p, err := readDscParagraph(name, data)
	if err != nil {
		return nil, err
	}
	d := &Dsc{Path: name}
	if d.Source, err = p.required("Source"); err != nil {
		return nil, err
	}
	// sourceNameRe (changelog_syntax.go) is dpkg's rule for package names;
	// the name ends up in file and directory names here.
	if !sourceNameRe.MatchString(d.Source) {
		return nil, p.errorAt("Source", "source package name %q is not valid (lower-case letters, digits, '+', '-', '.')", d.Source)
	}
	if d.Version, err = p.required("Version"); err != nil {
		return nil, err
	}
	if _, err := parseDebVersion(d.Version); err != nil {
		return nil, p.errorAt("Version", "version %q is not valid: %v", d.Version, err)
	}
	format, err := p.required("Format")
	if err != nil {
		return nil, err
	}
	if d.Format, err = normaliseFormat(format); err != nil {
		return nil, p.errorAt("Format", "%v", err)
	}
	if d.Files, err = p.fileTables(); err != nil {
		return nil, err
	}
	return d, nil
}

// normaliseFormat checks a Format value and writes it as dpkg-source does
// ("3 (quilt)" and "3.0  (quilt)" both become "3.0 (quilt)").
func normaliseFormat(format string) (string, error) {
	m := formatRe.FindStringSubmatch(format)
	if m == nil {
		return "", fmt.Errorf("format %q is not valid: expected major.minor with an optional (variant), such as \"3.0 (quilt)\"", format)
	}
	minor := m[2]
	if minor == "" {
		minor = "0"
	}
	out := m[1] + "." + minor
	if m[3] != "" {
		out += " (" + m[3] + ")"
	}
	return out, nil
}

// parseDebVersion checks a Debian version with pault.ag/go/debian and
// additionally refuses what that parser lets through and dpkg does not: an
// empty upstream part ("-1") and an empty revision ("1.0-").
func parseDebVersion(v string) (version.Version, error) {
	parsed, err := version.Parse(v)
	switch {
	case err != nil:
		return parsed, err
	case parsed.Version == "" || parsed.Version[0] < '0' || parsed.Version[0] > '9':
		return parsed, fmt.Errorf("the upstream part must start with a digit")
	case strings.HasSuffix(v, "-"):
		return parsed, fmt.Errorf("empty revision after '-'")
	}
	return parsed, nil
}

// checksumLine is one parsed line of a Files or Checksums-* field.
type checksumLine struct {
	sum  string
	size int64
	name string
	line int
}

// fileTables reads Checksums-Sha256 and Files, and Checksums-Sha1 when
// present, and requires that they list the same files with the same sizes,
// as dpkg-source does before it unpacks anything.
func (p *dscParagraph) fileTables() ([]DscFile, error) {
	sha256Lines, err := p.checksums("Checksums-Sha256", 64, true)
	if err != nil {
		return nil, err
	}
	md5Lines, err := p.checksums("Files", 32, true)
	if err != nil {
		return nil, err
	}
	sha1Lines, err := p.checksums("Checksums-Sha1", 40, false)
	if err != nil {
		return nil, err
	}
	files := make([]DscFile, 0, len(sha256Lines))
	byName := map[string]int{}
	for _, l := range sha256Lines {
		byName[l.name] = len(files)
		files = append(files, DscFile{Name: l.name, Size: l.size, SHA256: l.sum})
	}
	if err := p.crossCheck("Files", md5Lines, files, byName, func(f *DscFile, sum string) { f.MD5 = sum }); err != nil {
		return nil, err
	}
	if sha1Lines != nil {
		if err := p.crossCheck("Checksums-Sha1", sha1Lines, files, byName, nil); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// crossCheck requires table to list exactly the files of Checksums-Sha256
// with the same sizes; set, when given, records each line's sum.
func (p *dscParagraph) crossCheck(field string, table []checksumLine, files []DscFile, byName map[string]int, set func(*DscFile, string)) error {
	if len(table) != len(files) {
		return p.errorAt(field, "%s lists %d files, Checksums-Sha256 lists %d", field, len(table), len(files))
	}
	for _, l := range table {
		i, ok := byName[l.name]
		if !ok {
			return p.errorLine(l.line, "%s lists %s, which Checksums-Sha256 does not", field, l.name)
		}
		if files[i].Size != l.size {
			return p.errorLine(l.line, "%s gives %s a size of %d, Checksums-Sha256 %d", field, l.name, l.size, files[i].Size)
		}
		if set != nil {
			set(&files[i], l.sum)
		}
	}
	return nil
}

// checksums parses a "sum size name" table: hexLen lower-case hex digits,
// a decimal size and a file name, one file per line, no duplicates.
func (p *dscParagraph) checksums(field string, hexLen int, required bool) ([]checksumLine, error) {
	f := p.field(field)
	if f == nil {
		if required {
			return nil, p.missing(field)
		}
		return nil, nil
	}
	var out []checksumLine
	seen := map[string]bool{}
	for i, text := range strings.Split(f.value, "\n") {
		line := f.line + i
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		parts := strings.Fields(text)
		if len(parts) != 3 {
			return nil, p.errorLine(line, "%s: expected \"<%d hex digits> <size> <file name>\", found %q", field, hexLen, text)
		}
		if !isLowerHex(parts[0], hexLen) {
			return nil, p.errorLine(line, "%s: %q is not %d lower-case hex digits", field, parts[0], hexLen)
		}
		size, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || !allDecimal(parts[1]) {
			return nil, p.errorLine(line, "%s: size %q is not a non-negative decimal number", field, parts[1])
		}
		if !dscFileNameRe.MatchString(parts[2]) {
			return nil, p.errorLine(line, "%s: %q is not a plain file name", field, parts[2])
		}
		if seen[parts[2]] {
			return nil, p.errorLine(line, "%s lists %s twice", field, parts[2])
		}
		seen[parts[2]] = true
		out = append(out, checksumLine{sum: parts[0], size: size, name: parts[2], line: line})
	}
	if len(out) == 0 {
		return nil, p.errorAt(field, "%s lists no files", field)
	}
	return out, nil
}

func allDecimal(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// File returns the listed file called name.
func (d *Dsc) File(name string) (DscFile, bool) {
	for _, f := range d.Files {
		if f.Name == name {
			return f, true
		}
	}
	return DscFile{}, false
}
