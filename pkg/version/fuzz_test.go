package version

import (
	"strings"
	"testing"
)

func family(rpm bool) Family {
	if rpm {
		return RPM
	}
	return Deb
}

// FuzzCompare: Compare never panics, errors are symmetric, results are
// -1/0/1, antisymmetric, and reflexive on valid input.
func FuzzCompare(f *testing.F) {
	for _, c := range orderings {
		f.Add(c.f == RPM, c.a, c.b)
	}
	f.Add(true, "1.0^", "1.0^~")
	f.Add(true, "^", "~")
	f.Add(true, "1:", "1")
	f.Add(false, "1:1:1-1", "1:1")
	f.Add(false, "99999999999999999999", "1")
	f.Fuzz(func(t *testing.T, rpm bool, a, b string) {
		fam := family(rpm)
		ab, errAB := Compare(fam, a, b)
		ba, errBA := Compare(fam, b, a)
		if (errAB == nil) != (errBA == nil) {
			t.Fatalf("Compare(%q, %q) error %v, but reversed error %v", a, b, errAB, errBA)
		}
		if errAB != nil {
			if strings.Contains(errAB.Error(), "\n") {
				t.Fatalf("error spans lines: %q", errAB)
			}
			return
		}
		if ab < -1 || ab > 1 {
			t.Fatalf("Compare(%q, %q) = %d, not -1/0/1", a, b, ab)
		}
		if ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if Check(fam, a) != nil || Check(fam, b) != nil {
			t.Fatalf("Compare accepted %q, %q that Check refuses", a, b)
		}
		if aa, err := Compare(fam, a, a); err != nil || aa != 0 {
			t.Fatalf("Compare(%q, %q) = %d, %v; want 0", a, a, aa, err)
		}
	})
}

// FuzzHotfixVersion: HotfixVersion never panics, and whatever it returns
// without error is consistent and holds the relations it claims.
func FuzzHotfixVersion(f *testing.F) {
	for _, c := range hotfixCases {
		f.Add(c.req.Family == RPM, string(c.req.Vendor), c.req.Current, c.req.Upstream, c.req.Dist)
	}
	f.Add(true, "", "1:1.0^git1-0.bp1~x", "1.0^git1", "~x")
	f.Add(false, "ubuntu", "1.0-3ubuntu0.0~bp99999999999", "1.0", "")
	f.Add(false, "", "1.0-+b1", "1.0", "")
	f.Fuzz(func(t *testing.T, rpm bool, vendor, current, upstream, dist string) {
		fam := family(rpm)
		h, err := HotfixVersion(Request{Family: fam, Vendor: Vendor(vendor), Current: current, Upstream: upstream, Dist: dist})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		if err := Check(fam, h.Full); err != nil {
			t.Fatalf("hotfix %q is invalid: %v", h.Full, err)
		}
		if got := withEpoch(h.Epoch, joinRelease(h.Version, h.Release)); got != h.Full {
			t.Fatalf("parts make %q, Full is %q", got, h.Full)
		}
		if c, err := Compare(fam, h.Concrete, h.Above); err != nil || c != 1 {
			t.Fatalf("hotfix %q vs current %q: %d, %v; want 1", h.Concrete, h.Above, c, err)
		}
		if len(h.Below) == 0 {
			t.Fatalf("hotfix %q proved against no successors", h.Concrete)
		}
		for _, s := range h.Below {
			if c, err := Compare(fam, h.Concrete, s); err != nil || c != -1 {
				t.Fatalf("hotfix %q vs successor %q: %d, %v; want -1", h.Concrete, s, c, err)
			}
		}
		if !strings.HasPrefix(dist, "%") {
			// Only a dist macro makes the proved versions differ from the given ones.
			if h.Above != current || h.Concrete != h.Full {
				t.Fatalf("Above %q / Concrete %q differ from Current %q / Full %q without a macro", h.Above, h.Concrete, current, h.Full)
			}
		}
	})
}
