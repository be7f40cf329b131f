package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	rpmutils "github.com/sassoftware/go-rpmutils"

	"github.com/backport/backport/pkg/archive"
)

// Package kinds: what install.sh does with a package.
const (
	KindBinary = "binary" // installed (upgraded where installed; see install.sh)
	KindDebug  = "debug"  // debug symbols: upgraded only where already installed
	KindSource = "source" // shipped for reference, never installed
	KindUdeb   = "udeb"   // debian-installer packages, never installed on a server
)

// Package is one built package of the bundle, as its own metadata says.
type Package struct {
	File    string `json:"file"` // path inside the bundle, e.g. packages/hello_2.10-3+bp1_amd64.deb
	Name    string `json:"name"`
	Version string `json:"version"` // [epoch:]version-release, the package manager's own string
	Arch    string `json:"arch"`
	Kind    string `json:"kind"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
}

// shellWord is what a package file name, name, version or arch may hold:
// install.sh splits its package table on blanks, so nothing else is let in.
var shellWord = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~:^%-]*$`)

// maxControl bounds the control member and control file read from a .deb.
const maxControl = 16 << 20

// readPackage reads the name, version, arch and kind of a .deb, .udeb or
// .rpm from its own metadata.
func readPackage(path string) (Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return Package{}, err
	}
	defer f.Close()
	var p Package
	switch {
	case strings.HasSuffix(path, ".rpm"):
		p, err = readRPM(f)
	case strings.HasSuffix(path, ".deb"), strings.HasSuffix(path, ".udeb"):
		p, err = readDeb(f)
	default:
		return Package{}, fmt.Errorf("%s: not a .deb or .rpm", path)
	}
	if err != nil {
		return Package{}, fmt.Errorf("%s: %w", path, err)
	}
	if strings.HasSuffix(path, ".udeb") {
		p.Kind = KindUdeb
	}
	for what, v := range map[string]string{"name": p.Name, "version": p.Version, "arch": p.Arch} {
		if !shellWord.MatchString(v) {
			return Package{}, fmt.Errorf("%s: package %s %q: unexpected characters", path, what, v)
		}
	}
	return p, nil
}

func readRPM(r io.Reader) (Package, error) {
	h, err := rpmutils.ReadHeader(r)
	if err != nil {
		return Package{}, fmt.Errorf("reading the rpm header: %w", err)
	}
	nevra, err := h.GetNEVRA()
	if err != nil {
		return Package{}, fmt.Errorf("reading the rpm header: %w", err)
	}
	v := nevra.Version + "-" + nevra.Release
	if h.HasTag(rpmutils.EPOCH) {
		v = nevra.Epoch + ":" + v
	}
	p := Package{Name: nevra.Name, Version: v, Arch: nevra.Arch, Kind: KindBinary}
	switch {
	case !h.HasTag(rpmutils.SOURCERPM):
		// A binary rpm names the SRPM it came from; a source rpm does not.
		p.Kind, p.Arch = KindSource, "src"
	case strings.HasSuffix(p.Name, "-debuginfo"), strings.HasSuffix(p.Name, "-debugsource"):
		p.Kind = KindDebug
	}
	return p, nil
}

// readDeb reads the control file of a .deb: an ar archive whose
// control.tar[.gz|.xz|.zst] member holds ./control.
func readDeb(r io.Reader) (Package, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "!<arch>\n" {
		return Package{}, errors.New("not a Debian package (no ar header)")
	}
	for {
		hdr := make([]byte, 60)
		if _, err := io.ReadFull(br, hdr); err != nil {
			return Package{}, errors.New("not a Debian package: no control member")
		}
		if string(hdr[58:60]) != "`\n" {
			return Package{}, errors.New("corrupt ar member header")
		}
		name := strings.TrimRight(strings.TrimSpace(string(hdr[0:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 {
			return Package{}, fmt.Errorf("ar member %q: bad size", name)
		}
		if strings.HasPrefix(name, "control.tar") {
			if size > maxControl {
				return Package{}, fmt.Errorf("ar member %s: %d bytes, more than %d", name, size, maxControl)
			}
			return debControl(io.LimitReader(br, size))
		}
		// Members are padded to an even size.
		if _, err := io.CopyN(io.Discard, br, size+size%2); err != nil {
			return Package{}, fmt.Errorf("ar member %q: %w", name, err)
		}
	}
}

func debControl(r io.Reader) (Package, error) {
	dr, _, err := archive.Decompress(r)
	if err != nil {
		return Package{}, fmt.Errorf("control member: %w", err)
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	for {
		h, err := tr.Next()
		if err != nil {
			return Package{}, fmt.Errorf("control member: no control file (%v)", err)
		}
		if strings.TrimPrefix(h.Name, "./") != "control" || h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxControl))
		if err != nil {
			return Package{}, fmt.Errorf("control file: %w", err)
		}
		return parseDebControl(data)
	}
}

// parseDebControl reads the fields install.sh needs from a binary
// package's control file.
func parseDebControl(data []byte) (Package, error) {
	fields := map[string]string{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		s := string(line)
		if s == "" || s[0] == ' ' || s[0] == '\t' || s[0] == '#' {
			continue // continuation lines of fields we do not read
		}
		k, v, ok := strings.Cut(s, ":")
		if !ok {
			return Package{}, fmt.Errorf("control:%d: expected Field: value", i+1)
		}
		fields[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	p := Package{Name: fields["package"], Version: fields["version"], Arch: fields["architecture"], Kind: KindBinary}
	if p.Name == "" || p.Version == "" || p.Arch == "" {
		return Package{}, errors.New("control: Package, Version and Architecture are required")
	}
	if strings.HasSuffix(p.Name, "-dbgsym") || strings.HasSuffix(p.Name, "-dbg") || fields["section"] == "debug" {
		p.Kind = KindDebug
	}
	return p, nil
}
