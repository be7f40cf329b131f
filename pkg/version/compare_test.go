package version

import (
	"math/rand/v2"
	"testing"
)

// orderingCase is one pair and the order rpm or dpkg gives it.
type orderingCase struct {
	f    Family
	a, b string
	want int
}

// orderings holds pairs whose order is checked against our Compare and the
// real tools alike. The DESIGN §4 rows pit each hotfix against the current
// version and against each successor that must win.
var orderings = []orderingCase{
	// DESIGN §4, RPM new upstream.
	{RPM, "2.2.20-0.bp1.el6", "2.2.19-10.el6", 1},
	{RPM, "2.2.20-0.bp1.el6", "2.2.20-1.el6", -1},
	{RPM, "2.2.20-0.bp1.el6", "2.2.20-0.1.el6", -1},
	// DESIGN §4, RPM patch on the same version.
	{RPM, "2.17-106.el7.bp1", "2.17-106.el7", 1},
	{RPM, "2.17-106.el7.bp1", "2.17-107.el7", -1},
	{RPM, "2.17-106.el7.bp1", "2.17-106.el7_9.1", -1},
	// Carets, which go-rpmutils v0.4.0 gets wrong.
	{RPM, "1.0^", "1.0", 1},
	{RPM, "1.0^git1", "1.0.1", -1},
	{RPM, "1.0^git1", "1.0", 1},
	{RPM, "1.0^git1", "1.0^git2", -1},
	{RPM, "1.0^", "1.0a", -1},
	{RPM, "1.0^", "1.0.0", -1},
	{RPM, "1.0^~", "1.0^", -1},
	{RPM, "1.0~rc1^git1", "1.0~rc1", 1},
	{RPM, "1.0~rc1^git1", "1.0", -1},
	{RPM, "1.0^git1-1", "1.0^git1", 1},
	// Tildes.
	{RPM, "1.0~rc1", "1.0", -1},
	{RPM, "1.0~rc1", "1.0~rc2", -1},
	{RPM, "1.0~~", "1.0~", -1},
	{RPM, "1.0-0.bp1~1", "1.0-0.bp1", -1},
	// Epochs: missing is 0, and the epoch outranks everything after it.
	{RPM, "1:1.0-1", "2.0-1", 1},
	{RPM, "0:1.0-1", "1.0-1", 0},
	{RPM, "1:2-3", "2-4", 1},
	{RPM, "2:1.0-1", "1:9.9-9", 1},
	{RPM, "00:1.0-1", "0:1.0-1", 0},
	{RPM, "4294967295:1", "1:1", 1},
	// Alpha and numeric segments, separators, leading zeros.
	{RPM, "1.10", "1.9", 1},
	{RPM, "a", "1", -1},
	{RPM, "1.0a", "1.0", 1},
	{RPM, "1a", "1.a", 0},
	{RPM, "1_1", "1.1", 0},
	{RPM, "1+1", "1.1", 0},
	{RPM, "1.0", "1.0.0", -1},
	{RPM, "01", "1", 0},
	{RPM, "1.01", "1.1", 0},
	{RPM, "00001-1", "1-1", 0},
	// Releases: present beats absent (rpm 4.18 rpm.vercmp), dist tags, z-streams.
	{RPM, "1.0-1", "1.0", 1},
	{RPM, "1.0-1.el7", "1.0-1.el8", -1},
	{RPM, "1.0-1.fc40", "1.0-1.fc41", -1},
	{RPM, "1.0-1.el7_9", "1.0-1.el7", 1},
	{RPM, "1.0-1.el8_6.1", "1.0-1.1.el8_6", -1},
	{RPM, "1.0-2.fc40.bp1", "1.0-2.fc40.1", -1},
	{RPM, "1.0-0.bp10.el9", "1.0-0.bp9.el9", 1},
	{RPM, "1.0-106.el9.bp1", "1.0-106.el9_0.1", -1},

	// DESIGN §4, Debian new upstream.
	{Deb, "2.4.69-0~bp1", "2.4.62-1~deb12u2", 1},
	{Deb, "2.4.69-0~bp1", "2.4.69-0+deb12u1", -1},
	{Deb, "2.4.69-0~bp1", "2.4.69-1~deb12u1", -1},
	// DESIGN §4, Debian same version.
	{Deb, "2.36-9+deb12u14+bp1", "2.36-9+deb12u14", 1},
	{Deb, "2.36-9+deb12u14+bp1", "2.36-9+deb12u15", -1},
	// DESIGN §4, Ubuntu same version.
	{Deb, "2.10-3ubuntu0.0~bp1", "2.10-3", 1},
	{Deb, "2.10-3ubuntu0.0~bp1", "2.10-3ubuntu0.1", -1},
	// Plain Debian same version.
	{Deb, "2.10-3+bp1", "2.10-3", 1},
	{Deb, "2.10-3+bp1", "2.10-3+deb12u1", -1},
	{Deb, "2.10-3+bp1", "2.10-4", -1},
	// Tildes.
	{Deb, "1.0~rc1", "1.0", -1},
	{Deb, "1.0~rc1-1", "1.0-1", -1},
	{Deb, "1.0~~", "1.0~", -1},
	{Deb, "1.0~", "1.0", -1},
	{Deb, "1.2-3~bpo12+1", "1.2-3", -1},
	// Epochs.
	{Deb, "1:1.0-1", "2.0-1", 1},
	{Deb, "0:1.0-1", "1.0-1", 0},
	{Deb, "7:1.0", "6:99", 1},
	{Deb, "1:1.2+bp1", "1:1.2", 1},
	// Letters sort before non-letters, and end of string before both.
	{Deb, "1.0a", "1.0", 1},
	{Deb, "1.0a", "1.0+", -1},
	{Deb, "1.0.1", "1.0+1", 1},
	{Deb, "1.10", "1.9", 1},
	// Leading zeros, and a missing revision that equals "-0".
	{Deb, "01", "1", 0},
	{Deb, "1.001", "1.1", 0},
	{Deb, "1.0", "1.0-0", 0},
	{Deb, "1.0-1", "1.0", 1},
	// Ubuntu and Debian suffixes.
	{Deb, "2.10-3ubuntu0.24.04.1", "2.10-3ubuntu0.0~bp1", 1},
	{Deb, "2.10-3ubuntu1", "2.10-3ubuntu0.24.04.1", 1},
	{Deb, "2.10-3build1", "2.10-3", 1},
	{Deb, "2.10-3ubuntu0.1", "2.10-3build1", 1},
	{Deb, "1.2-3+deb12u1", "1.2-3", 1},
	{Deb, "1.2-3+b1", "1.2-3", 1},
	{Deb, "1.2-3+b1", "1.2-3+bp1", -1}, // a binNMU of the unfixed source loses to the hotfix
	{Deb, "1.2+bp1", "1.2+deb12u1", -1},
	{Deb, "1.3~bp1", "1.2", 1},
	{Deb, "1.3~bp1", "1.3", -1},
	{Deb, "1.0-0.1", "1.0-0~bp1", 1},
	{Deb, "1.0-1ubuntu1", "1.0-1", 1},
}

func TestCompare(t *testing.T) {
	t.Parallel()
	for _, c := range orderings {
		got, err := Compare(c.f, c.a, c.b)
		if err != nil {
			t.Errorf("Compare(%s, %q, %q): %v", c.f, c.a, c.b, err)
			continue
		}
		if got != c.want {
			t.Errorf("Compare(%s, %q, %q) = %d, want %d", c.f, c.a, c.b, got, c.want)
		}
		if back, _ := Compare(c.f, c.b, c.a); back != -c.want {
			t.Errorf("Compare(%s, %q, %q) = %d, want %d", c.f, c.b, c.a, back, -c.want)
		}
	}
}

// TestCompareMatchesRealTools asks rpm and dpkg themselves about every
// pair, so the table cannot drift from the tools it describes.
func TestCompareMatchesRealTools(t *testing.T) {
	t.Parallel()
	for _, f := range []Family{RPM, Deb} {
		var pairs []pair
		var want []int
		for _, c := range orderings {
			if c.f == f {
				pairs = append(pairs, pair{c.a, c.b})
				want = append(want, c.want)
			}
		}
		crossCheck(t, f, pairs, want)
	}
}

func TestCompareRejectsInvalid(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f    Family
		a, b string
	}{
		{RPM, "1.0-1-1", "1.0"},
		{RPM, "2.2 20", "2.2.20"},
		{RPM, "1.0-1%{?dist}", "1.0-1"}, // a macro has no order until expanded
		{RPM, "", "1"},
		{Deb, "a1.0", "1.0"},
		{Deb, "1.0-", "1.0"},
		{Deb, "1.0", "x:1.0"},
		{"tar", "1", "1"},
	} {
		if got, err := Compare(c.f, c.a, c.b); err == nil {
			t.Errorf("Compare(%s, %q, %q) = %d, want an error", c.f, c.a, c.b, got)
		}
	}
}

// TestRPMVercmpMatchesRPM compares the caret-aware wrapper around
// go-rpmutils with rpm on random strings built from the characters that
// drive rpmvercmp: digits, letters, separators, '~' and '^'.
func TestRPMVercmpMatchesRPM(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0129ab.._~^"
	random := func() string {
		b := make([]byte, 1+rng.IntN(7))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	n := 3000
	if testing.Short() {
		n = 300
	}
	pairs := make([]pair, n)
	want := make([]int, n)
	for i := range pairs {
		pairs[i] = pair{random(), random()}
		if i%5 == 0 {
			pairs[i].b = pairs[i].a + random() // shared prefixes reach the interesting cases
		}
		want[i] = rpmVercmp(pairs[i].a, pairs[i].b)
	}
	crossCheck(t, RPM, pairs, want)
}

// TestDebCompareMatchesDpkg compares the library's ordering with dpkg on
// random valid versions.
func TestDebCompareMatchesDpkg(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "019a.+~"
	part := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	random := func() string {
		v := "1" + part(rng.IntN(5))
		if rng.IntN(2) == 0 {
			v += "-" + part(1+rng.IntN(4))
		}
		if rng.IntN(4) == 0 {
			v = "1:" + v
		}
		return v
	}
	n := 100 // dpkg runs once per pair, and starting it is slow
	if testing.Short() {
		n = 20
	}
	pairs := make([]pair, n)
	want := make([]int, n)
	for i := range pairs {
		pairs[i] = pair{random(), random()}
		got, err := Compare(Deb, pairs[i].a, pairs[i].b)
		if err != nil {
			t.Fatalf("random version is invalid: %v", err)
		}
		want[i] = got
	}
	crossCheck(t, Deb, pairs, want)
}
