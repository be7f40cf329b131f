package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// digestFiles lists every regular file under dir (as slash paths relative
// to it) with its sha256, sorted by path.
func digestFiles(dir string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return err
		}
		files = append(files, File{Path: filepath.ToSlash(rel), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	slices.SortFunc(files, func(a, b File) int { return cmpString(a.Path, b.Path) })
	return files, nil
}

// sha256sums renders files in sha256sum's text format, sorted by path, so
// that `sha256sum -c SHA256SUMS` checks them.
func sha256sums(files []File) []byte {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int { return cmpString(a.Path, b.Path) })
	var buf bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&buf, "%s  %s\n", f.SHA256, f.Path)
	}
	return buf.Bytes()
}

// writeTarball packs dir as <top>/… into a gzip tarball at dest and returns
// its sha256. Entries are sorted, owned by root, with fixed modes and
// mtime, and the gzip header carries no name or time: the same files give
// the same bytes.
func writeTarball(dir, top, dest string, mtime time.Time) (string, error) {
	mtime = mtime.UTC().Truncate(time.Second)
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return "", err
	}
	slices.Sort(paths) // WalkDir's order already; sorted again so that it never depends on it
	out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	defer out.Close()
	h := sha256.New()
	gz, err := gzip.NewWriterLevel(io.MultiWriter(out, h), gzip.BestCompression)
	if err != nil {
		return "", err
	}
	tw := tar.NewWriter(gz)
	for _, p := range paths {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return "", err
		}
		if err := addEntry(tw, p, filepath.ToSlash(filepath.Join(top, rel)), mtime); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := gz.Close(); err != nil {
		return "", err
	}
	if err := out.Sync(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), out.Close()
}

func addEntry(tw *tar.Writer, path, name string, mtime time.Time) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: name, ModTime: mtime, Uname: "root", Gname: "root", Typeflag: tar.TypeReg, Mode: 0o644}
	switch {
	case fi.IsDir():
		hdr.Typeflag, hdr.Mode, hdr.Name = tar.TypeDir, 0o755, name+"/"
	case fi.Mode()&0o111 != 0:
		hdr.Mode = 0o755
	}
	if !fi.IsDir() {
		hdr.Size = fi.Size()
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if fi.IsDir() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}
