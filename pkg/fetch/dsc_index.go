package fetch

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/renameio/v2"
	"pault.ag/go/debian/version"

	"github.com/backport/backport/pkg/exitcode"
)

// Partial mirrors exist: this project's own CI mirror carries unstable's
// jq tarballs but not the .dsc beside them. A Sources paragraph holds
// every field of the .dsc (Package for Source, plus Directory, Section and
// Priority), and the signed InRelease vouches for it, so the .dsc can be
// written from it: every hash in it comes from the same signed index that
// would have vouched for the original's bytes. Only the uploader's
// signature is lost, which nothing checks anyway (see ParseDsc).

// dscFieldOrder is the order dpkg-source writes a .dsc's fields in; fields
// of the paragraph not listed here and not index-only follow, sorted.
var dscFieldOrder = []string{
	"Format", "Source", "Binary", "Architecture", "Version", "Maintainer", "Uploaders", "Homepage",
	"Description", "Standards-Version", "Vcs-Browser", "Vcs-Arch", "Vcs-Bzr", "Vcs-Cvs", "Vcs-Darcs",
	"Vcs-Git", "Vcs-Hg", "Vcs-Mtn", "Vcs-Svn", "Testsuite", "Testsuite-Triggers",
	"Build-Depends", "Build-Depends-Arch", "Build-Depends-Indep",
	"Build-Conflicts", "Build-Conflicts-Arch", "Build-Conflicts-Indep",
	"Package-List", "Checksums-Sha1", "Checksums-Sha256", "Files",
}

// indexOnlyFields are added by the archive to a Sources paragraph; a .dsc
// has none of them.
var indexOnlyFields = []string{"package", "directory", "priority", "section", "extra-source-only"}

// fileListFields list files one per line, the .dsc among them in an index.
var fileListFields = []string{"checksums-sha1", "checksums-sha256", "files"}

// FetchSourceFromIndex is FetchSource for a pool that lacks the package's
// .dsc: every other file is downloaded and verified by the index as
// FetchSource does, and the .dsc is written from the package's paragraph
// in the suite's signed Sources index, then checked against the index like
// a downloaded one. It returns the paths written, the .dsc first.
func (a *DebianArchive) FetchSourceFromIndex(ctx context.Context, pkg SourcePackage, dest string) ([]string, error) {
	dsc, err := a.checkSource(pkg)
	if err != nil {
		return nil, err
	}
	p, err := a.sourceParagraph(ctx, pkg)
	if err != nil {
		return nil, err
	}
	blobs := map[string]string{}
	var order []RemoteFile
	for _, f := range pkg.Files {
		if f.Name == dsc.Name {
			continue
		}
		blob, err := a.Cache.Fetch(ctx, f.URL, f.Expect())
		if err != nil {
			return nil, err
		}
		blobs[f.Name] = blob
		order = append(order, f)
	}
	if p.get("Files") == "" {
		// dpkg-source wants the MD5 list, which some indexes leave out;
		// the files were just verified by sha256, so hashing them is safe.
		if p["files"], err = md5Lines(order, blobs); err != nil {
			return nil, err
		}
	}
	text, err := dscFromParagraph(p, dsc.Name)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", pkg.Package, pkg.Version, err)
	}
	parsed, err := ParseDsc(text)
	if err != nil {
		return nil, fmt.Errorf("%s %s: the .dsc written from the index: %w", pkg.Package, pkg.Version, err)
	}
	if err := crossCheckDsc(pkg, dsc.Name, parsed); err != nil {
		return nil, exitcode.Wrap(exitcode.Verification, fmt.Errorf("%s %s: %w", pkg.Package, pkg.Version, err))
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, err
	}
	out := filepath.Join(dest, dsc.Name)
	if err := renameio.WriteFile(out, text, 0o644, renameio.WithTempDir(dest)); err != nil {
		return nil, err
	}
	written := []string{out}
	for _, f := range order {
		out := filepath.Join(dest, f.Name)
		if err := copyVerified(blobs[f.Name], out, f.SHA256); err != nil {
			return nil, err
		}
		written = append(written, out)
	}
	return written, nil
}

func md5Lines(files []RemoteFile, blobs map[string]string) (string, error) {
	var lines []string
	for _, f := range files {
		in, err := os.Open(blobs[f.Name])
		if err != nil {
			return "", err
		}
		h := md5.New()
		_, err = io.Copy(h, in)
		in.Close()
		if err != nil {
			return "", err
		}
		lines = append(lines, fmt.Sprintf("%x %d %s", h.Sum(nil), f.Size, f.Name))
	}
	return strings.Join(lines, "\n"), nil
}

// sourceParagraph finds the package's paragraph in the verified Sources
// index of the suite it was found in.
func (a *DebianArchive) sourceParagraph(ctx context.Context, pkg SourcePackage) (paragraph, error) {
	ref := a.resolve(pkg.Suite)
	file, err := a.fetchIndex(ctx, ref, ref.component()+"/source/Sources")
	if err != nil {
		return nil, err
	}
	defer file.Close()
	want, err := version.Parse(pkg.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: version %q: %w", pkg.Package, pkg.Version, err)
	}
	pr := newParagraphReader(file)
	for {
		p, err := pr.next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s %s in %s: %w", pkg.Package, pkg.Version, ref, ErrNoSource)
		}
		if err != nil {
			return nil, fmt.Errorf("Sources of %s: %w", ref, err)
		}
		if p.get("Package") != pkg.Package {
			continue
		}
		if v, err := version.Parse(p.get("Version")); err == nil && version.Compare(v, want) == 0 {
			return p, nil
		}
	}
}

// dscFromParagraph renders a Sources paragraph as the .dsc it came from:
// Package becomes Source, the archive's own fields go, and the .dsc's own
// line leaves the file lists.
func dscFromParagraph(p paragraph, dscName string) ([]byte, error) {
	fields := map[string]string{}
	for name, value := range p {
		if !slices.Contains(indexOnlyFields, name) {
			fields[name] = value
		}
	}
	fields["source"] = p.get("Package")
	for _, name := range fileListFields {
		value, ok := fields[name]
		if !ok {
			continue
		}
		var keep []string
		for line := range strings.SplitSeq(value, "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[2] == dscName {
				continue
			}
			keep = append(keep, line)
		}
		fields[name] = strings.Join(keep, "\n")
	}
	if fields["format"] == "" || fields["checksums-sha256"] == "" {
		return nil, errors.New("the index paragraph has no Format or Checksums-Sha256 to write a .dsc from")
	}

	var b strings.Builder
	write := func(name, value string) {
		lines := strings.Split(value, "\n")
		if slices.Contains(fileListFields, strings.ToLower(name)) || name == "Package-List" {
			b.WriteString(name + ":\n")
		} else {
			b.WriteString(name + ": " + lines[0] + "\n")
			lines = lines[1:]
		}
		for _, l := range lines {
			if l == "" {
				l = "." // deb822's empty continuation line
			}
			b.WriteString(" " + l + "\n")
		}
	}
	done := map[string]bool{}
	for _, name := range dscFieldOrder {
		key := strings.ToLower(name)
		if value, ok := fields[key]; ok {
			write(name, value)
			done[key] = true
		}
	}
	var rest []string
	for key := range fields {
		if !done[key] {
			rest = append(rest, key)
		}
	}
	slices.Sort(rest)
	for _, key := range rest {
		write(canonicalField(key), fields[key])
	}
	return []byte(b.String()), nil
}

// canonicalField capitalises each dash-separated word of a field name, as
// the paragraph reader keeps names in lower case.
func canonicalField(key string) string {
	words := strings.Split(key, "-")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, "-")
}
