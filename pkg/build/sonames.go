package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/backport/backport/pkg/archive"
	"github.com/backport/backport/pkg/remedy"
)

// maxELF bounds the shared objects read into memory to find their SONAME.
const maxELF = 256 << 20

// sharedObjectName matches the file names of versioned shared libraries.
var sharedObjectName = regexp.MustCompile(`\.so\.[0-9]`)

// DebSONAMEs reads a .deb and returns its package name (from the file
// name, <package>_<version>_<arch>.deb) and the SONAMEs of the shared
// libraries it ships, in the order found.
func DebSONAMEs(debPath string) (pkg string, sonames []string, err error) {
	pkg, _, _ = strings.Cut(path.Base(debPath), "_")
	f, err := os.Open(debPath)
	if err != nil {
		return pkg, nil, err
	}
	defer f.Close()
	data, err := debMember(bufio.NewReader(f), "data.tar")
	if err != nil {
		return pkg, nil, fmt.Errorf("%s: %w", debPath, err)
	}
	plain, _, err := archive.Decompress(data)
	if err != nil {
		return pkg, nil, fmt.Errorf("%s: data.tar: %w", debPath, err)
	}
	defer plain.Close()
	tr := tar.NewReader(plain)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return pkg, sonames, nil
		}
		if err != nil {
			return pkg, sonames, fmt.Errorf("%s: data.tar: %w", debPath, err)
		}
		if h.Typeflag != tar.TypeReg || !sharedObjectName.MatchString(path.Base(h.Name)) || h.Size > maxELF {
			continue
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return pkg, sonames, err
		}
		if so := elfSONAME(body); so != "" {
			sonames = append(sonames, so)
		}
	}
}

// debMember finds the first ar member of a .deb whose name starts with
// prefix and returns a reader over it.
func debMember(r *bufio.Reader, prefix string) (io.Reader, error) {
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, errors.New("not a .deb (no ar header)")
	}
	hdr := make([]byte, 60)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			return nil, fmt.Errorf("no %s member", prefix)
		}
		name := strings.TrimRight(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 {
			return nil, errors.New("corrupt ar member header")
		}
		if strings.HasPrefix(name, prefix) {
			return io.LimitReader(r, size), nil
		}
		if _, err := r.Discard(int(size + size%2)); err != nil {
			return nil, fmt.Errorf("no %s member", prefix)
		}
	}
}

// elfSONAME is the DT_SONAME of an ELF shared object, "" when it has none
// or is not ELF.
func elfSONAME(data []byte) string {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return ""
	}
	defer f.Close()
	names, err := f.DynString(elf.DT_SONAME)
	if err != nil || len(names) == 0 {
		return ""
	}
	return names[0]
}

// checkPackages runs the guards on a green build's packages: a library
// package whose SONAME no longer matches its name is a library transition,
// which a hotfix must not ship. RPMs carry no such naming rule.
func checkPackages(res *Result) *remedy.Cause {
	for _, p := range res.Packages {
		if !strings.HasSuffix(p, ".deb") || !strings.HasPrefix(path.Base(p), "lib") {
			continue // only library packages carry a SONAME in their name
		}
		pkg, sonames, err := DebSONAMEs(p)
		if err != nil {
			return &remedy.Cause{Class: remedy.ClassLibraryTransition, Summary: "cannot read " + path.Base(p) + " to check its libraries: " + err.Error(), Stop: true}
		}
		if c := remedy.CheckSONAMEs(pkg, sonames); c != nil {
			return c
		}
	}
	return nil
}
