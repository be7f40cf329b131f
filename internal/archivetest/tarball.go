package archivetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

// mtime is every member's modification time, so that the same files make
// the same tarball, byte for byte.
var mtime = time.Unix(1700000000, 0)

// TarGz returns a deterministic .tar.gz of files under the directory top/
// (no top directory when top is ""), with entries for the directories. A
// file whose content starts with "#!" gets mode 0755.
func TarGz(t testing.TB, top string, files map[string]string) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.ModTime = mtime
	write(t, w, Tar(t, top, files))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TarXz is TarGz compressed with xz, as .debian.tar.xz files are.
func TarXz(t testing.TB, top string, files map[string]string) []byte {
	t.Helper()
	return Xz(t, Tar(t, top, files))
}

// Tar returns the uncompressed tarball TarGz compresses.
func Tar(t testing.TB, top string, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	dirs := map[string]bool{}
	for name := range files {
		names = append(names, name)
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	if top != "" {
		dirs[""] = true
	}
	for d := range dirs {
		names = append(names, d+"/")
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range names {
		full := strings.TrimPrefix(path.Join(top, name), "/")
		hdr := &tar.Header{Name: full, ModTime: mtime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if strings.HasSuffix(name, "/") {
			hdr.Typeflag, hdr.Mode, hdr.Name = tar.TypeDir, 0o755, full+"/"
		} else {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, int64(len(files[name]))
			if strings.HasPrefix(files[name], "#!") {
				hdr.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			write(t, tw, []byte(files[name]))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Xz compresses data with xz.
func Xz(t testing.TB, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	// A small dictionary: the default 8 MiB is slow to set up under -race,
	// and test files are tiny.
	w, err := xz.WriterConfig{DictCap: 1 << 16}.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	write(t, w, data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// Corrupt returns a copy of data with one byte in the middle changed: the
// same size, a different hash.
func Corrupt(data []byte) []byte {
	out := bytes.Clone(data)
	out[len(out)/2] ^= 0x20
	return out
}

func write(t testing.TB, w interface{ Write([]byte) (int, error) }, data []byte) {
	t.Helper()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
}
