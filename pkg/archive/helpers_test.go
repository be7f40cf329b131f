package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// entry describes one archive member for the test writers, independent of
// the container.
type entry struct {
	name string
	typ  byte // 'f' file, 'd' dir, 'l' symlink, 'h' hard link, 'c' char, 'b' block, 'p' fifo, 's' socket
	link string
	body string
	mode int64 // permission and special bits; 0 picks 0644 or 0755
}

var testMtime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

func (e entry) perm() int64 {
	switch {
	case e.mode != 0:
		return e.mode
	case e.typ == 'd':
		return 0o755
	}
	return 0o644
}

// dirMode0 marks a directory entry that really has mode 0 (entry.mode 0
// means "default").
const dirMode0 = -1

func (e entry) permBits() int64 {
	if e.mode == dirMode0 {
		return 0
	}
	return e.perm()
}

func makeTar(t testing.TB, entries []entry, format tar.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.permBits(), ModTime: testMtime, Format: format}
		switch e.typ {
		case 'f':
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.body))
		case 'd':
			hdr.Typeflag = tar.TypeDir
		case 'l':
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.link
		case 'h':
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, e.link
		case 'c':
			hdr.Typeflag, hdr.Devmajor, hdr.Devminor = tar.TypeChar, 1, 3
		case 'b':
			hdr.Typeflag, hdr.Devmajor, hdr.Devminor = tar.TypeBlock, 7, 0
		case 'p':
			hdr.Typeflag = tar.TypeFifo
		case 'g':
			hdr = &tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: e.name, PAXRecords: map[string]string{"comment": "0123abcd"}}
		default:
			t.Fatalf("tar cannot hold entry type %q", e.typ)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %q: %v", e.name, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cpioWriter writes newc (or, with crc set, 070702) archives, including the
// hostile shapes real cpio refuses to produce.
type cpioWriter struct {
	buf bytes.Buffer
	crc bool
	ino uint32
}

func (w *cpioWriter) add(name string, mode, ino, nlink uint32, data []byte) {
	magic := cpioNewcMagic
	var sum uint32
	if w.crc {
		magic = cpioCRCMagic
		if mode&cpioTypeMask == cpioTypeReg {
			for _, c := range data {
				sum += uint32(c)
			}
		}
	}
	fmt.Fprintf(&w.buf, "%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		magic, ino, mode, 0, 0, nlink, testMtime.Unix(), len(data), 8, 1, 0, 0, len(name)+1, sum)
	w.buf.WriteString(name)
	w.buf.WriteByte(0)
	w.pad()
	w.buf.Write(data)
	w.pad()
}

func (w *cpioWriter) pad() {
	for w.buf.Len()%4 != 0 {
		w.buf.WriteByte(0)
	}
}

func (w *cpioWriter) finish() []byte {
	w.add(cpioTrailer, 0, 0, 1, nil)
	return w.buf.Bytes()
}

func makeCpio(t testing.TB, entries []entry, crc bool) []byte {
	t.Helper()
	linked := map[string]bool{}
	for _, e := range entries {
		if e.typ == 'h' {
			linked[e.link] = true
		}
	}
	w := &cpioWriter{crc: crc}
	inodes := map[string]uint32{}
	for _, e := range entries {
		w.ino++
		perm := uint32(e.permBits())
		switch e.typ {
		case 'f':
			nlink := uint32(1)
			if linked[e.name] {
				nlink = 2
			}
			w.add(e.name, cpioTypeReg|perm, w.ino, nlink, []byte(e.body))
		case 'd':
			w.add(e.name, cpioTypeDir|perm, w.ino, 2, nil)
		case 'l':
			w.add(e.name, cpioTypeLink|0o777, w.ino, 1, []byte(e.link))
		case 'h':
			// newc has no link names: a hard link is another data-less
			// entry with the same inode. A target that is not in the
			// archive gets a data-less entry of its own first, so the
			// hostile name still reaches the extractor.
			ino, ok := inodes[e.link]
			if !ok {
				ino = w.ino
				w.add(e.link, cpioTypeReg|perm, ino, 2, nil)
			}
			w.add(e.name, cpioTypeReg|perm, ino, 2, nil)
		case 'c':
			w.add(e.name, cpioTypeChar|perm, w.ino, 1, nil)
		case 'b':
			w.add(e.name, cpioTypeBlock|perm, w.ino, 1, nil)
		case 'p':
			w.add(e.name, cpioTypeFifo|perm, w.ino, 1, nil)
		case 's':
			w.add(e.name, cpioTypeSocket|perm, w.ino, 1, nil)
		case 'g':
			continue // tar-only metadata
		default:
			t.Fatalf("cpio cannot hold entry type %q", e.typ)
		}
		inodes[e.name] = w.ino
	}
	return w.finish()
}

// compressors turn a plain archive into each supported compression. bz2
// shells out to bzip2, since Go has no bzip2 writer.
var compressors = []struct {
	name string
	fn   func(t testing.TB, plain []byte) []byte
}{
	{"plain", func(_ testing.TB, b []byte) []byte { return b }},
	{"gz", gzipBytes},
	{"bz2", bzip2Bytes},
	{"xz", xzBytes},
	{"zst", zstdBytes},
}

func gzipBytes(t testing.TB, plain []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xzBytes(t testing.TB, plain []byte) []byte {
	var buf bytes.Buffer
	xw, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := xw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := xw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, plain []byte) []byte {
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(plain, nil)
}

func bzip2Bytes(t testing.TB, plain []byte) []byte {
	bin := testtool.Require(t, "bzip2")
	cmd := exec.Command(bin, "-c")
	cmd.Stdin = bytes.NewReader(plain)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bzip2: %v", err)
	}
	return out
}

// snapshot records everything under dir except the skip subtree, so a test
// can prove extraction changed nothing outside the destination.
func snapshot(t testing.TB, dir, skip string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		// Directory mtimes are left out: creating dest legitimately touches
		// its parent, and a stray entry would show up as a path of its own.
		desc := fmt.Sprintf("%v %d", fi.Mode(), fi.Size())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %d %x", fi.ModTime().UnixNano(), sha256.Sum256(data))
		}
		snap[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func assertSameSnapshot(t testing.TB, before, after map[string]string) {
	t.Helper()
	for p, d := range after {
		if before[p] != d {
			t.Errorf("outside the destination %s changed: %q -> %q", p, before[p], d)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("outside the destination %s was removed", p)
		}
	}
}

// assertNoEscapingLinks checks every symlink under dest with the kernel's
// own resolution (and lexically when it dangles), independently of the
// package's resolver.
func assertNoEscapingLinks(t testing.TB, dest string) {
	t.Helper()
	realDest, err := filepath.EvalSymlinks(dest)
	if err != nil {
		t.Fatal(err)
	}
	_ = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		target, _ := os.Readlink(p)
		within := realDest
		resolved, err := filepath.EvalSymlinks(p)
		if err != nil {
			// Dangling: judge the text. It must be relative and stay in.
			within, resolved = dest, filepath.Join(filepath.Dir(p), target)
			if filepath.IsAbs(target) {
				resolved = target
			}
		}
		if resolved != within && !strings.HasPrefix(resolved, within+string(filepath.Separator)) {
			t.Errorf("symlink %s -> %s resolves outside %s (to %s)", p, target, dest, resolved)
		}
		return nil
	})
}
