package sign

import (
	"bytes"
	"testing"

	"github.com/backport/backport/pkg/fetch"
)

// FuzzClearSign: whatever text is clearsigned verifies, and signing the
// result again takes the old signature off rather than nesting it, and
// signs the same text.
func FuzzClearSign(f *testing.F) {
	for _, s := range []string{
		changes, "", "\n", "no newline", "a \t\nb\r\n\n\n", "-----BEGIN PGP SIGNED MESSAGE-----\n",
		"- dash\n-----BEGIN PGP SIGNATURE-----\n", "Format: 1.8\n\n\nSource: x\n",
	} {
		f.Add([]byte(s))
	}
	tk := ed25519Key()
	keys, err := fetch.ReadKeyring(tk.public)
	if err != nil {
		f.Fatal(err)
	}
	k, err := LoadKey("", envOf(map[string]string{EnvKey: string(tk.secret)}))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		once, err := k.ClearSign(data)
		if err != nil {
			// Only a document that claims to be clearsigned and is not
			// may be refused.
			if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(clearsignedBegin)) {
				t.Fatalf("ClearSign(%q): %v", data, err)
			}
			return
		}
		text, _, err := fetch.VerifyClearsigned(keys, once)
		if err != nil {
			t.Fatalf("ClearSign(%q) does not verify: %v\n%s", data, err, once)
		}
		twice, err := k.ClearSign(once)
		if err != nil {
			t.Fatalf("signing again: %v", err)
		}
		again, _, err := fetch.VerifyClearsigned(keys, twice)
		if err != nil {
			t.Fatalf("signing again does not verify: %v\n%s", err, twice)
		}
		// Re-signing replaces the signature, it does not wrap: the header
		// appears no more often than in the first signing (the text itself
		// may contain it mid-line).
		if !bytes.Equal(text, again) || bytes.Count(twice, []byte(clearsignedBegin)) != bytes.Count(once, []byte(clearsignedBegin)) {
			t.Fatalf("signing again changed the signed text:\n%s\n---\n%s", once, twice)
		}
	})
}
