package deb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// srcFile is a file, directory (name ending in "/") or symlink (link set)
// that a test writes into a tree.
type srcFile struct {
	name string
	body string
	mode fs.FileMode // 0 means 0644 for files, 0755 for directories
	link string
}

func writeTree(t testing.TB, dir string, files []srcFile) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(f.name, "/")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(f.name, "/"):
			err = os.MkdirAll(p, 0o755)
		case f.link != "":
			err = os.Symlink(f.link, p)
		default:
			mode := f.mode
			if mode == 0 {
				mode = 0o644
			}
			if err = os.WriteFile(p, []byte(f.body), mode); err == nil {
				err = os.Chmod(p, mode) // past the umask
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

var tarTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// tarGz writes the tree at dir as a gzipped tarball at out, every member
// under prefix (e.g. "pkg-1.0/"; "" for none), in a stable order.
func tarGz(t testing.TB, dir, prefix, out string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if prefix != "" {
		must(t, tw.WriteHeader(&tar.Header{Name: prefix, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: tarTime}))
	}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := e.Info()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: prefix + filepath.ToSlash(rel), Mode: int64(fi.Mode().Perm()), ModTime: tarTime}
		switch {
		case e.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
			return tw.WriteHeader(hdr)
		case e.Type()&fs.ModeSymlink != 0:
			hdr.Typeflag = tar.TypeSymlink
			if hdr.Linkname, err = os.Readlink(p); err != nil {
				return err
			}
			return tw.WriteHeader(hdr)
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(body))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = tw.Write(body)
		return err
	})
	must(t, err)
	must(t, tw.Close())
	must(t, zw.Close())
	must(t, os.WriteFile(out, buf.Bytes(), 0o644))
}

// tarGzEntries writes a gzipped tarball of raw headers, for archives no
// file tree could produce (hostile members, odd layouts).
func tarGzEntries(t testing.TB, out string, hdrs []tar.Header, bodies map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range hdrs {
		h.ModTime = tarTime
		body := bodies[h.Name]
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		must(t, tw.WriteHeader(&h))
		if h.Typeflag == tar.TypeReg {
			_, err := tw.Write([]byte(body))
			must(t, err)
		}
	}
	must(t, tw.Close())
	must(t, zw.Close())
	must(t, os.WriteFile(out, buf.Bytes(), 0o644))
}

func gzipFile(t testing.TB, out string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	must(t, err)
	must(t, zw.Close())
	must(t, os.WriteFile(out, buf.Bytes(), 0o644))
}

// writeDsc writes an unsigned .dsc listing files (names in dir) with
// their real sizes and hashes, and returns its path.
func writeDsc(t testing.TB, dir, source, version, format string, files ...string) string {
	t.Helper()
	var sha, md strings.Builder
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		must(t, err)
		s, m := sha256.Sum256(data), md5.Sum(data)
		fmt.Fprintf(&sha, " %s %d %s\n", hex.EncodeToString(s[:]), len(data), name)
		fmt.Fprintf(&md, " %s %d %s\n", hex.EncodeToString(m[:]), len(data), name)
	}
	text := fmt.Sprintf("Format: %s\nSource: %s\nVersion: %s\nChecksums-Sha256:\n%sFiles:\n%s",
		format, source, version, sha.String(), md.String())
	v := version
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[i+1:]
	}
	path := filepath.Join(dir, source+"_"+v+".dsc")
	must(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// treeEntry is what a tree comparison looks at for one path.
type treeEntry struct {
	kind    string // "dir", "file", "symlink"
	perm    fs.FileMode
	content string // file content or symlink target
}

func (e treeEntry) String() string {
	if e.kind == "dir" {
		return fmt.Sprintf("dir %o", e.perm)
	}
	if e.kind == "symlink" {
		return "symlink -> " + e.content
	}
	return fmt.Sprintf("file %o, %d bytes, sha256 %x", e.perm, len(e.content), sha256.Sum256([]byte(e.content)))
}

// snapshotTree records every path under root (relative, slash-separated).
func snapshotTree(t testing.TB, root string) map[string]treeEntry {
	t.Helper()
	out := map[string]treeEntry{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := e.Info()
		if err != nil {
			return err
		}
		var te treeEntry
		switch {
		case e.IsDir():
			te = treeEntry{kind: "dir", perm: fi.Mode().Perm()}
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			te = treeEntry{kind: "symlink", content: target}
		default:
			body, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			te = treeEntry{kind: "file", perm: fi.Mode().Perm(), content: string(body)}
		}
		out[filepath.ToSlash(rel)] = te
		return nil
	})
	must(t, err)
	return out
}

// compareTrees fails the test with every path whose type, mode, content or
// link target differs between the trees under gotRoot and wantRoot.
func compareTrees(t testing.TB, gotRoot, wantRoot string) {
	t.Helper()
	got, want := snapshotTree(t, gotRoot), snapshotTree(t, wantRoot)
	var diffs []string
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("missing %s (%s)", p, w))
		case g != w:
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s", p, g, w))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("extra %s (%s)", p, g))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		t.Errorf("trees differ (%d paths):\n  %s", len(diffs), strings.Join(diffs, "\n  "))
	}
}

// dpkgSource runs dpkg-source in dir under umask 022 (the umask its
// fixperms output depends on) with a neutral, non-interactive environment,
// and returns its output; it fails the test when dpkg-source fails.
func dpkgSource(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"-c", `umask 022; exec dpkg-source "$@"`, "sh"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"LC_ALL=C.UTF-8", "TZ=UTC", "HOME="+t.TempDir(),
		"DEBEMAIL=test@example.org", "DEBFULLNAME=Backport Test",
		"SOURCE_DATE_EPOCH=1704164645", "TAR_OPTIONS=", "QUILT_PATCHES=debian/patches")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-source %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// dpkgUnpack runs `dpkg-source -x --skip-patches` on dsc into a new
// directory and returns that tree and dpkg-source's output.
func dpkgUnpack(t testing.TB, dsc string) (tree, output string) {
	t.Helper()
	dsc, err := filepath.Abs(dsc)
	must(t, err)
	tree = filepath.Join(t.TempDir(), "dpkg-tree")
	output = dpkgSource(t, filepath.Dir(dsc), "--no-copy", "-x", "--skip-patches", dsc, tree)
	return tree, output
}
