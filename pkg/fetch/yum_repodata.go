package fetch

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/backport/backport/pkg/exitcode"
)

// RepoMD is a yum repository's repodata/repomd.xml: the index of its
// metadata files, each with the checksum that anchors everything below it.
type RepoMD struct {
	Revision string     `json:"revision,omitempty"`
	Data     []RepoData `json:"data"`
	// Signer made repodata/repomd.xml.asc; nil when no keyring was set,
	// so that a manifest can say the repodata was trusted as served.
	Signer *Signer `json:"signer,omitempty"`
}

// RepoData is one <data> entry of repomd.xml.
type RepoData struct {
	Type         string       `json:"type"`                   // "primary", "filelists", "primary_db", …
	Location     string       `json:"location"`               // href, relative to the repository root
	Checksum     RepoChecksum `json:"checksum"`               // of the file as stored (compressed)
	OpenChecksum RepoChecksum `json:"open_checksum,omitzero"` // of its decompressed content
	Size         int64        `json:"size,omitempty"`         // bytes as stored; 0 when not given
	OpenSize     int64        `json:"open_size,omitempty"`    // bytes decompressed; 0 when not given
}

// Find returns the entry of type typ.
func (m *RepoMD) Find(typ string) (RepoData, bool) {
	for _, d := range m.Data {
		if d.Type == typ {
			return d, true
		}
	}
	return RepoData{}, false
}

// RepoChecksum is a checksum as repodata gives it: an algorithm name and a
// hex digest.
type RepoChecksum struct {
	Type  string `json:"type"` // lower case; "sha" from old repos reads as "sha1"
	Value string `json:"value"`
}

func (c RepoChecksum) String() string { return c.Type + ":" + c.Value }

// strongRepoHashes are the checksum types we trust. createrepo also writes
// sha1 and md5 on request (and old repos did by default); neither resists
// a forger, so such an entry cannot verify anything.
var strongRepoHashes = map[string]func() hash.Hash{
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

// hasher returns the hash for c and its digest normalized, or an
// exitcode.Verification error when c cannot verify a file.
func (c RepoChecksum) hasher() (func() hash.Hash, string, error) {
	newHash, ok := strongRepoHashes[c.Type]
	switch {
	case c.Type == "":
		return nil, "", exitcode.New(exitcode.Verification, "no checksum given: cannot verify it")
	case !ok && (c.Type == "sha1" || c.Type == "md5" || c.Type == "sha224"):
		return nil, "", exitcode.New(exitcode.Verification,
			"its checksum is %s, too weak to trust (want sha256 or sha512); refusing it", c.Type)
	case !ok:
		return nil, "", exitcode.New(exitcode.Verification, "unknown checksum type %q: cannot verify it", c.Type)
	}
	value := strings.ToLower(c.Value)
	if b, err := hex.DecodeString(value); err != nil || len(b) != newHash().Size() {
		return nil, "", exitcode.New(exitcode.Verification, "malformed %s checksum %q: cannot verify it", c.Type, c.Value)
	}
	return newHash, value, nil
}

// RepoPackage is one <package> of a repository's primary.xml. It marshals
// to JSON, so a caller can Remember it and fetch it later without the
// network.
type RepoPackage struct {
	Name    string `json:"name"`
	Arch    string `json:"arch"` // "src" for a source RPM
	Epoch   string `json:"epoch"`
	Version string `json:"version"`
	Release string `json:"release"`
	// Location is the package's path relative to the repository root, or
	// to LocationBase when the repository sets xml:base.
	Location     string       `json:"location"`
	LocationBase string       `json:"location_base,omitempty"`
	Checksum     RepoChecksum `json:"checksum"`
	Size         int64        `json:"size,omitempty"` // size.package; 0 when not given
	Repo         string       `json:"repo,omitempty"` // BaseURL of the repository it was listed in
}

// EVR returns "[E:]V-R", leaving out a zero epoch as rpm prints it.
func (p RepoPackage) EVR() string {
	evr := p.Version + "-" + p.Release
	if p.Epoch != "" && strings.TrimLeft(p.Epoch, "0") != "" {
		evr = p.Epoch + ":" + evr
	}
	return evr
}

// FileName is the package's file name, e.g. "hello-2.10-1.el9.src.rpm".
func (p RepoPackage) FileName() string {
	return p.Location[strings.LastIndexByte(p.Location, '/')+1:]
}

func (p RepoPackage) String() string { return p.Name + "-" + p.EVR() + "." + p.Arch }

// xmlChecksum and xmlLocation are shared by repomd.xml and primary.xml.
type xmlChecksum struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

func (x xmlChecksum) parse() RepoChecksum {
	typ := strings.ToLower(strings.TrimSpace(x.Type))
	if typ == "sha" { // yum's old name for sha1
		typ = "sha1"
	}
	return RepoChecksum{Type: typ, Value: strings.ToLower(strings.TrimSpace(x.Value))}
}

type xmlLocation struct {
	Href string `xml:"href,attr"`
	// xml:base points the href at another server (createrepo --baseurl);
	// encoding/xml reports the xml: prefix under its reserved namespace.
	Base string `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
}

type xmlRepoMD struct {
	XMLName  xml.Name `xml:"repomd"`
	Revision string   `xml:"revision"`
	Data     []struct {
		Type         string      `xml:"type,attr"`
		Checksum     xmlChecksum `xml:"checksum"`
		OpenChecksum xmlChecksum `xml:"open-checksum"`
		Location     xmlLocation `xml:"location"`
		Size         string      `xml:"size"`
		OpenSize     string      `xml:"open-size"`
	} `xml:"data"`
}

// parseRepoMD reads repomd.xml. An entry whose path could leave the
// repository, or a type listed twice, is refused: either would let the
// index point somewhere other than where its checksum was meant for.
func parseRepoMD(data []byte) (*RepoMD, error) {
	var x xmlRepoMD
	if err := xml.Unmarshal(data, &x); err != nil {
		return nil, fmt.Errorf("not a repomd.xml: %w", err)
	}
	md := &RepoMD{Revision: strings.TrimSpace(x.Revision)}
	seen := map[string]bool{}
	for _, d := range x.Data {
		typ := strings.TrimSpace(d.Type)
		if typ == "" {
			return nil, errors.New("repomd.xml: <data> without a type")
		}
		if seen[typ] {
			return nil, fmt.Errorf("repomd.xml: type %q listed twice", typ)
		}
		seen[typ] = true
		if d.Location.Base != "" {
			return nil, fmt.Errorf("repomd.xml: %s: xml:base is not supported for repodata", typ)
		}
		if err := checkRelPath(d.Location.Href); err != nil {
			return nil, fmt.Errorf("repomd.xml: %s: location: %w", typ, err)
		}
		size, err := parseSize(d.Size)
		if err != nil {
			return nil, fmt.Errorf("repomd.xml: %s: size: %w", typ, err)
		}
		openSize, err := parseSize(d.OpenSize)
		if err != nil {
			return nil, fmt.Errorf("repomd.xml: %s: open-size: %w", typ, err)
		}
		md.Data = append(md.Data, RepoData{
			Type:         typ,
			Location:     d.Location.Href,
			Checksum:     d.Checksum.parse(),
			OpenChecksum: d.OpenChecksum.parse(),
			Size:         size,
			OpenSize:     openSize,
		})
	}
	return md, nil
}

type xmlPackage struct {
	Type    string `xml:"type,attr"`
	Name    string `xml:"name"`
	Arch    string `xml:"arch"`
	Version struct {
		Epoch string `xml:"epoch,attr"`
		Ver   string `xml:"ver,attr"`
		Rel   string `xml:"rel,attr"`
	} `xml:"version"`
	Checksum xmlChecksum `xml:"checksum"`
	Size     struct {
		Package string `xml:"package,attr"`
	} `xml:"size"`
	Location xmlLocation `xml:"location"`
}

// parsePrimary streams primary.xml and calls found for each package. It
// decodes one <package> at a time, because the primary of a large
// repository is hundreds of megabytes once decompressed; the long <format>
// part of each is skipped, not kept.
func parsePrimary(r io.Reader, found func(RepoPackage) error) error {
	dec := xml.NewDecoder(r)
	rootSeen, rootClosed := false, false
	declared, count := -1, 0
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("primary.xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case rootClosed:
				return fmt.Errorf("primary.xml:%d: <%s> after the end of <metadata>", line, t.Name.Local)
			case !rootSeen:
				if t.Name.Local != "metadata" {
					return fmt.Errorf("primary.xml:%d: root element is <%s>, want <metadata>", line, t.Name.Local)
				}
				rootSeen = true
				if declared, err = declaredPackages(t); err != nil {
					return fmt.Errorf("primary.xml:%d: %w", line, err)
				}
				continue
			case t.Name.Local != "package":
				if err := dec.Skip(); err != nil {
					return fmt.Errorf("primary.xml: %w", err)
				}
				continue
			}
			var x xmlPackage
			if err := dec.DecodeElement(&x, &t); err != nil {
				return fmt.Errorf("primary.xml: %w", err)
			}
			p, err := x.parse()
			if err != nil {
				return fmt.Errorf("primary.xml:%d: %w", line, err)
			}
			count++
			if err := found(p); err != nil {
				return err
			}
		case xml.EndElement:
			rootClosed = true // children are consumed whole, so this is </metadata>
		}
	}
	if !rootClosed {
		return errors.New("primary.xml: no complete <metadata> element")
	}
	// The count in the root guards against a primary cut short in a way
	// that is still well-formed XML.
	if declared >= 0 && count != declared {
		return fmt.Errorf("primary.xml: lists %d packages but declares %d", count, declared)
	}
	return nil
}

func declaredPackages(root xml.StartElement) (int, error) {
	for _, a := range root.Attr {
		if a.Name.Local == "packages" && a.Name.Space == "" {
			n, err := strconv.Atoi(strings.TrimSpace(a.Value))
			if err != nil || n < 0 {
				return 0, fmt.Errorf("packages=%q is not a count", a.Value)
			}
			return n, nil
		}
	}
	return -1, nil
}

func (x xmlPackage) parse() (RepoPackage, error) {
	p := RepoPackage{
		Name:         strings.TrimSpace(x.Name),
		Arch:         strings.TrimSpace(x.Arch),
		Epoch:        strings.TrimSpace(x.Version.Epoch),
		Version:      strings.TrimSpace(x.Version.Ver),
		Release:      strings.TrimSpace(x.Version.Rel),
		Location:     x.Location.Href,
		LocationBase: strings.TrimSpace(x.Location.Base),
		Checksum:     x.Checksum.parse(),
	}
	if p.Epoch == "" {
		p.Epoch = "0"
	}
	for _, f := range []struct{ what, v string }{
		{"name", p.Name}, {"arch", p.Arch}, {"version", p.Version}, {"release", p.Release},
	} {
		if f.v == "" || strings.IndexFunc(f.v, notPrintable) >= 0 {
			if f.what == "name" {
				return p, fmt.Errorf("package with missing or malformed name %q", f.v)
			}
			return p, fmt.Errorf("package %s: missing or malformed %s %q", p.Name, f.what, f.v)
		}
	}
	if strings.TrimLeft(p.Epoch, "0123456789") != "" {
		return p, fmt.Errorf("package %s: epoch %q is not a number", p.Name, p.Epoch)
	}
	if err := checkRelPath(p.Location); err != nil {
		return p, fmt.Errorf("package %s: location: %w", p, err)
	}
	size, err := parseSize(x.Size.Package)
	if err != nil {
		return p, fmt.Errorf("package %s: size: %w", p, err)
	}
	p.Size = size
	return p, nil
}

// notPrintable rejects what no rpm name, version or arch holds and what
// would garble a message: spaces, control characters, path separators.
func notPrintable(r rune) bool {
	return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '/'
}

// parseSize reads a byte count; empty means unknown (0).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n, nil
}
