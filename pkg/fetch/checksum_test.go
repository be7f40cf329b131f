package fetch

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/exitcode"
)

const (
	sumA = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
	sumB = "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"
)

func TestParseChecksums(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"GNU text mode", sumA + "  hello-2.12.3.tar.gz\n", map[string]string{"hello-2.12.3.tar.gz": sumA}},
		{"GNU binary mode", sumA + " *hello-2.12.3.tar.gz\n", map[string]string{"hello-2.12.3.tar.gz": sumA}},
		{"single space", sumA + " hello.tar.gz", map[string]string{"hello.tar.gz": sumA}},
		{"upper-case hex, CRLF", strings.ToUpper(sumA) + "  a.tar.gz\r\n", map[string]string{"a.tar.gz": sumA}},
		{"name with spaces", sumA + "  my file.tar.gz\n", map[string]string{"my file.tar.gz": sumA}},
		{"escaped name", `\` + sumA + `  new\nline\\x.tar.gz` + "\n", map[string]string{"new\nline\\x.tar.gz": sumA}},
		{"BSD", "SHA256 (hello-2.12.3.tar.gz) = " + sumA + "\n", map[string]string{"hello-2.12.3.tar.gz": sumA}},
		{"BSD name with parens", "SHA256 (a (1).tar.gz) = " + sumB, map[string]string{"a (1).tar.gz": sumB}},
		{"several, mixed", sumA + "  a.tar.gz\nSHA256 (b.tar.gz) = " + sumB + "\n",
			map[string]string{"a.tar.gz": sumA, "b.tar.gz": sumB}},
		{"skips other algorithms and noise",
			"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" +
				"# comment\n" +
				"d41d8cd98f00b204e9800998ecf8427e  md5.tar.gz\n" +
				"SHA512 (x.tar.gz) = " + sumA + sumA + "\n" +
				sumA + sumA + "  sha512.tar.gz\n" +
				sumB + "  real.tar.gz\n",
			map[string]string{"real.tar.gz": sumB}},
		{"not hex", strings.Repeat("z", 64) + "  a.tar.gz\n", map[string]string{}},
		{"no name", sumA + "  \n", map[string]string{}},
		{"same name twice, same sum", sumA + "  a\n" + sumA + " *a\n", map[string]string{"a": sumA}},
		{"same name twice, two sums", sumA + "  a\n" + sumB + "  a\n" + sumA + "  a\n" + sumB + "  b\n",
			map[string]string{"b": sumB}},
		{"empty", "", map[string]string{}},
	}
	for _, tt := range tests {
		if got := ParseChecksums([]byte(tt.in)); !maps.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestVerifySHA256(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("foo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := VerifySHA256(path, strings.ToUpper(sumB)); err != nil {
		t.Errorf("good hash: %v", err)
	}
	if err := VerifySHA256(path, sumA); exitcode.Of(err) != exitcode.Verification {
		t.Errorf("wrong hash: err = %v, want exit 4", err)
	}
	if err := VerifySHA256(path, "1234"); err == nil || exitcode.Of(err) == exitcode.Verification {
		t.Errorf("malformed hash: err = %v, want a plain error", err)
	}
}

func FuzzParseChecksums(f *testing.F) {
	f.Add([]byte(sumA + "  hello-2.12.3.tar.gz\n"))
	f.Add([]byte(`\` + sumA + ` *a\\b\n`))
	f.Add([]byte("SHA256 (x) = " + sumB + "\r\n"))
	f.Add([]byte("SHA256 () = \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, sum := range ParseChecksums(data) {
			if name == "" {
				t.Error("empty name")
			}
			if _, err := normalizeSHA256(sum); err != nil || sum != strings.ToLower(sum) {
				t.Errorf("bad sum %q", sum)
			}
		}
	})
}
