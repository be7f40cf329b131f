package fetch

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/backport/backport/pkg/exitcode"
)

// VerifySHA256 checks that the file at path has the sha256 wantHex. A
// mismatch is an exitcode.Verification error; a malformed wantHex is a plain
// error, since it is a mistake in the input rather than in the file.
func VerifySHA256(path, wantHex string) error {
	want, err := normalizeSHA256(wantHex)
	if err != nil {
		return err
	}
	got, _, err := hashFile(path)
	if err != nil {
		return err
	}
	if got != want {
		return exitcode.Wrap(exitcode.Verification,
			fmt.Errorf("%s: sha256 mismatch: got %s, want %s", path, got, want))
	}
	return nil
}

// ParseChecksums reads sha256 checksum files and returns file name → hex
// digest (lower case). It understands the GNU format of sha256sum
// ("<hex>  name", "<hex> *name", and the backslash-escaped form) and the BSD
// format ("SHA256 (name) = <hex>"). Lines in any other form — comments,
// other algorithms, the armor of a clearsigned file — are skipped. A name
// listed twice with different digests is left out: a lookup then fails
// instead of picking one of them.
func ParseChecksums(data []byte) map[string]string {
	sums := map[string]string{}
	conflicting := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, sum, ok := parseChecksumLine(strings.TrimRight(sc.Text(), "\r"))
		if !ok || conflicting[name] {
			continue
		}
		if prev, seen := sums[name]; seen && prev != sum {
			delete(sums, name)
			conflicting[name] = true
			continue
		}
		sums[name] = sum
	}
	return sums
}

func parseChecksumLine(line string) (name, sum string, ok bool) {
	if rest, found := strings.CutPrefix(line, "SHA256 ("); found {
		i := strings.LastIndex(rest, ") = ")
		if i < 0 {
			return "", "", false
		}
		name, sum = rest[:i], strings.TrimSpace(rest[i+len(") = "):])
	} else {
		// sha256sum starts a line with "\" when it escaped the name.
		escaped := strings.HasPrefix(line, `\`)
		if escaped {
			line = line[1:]
		}
		if len(line) < 66 || line[64] != ' ' {
			return "", "", false
		}
		sum, name = line[:64], line[65:]
		// The second separator character is ' ' (text) or '*' (binary);
		// older tools wrote a single space.
		if len(name) > 0 && (name[0] == ' ' || name[0] == '*') {
			name = name[1:]
		}
		if escaped {
			name = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(name)
		}
	}
	sum, err := normalizeSHA256(sum)
	if err != nil || name == "" {
		return "", "", false
	}
	return name, sum, true
}

// normalizeSHA256 returns s in lower case if it is a sha256 in hex.
func normalizeSHA256(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) != 2*sha256.Size {
		return "", fmt.Errorf("%q is not a sha256 (want %d hex digits)", s, 2*sha256.Size)
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", fmt.Errorf("%q is not a sha256 (want %d hex digits)", s, 2*sha256.Size)
	}
	return s, nil
}

// hashFile returns the sha256 and size of the file at path.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
