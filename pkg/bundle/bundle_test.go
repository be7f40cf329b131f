package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backport/backport/internal/testtool"
)

func TestWriteLayout(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	in := testInput(t, t.TempDir())
	w, err := Write(context.Background(), out, in)
	if err != nil {
		t.Fatal(err)
	}
	wantDir := filepath.Join(out, "dist", "fixture-2-1+bp1.debian-12")
	if w.Dir != wantDir || w.Tarball != wantDir+".tar.gz" {
		t.Fatalf("Write placed %s and %s; want %s(.tar.gz)", w.Dir, w.Tarball, wantDir)
	}
	files, err := digestFiles(w.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Path)
	}
	want := []string{"SHA256SUMS", "install.sh", "manifest.json", "packages/fixture_2-1+bp1_all.deb", "packaging.diff", "provenance.intoto.json", "report.md"}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	if fi, err := os.Stat(filepath.Join(w.Dir, "install.sh")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("install.sh mode %v, %v; want 0755", fi.Mode(), err)
	}
	left, _ := filepath.Glob(filepath.Join(out, "dist", ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	sha := testtool.Require(t, "sha256sum")
	cmd := exec.Command(sha, "-c", "--strict", "SHA256SUMS")
	cmd.Dir = w.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}
	sums, _ := os.ReadFile(filepath.Join(w.Dir, "SHA256SUMS"))
	if n := strings.Count(string(sums), "\n"); n != len(want)-1 {
		t.Errorf("SHA256SUMS has %d lines, want %d (every file but itself):\n%s", n, len(want)-1, sums)
	}
	// The manifest lists every other file with the digest SHA256SUMS has.
	for _, f := range w.Manifest.Files {
		if !strings.Contains(string(sums), f.SHA256+"  "+f.Path+"\n") {
			t.Errorf("manifest file %s %s not in SHA256SUMS", f.Path, f.SHA256)
		}
	}
}

func TestManifest(t *testing.T) {
	t.Parallel()
	in := testInput(t, t.TempDir())
	in.Signer = newTestSigner(t)
	w, err := Write(context.Background(), t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(w.Dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{
		"schema": "backport.bundle/v1", "bundle": "fixture-2-1+bp1.debian-12", "name": "fixture",
		"version": "2-1+bp1", "upstream_version": "2", "target": "debian-12", "family": "deb",
		"insecure": false, "tool_version": "v0.9.0-test", "build_time": "2026-03-04T05:06:07Z",
	} {
		if m[key] != want {
			t.Errorf("manifest %s = %v, want %v", key, m[key], want)
		}
	}
	pkg := w.Manifest.Packages[0]
	if pkg.Name != "fixture" || pkg.Version != "2-1+bp1" || pkg.Arch != "all" || pkg.Kind != KindBinary || len(pkg.SHA256) != 64 {
		t.Errorf("package %+v", pkg)
	}
	if sig := w.Manifest.Signature; sig == nil || sig.Fingerprint != in.Signer.Fingerprint() {
		t.Errorf("signature %+v, want fingerprint %s", sig, in.Signer.Fingerprint())
	}
	if w.Manifest.Builder.Digest != in.BuilderImageDigest || len(w.Manifest.Sources) != 2 || len(w.Manifest.Remedies) != 1 {
		t.Errorf("builder/sources/remedies not carried: %+v", w.Manifest)
	}
	if _, err := os.Stat(filepath.Join(w.Dir, "SHA256SUMS.asc")); err != nil {
		t.Error(err)
	}
	if strings.Contains(string(data), "PRIVATE") || strings.Contains(string(data), "-----BEGIN") {
		t.Error("the manifest holds key material")
	}
}

func TestManifestInsecureIsLoud(t *testing.T) {
	t.Parallel()
	for name, mutate := range map[string]func(*Input){
		"flag":             func(in *Input) { in.Insecure = true },
		"unverified input": func(in *Input) { in.Sources[1].VerifiedBy = "" },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := testInput(t, t.TempDir())
			mutate(&in)
			w, err := Write(context.Background(), t.TempDir(), in)
			if err != nil {
				t.Fatal(err)
			}
			if !w.Manifest.Insecure || !strings.Contains(w.Manifest.InsecureNote, "UNVERIFIED") {
				t.Errorf("insecure %v, note %q", w.Manifest.Insecure, w.Manifest.InsecureNote)
			}
		})
	}
}

func TestProvenance(t *testing.T) {
	t.Parallel()
	in := testInput(t, t.TempDir())
	w, err := Write(context.Background(), t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(w.Dir, "provenance.intoto.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Type    string `json:"_type"`
		Subject []struct {
			Name   string
			Digest map[string]string
		}
		PredicateType string
		Predicate     struct {
			BuildDefinition struct {
				BuildType            string
				ExternalParameters   map[string]any
				InternalParameters   map[string]any
				ResolvedDependencies []struct {
					Name, URI string
					Digest    map[string]string
				}
			}
			RunDetails struct {
				Builder  struct{ ID string }
				Metadata struct{ FinishedOn string }
			}
		}
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("type %q, predicate %q", st.Type, st.PredicateType)
	}
	if len(st.Subject) != 1 || st.Subject[0].Name != "fixture_2-1+bp1_all.deb" || st.Subject[0].Digest["sha256"] != w.Manifest.Packages[0].SHA256 {
		t.Errorf("subjects %+v", st.Subject)
	}
	bd := st.Predicate.BuildDefinition
	if !strings.HasPrefix(bd.BuildType, "https://") || bd.ExternalParameters["package"] != "fixture" {
		t.Errorf("build definition %+v", bd)
	}
	if flags, _ := bd.ExternalParameters["flags"].(map[string]any); flags["max-attempts"] != "8" {
		t.Errorf("flags %v", bd.ExternalParameters["flags"])
	}
	if r, _ := bd.InternalParameters["remedies"].([]any); len(r) != 1 {
		t.Errorf("remedies %v", bd.InternalParameters["remedies"])
	}
	deps := bd.ResolvedDependencies
	if len(deps) != 3 || deps[0].Digest["sha256"] != strings.Repeat("a", 64) || deps[2].Digest["sha256"] != strings.Repeat("c", 64) {
		t.Errorf("dependencies %+v", deps)
	}
	if st.Predicate.RunDetails.Builder.ID == "" || st.Predicate.RunDetails.Metadata.FinishedOn != "2026-03-04T05:06:07Z" {
		t.Errorf("run details %+v", st.Predicate.RunDetails)
	}
}

func TestTarballIsReproducible(t *testing.T) {
	t.Parallel()
	pkgDir := t.TempDir()
	in := testInput(t, pkgDir)
	// Unsigned: OpenPGP signatures here carry random salt notations.
	a, err := Write(context.Background(), t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	// Different umask-free modes and mtimes of the inputs must not matter.
	if err := os.Chtimes(in.Packages[0], time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	b, err := Write(context.Background(), t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	if a.TarballSHA256 != b.TarballSHA256 {
		t.Errorf("same input, different tarballs: %s, %s", a.TarballSHA256, b.TarballSHA256)
	}
	if got := sha256Hex(mustRead(t, b.Tarball)); got != b.TarballSHA256 {
		t.Errorf("TarballSHA256 %s, file hashes to %s", b.TarballSHA256, got)
	}
	in.BuildTime = in.BuildTime.Add(time.Second)
	c, err := Write(context.Background(), t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	if c.TarballSHA256 == a.TarballSHA256 {
		t.Error("a different build time gave the same tarball")
	}
	checkTarball(t, a.Tarball)
}

// checkTarball reads the tarball back: sorted entries under the bundle
// directory, owned by root, fixed modes and mtime, no gzip name or time.
func checkTarball(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header name %q, mtime %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(testTime) {
			t.Errorf("%s: uid %d gid %d mtime %v", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		want := int64(0o644)
		if h.Typeflag == tar.TypeDir || strings.HasSuffix(h.Name, "/install.sh") {
			want = 0o755
		}
		if h.Mode != want {
			t.Errorf("%s: mode %o, want %o", h.Name, h.Mode, want)
		}
	}
	if !slices.IsSorted(names) || names[0] != "fixture-2-1+bp1.debian-12/" {
		t.Errorf("entries %v: want sorted, under the bundle directory", names)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestWriteReplacesAnExistingBundle(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	in := testInput(t, t.TempDir())
	first, err := Write(context.Background(), out, in)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(first.Dir, "packages", "stale.deb")
	if err := os.WriteFile(stale, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The packages may come from the directory being replaced, as the
	// build's collect step leaves them there.
	in.Packages = []string{filepath.Join(first.Dir, "packages", "fixture_2-1+bp1_all.deb")}
	in.ReportMarkdown = []byte("# second\n")
	second, err := Write(context.Background(), out, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old bundle's files survived: %v", err)
	}
	if got := string(mustRead(t, filepath.Join(second.Dir, "report.md"))); got != "# second\n" {
		t.Errorf("report.md = %q", got)
	}
	left, _ := filepath.Glob(filepath.Join(out, "dist", ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestWriteFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	cases := map[string]func(t *testing.T, in *Input){
		"signer fails": func(t *testing.T, in *Input) {
			s := newTestSigner(t)
			s.fail = errors.New("no passphrase")
			in.Signer = s
		},
		"missing package": func(t *testing.T, in *Input) { in.Packages = append(in.Packages, "/nonexistent/x_1_all.deb") },
		"not a package": func(t *testing.T, in *Input) {
			in.Packages = append(in.Packages, writeTemp(t, "junk_1_all.deb", "junk"))
		},
		"bad service":    func(t *testing.T, in *Input) { in.Services = []string{"x; rm -rf /"} },
		"bad version":    func(t *testing.T, in *Input) { in.Version = "2 1" },
		"no build time":  func(t *testing.T, in *Input) { in.BuildTime = time.Time{} },
		"unknown family": func(t *testing.T, in *Input) { in.Family = "apk" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			in := testInput(t, t.TempDir())
			mutate(t, &in)
			if _, err := Write(context.Background(), out, in); err == nil {
				t.Fatal("Write succeeded")
			} else if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			left, _ := filepath.Glob(filepath.Join(out, "dist", "*"))
			hidden, _ := filepath.Glob(filepath.Join(out, "dist", ".*"))
			if len(left)+len(hidden) > 0 {
				t.Errorf("left behind: %v %v", left, hidden)
			}
		})
	}
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := t.TempDir()
	if _, err := Write(ctx, out, testInput(t, t.TempDir())); !errors.Is(err, context.Canceled) {
		t.Errorf("Write = %v, want context.Canceled", err)
	}
	if left, _ := filepath.Glob(filepath.Join(out, "dist", "*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// Signatures carry a random salt: two signed writes differ in
// SHA256SUMS.asc and nowhere else.
func TestSignedRebuildDiffersOnlyInSignature(t *testing.T) {
	t.Parallel()
	in := testInput(t, t.TempDir())
	in.Signer = newTestSigner(t)
	a, err := Write(context.Background(), t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Write(context.Background(), t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	fa, err := digestFiles(a.Dir)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := digestFiles(b.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fa) != len(fb) {
		t.Fatalf("%d files, then %d", len(fa), len(fb))
	}
	for i := range fa {
		if fa[i].Path != fileSumsAsc && fa[i] != fb[i] {
			t.Errorf("%s differs between two signed writes", fa[i].Path)
		}
	}
}
