package archive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecompressDetectsByMagic(t *testing.T) {
	t.Parallel()
	plain := []byte(strings.Repeat("payload ", 100))
	for _, tc := range []struct {
		want string
		data func(testing.TB, []byte) []byte
	}{
		{"", func(_ testing.TB, b []byte) []byte { return b }},
		{Gzip, gzipBytes},
		{Bzip2, bzip2Bytes},
		{Xz, xzBytes},
		{Zstd, zstdBytes},
	} {
		t.Run("kind="+tc.want, func(t *testing.T) {
			t.Parallel()
			rc, kind, err := Decompress(bytes.NewReader(tc.data(t, plain)))
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil || kind != tc.want || !bytes.Equal(got, plain) {
				t.Errorf("Decompress = %q, %q, %v; want kind %q and the payload back", got[:min(len(got), 16)], kind, err, tc.want)
			}
		})
	}
	// Short and empty streams are "not compressed", not an error.
	for _, in := range []string{"", "BZ", "BZhX not bzip2"} {
		rc, kind, err := Decompress(strings.NewReader(in))
		if err != nil || kind != "" {
			t.Errorf("Decompress(%q) = %q, %v; want plain", in, kind, err)
			continue
		}
		if got, _ := io.ReadAll(rc); string(got) != in {
			t.Errorf("Decompress(%q) read %q", in, got)
		}
	}
}

func TestExtractIgnoresTheFileName(t *testing.T) {
	t.Parallel()
	data := xzBytes(t, makeTar(t, []entry{{name: "f", typ: 'f', body: "x"}}, 0))
	if _, err := Extract(context.Background(), bytes.NewReader(data), "misnamed.tar.gz", t.TempDir(), Options{}); err != nil {
		t.Fatalf("xz content named .tar.gz: %v", err)
	}
}

func TestExtractBzip2Fixture(t *testing.T) {
	t.Parallel()
	// Made once with GNU tar -cjf, so the bzip2 path is tested without bzip2.
	dest := t.TempDir()
	members, err := ExtractFile(context.Background(), filepath.Join("testdata", "hello-1.0.tar.bz2"), dest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := TopDir(members); got != "hello-1.0" {
		t.Errorf("TopDir = %q", got)
	}
	checkTree(t, dest, map[string]wantNode{
		"hello-1.0":             {typ: fs.ModeDir, perm: 0o755},
		"hello-1.0/README":      {perm: 0o644, body: "hello\n"},
		"hello-1.0/configure":   {perm: 0o755, body: "#!/bin/sh\n"},
		"hello-1.0/main-link.c": {typ: fs.ModeSymlink, link: "src/main.c"},
		"hello-1.0/src":         {typ: fs.ModeDir, perm: 0o755},
		"hello-1.0/src/main.c":  {perm: 0o644, body: "int main(void){return 0;}\n"},
	})
}

func TestExtractRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	validTar := gzipBytes(t, makeTar(t, []entry{{name: "a", typ: 'f', body: strings.Repeat("a", 4096)}}, 0))
	for _, tc := range []struct {
		name string
		data []byte
		want error // nil: any error
	}{
		{"empty", nil, nil},
		{"text", []byte("hello world, not an archive\n"), ErrUnsupportedArchive},
		{"random block", bytes.Repeat([]byte{0xa5, 0x17}, 1024), ErrUnsupportedArchive},
		{"odc cpio", []byte("070707" + strings.Repeat("0", 200)), ErrUnsupportedArchive},
		{"truncated gzip", validTar[:len(validTar)/2], nil},
		{"cpio without trailer", makeCpio(t, []entry{{name: "a", typ: 'f', body: "a"}}, false)[:124], errCpioTruncated},
		{"cpio negative name size", []byte("070701" + strings.Repeat("00000000", 11) + "-0000001" + "00000000"), nil},
		{"cpio zero name size", []byte("070701" + strings.Repeat("00000000", 13)), nil},
		{"cpio huge name size", []byte("070701" + strings.Repeat("00000000", 11) + "ffffffff" + "00000000"), nil},
		{"cpio unknown file type", cpioWith(func(w *cpioWriter) { w.add("x", 0o070644, 1, 1, nil) }), ErrUnsupportedMember},
		{"cpio symlink target too long", cpioWith(func(w *cpioWriter) { w.add("x", cpioTypeLink|0o777, 1, 1, bytes.Repeat([]byte("a"), 5000)) }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Extract(context.Background(), bytes.NewReader(tc.data), "bad.archive", t.TempDir(), Options{})
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "bad.archive: ") {
				t.Errorf("error %q does not name the archive", err)
			}
		})
	}
}

func cpioWith(add func(*cpioWriter)) []byte {
	w := &cpioWriter{}
	add(w)
	return w.finish()
}

func TestCpioChecksum(t *testing.T) {
	t.Parallel()
	good := makeCpio(t, []entry{{name: "f", typ: 'f', body: "payload"}}, true)
	if _, err := Extract(context.Background(), bytes.NewReader(good), "ok.cpio", t.TempDir(), Options{}); err != nil {
		t.Fatalf("valid 070702 archive: %v", err)
	}
	bad := bytes.Replace(good, []byte("payload"), []byte("pAyload"), 1)
	_, err := Extract(context.Background(), bytes.NewReader(bad), "bad.cpio", t.TempDir(), Options{})
	var me *MemberError
	if !errors.As(err, &me) || me.Member != "f" || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupted 070702 member: err = %v, want a checksum error naming f", err)
	}
}

func TestCpioHardLinkDataWithLastName(t *testing.T) {
	t.Parallel()
	// GNU cpio and rpm store a link group's data with its last name only.
	data := cpioWith(func(w *cpioWriter) {
		w.add("a", cpioTypeReg|0o644, 7, 3, nil)
		w.add("b", cpioTypeReg|0o644, 7, 3, nil)
		w.add("c", cpioTypeReg|0o644, 7, 3, []byte("shared"))
		w.add("lonely1", cpioTypeReg|0o600, 9, 2, nil) // a group whose data never comes: empty files
		w.add("lonely2", cpioTypeReg|0o600, 9, 2, nil)
	})
	dest := t.TempDir()
	members, err := Extract(context.Background(), bytes.NewReader(data), "links.cpio", dest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "c a b lonely1 lonely2"; strings.Join(members, " ") != want {
		t.Errorf("members = %q, want %q", members, want)
	}
	for _, n := range []string{"a", "b", "c"} {
		if body, err := os.ReadFile(filepath.Join(dest, n)); err != nil || string(body) != "shared" {
			t.Errorf("%s = %q, %v", n, body, err)
		}
	}
	checkSameFile(t, filepath.Join(dest, "a"), filepath.Join(dest, "c"))
	checkSameFile(t, filepath.Join(dest, "b"), filepath.Join(dest, "c"))
	checkSameFile(t, filepath.Join(dest, "lonely1"), filepath.Join(dest, "lonely2"))
}

func TestCpioPendingLinksCountTowardsMemberLimit(t *testing.T) {
	t.Parallel()
	data := cpioWith(func(w *cpioWriter) {
		for i := range 20 {
			w.add("n"+strings.Repeat("x", i), cpioTypeReg|0o644, 5, 2, nil)
		}
	})
	_, err := Extract(context.Background(), bytes.NewReader(data), "many.cpio", t.TempDir(), Options{Limits: Limits{MaxMembers: 10}})
	if !errors.Is(err, ErrTooManyMembers) {
		t.Errorf("err = %v, want ErrTooManyMembers", err)
	}
}
