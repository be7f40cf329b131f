package version

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// hotfixCase is one request and what must come of it. mustWin lists
// versions the distro could ship that must sort above the hotfix, chosen
// by hand (DESIGN §4 and the vendors' conventions) independently of the
// successors HotfixVersion derives; wantBelow lists derived successors
// that must be among those it proved.
type hotfixCase struct {
	name      string
	req       Request
	want      string // Full
	concrete  string // Concrete, when it differs from Full
	above     string // Above, when it differs from Current
	mustWin   []string
	wantBelow []string
}

var hotfixCases = []hotfixCase{
	// DESIGN §4, row by row.
	{name: "design rpm new upstream",
		req:  Request{Family: RPM, Current: "2.2.19-10.el6", Upstream: "2.2.20", Dist: ".el6"},
		want: "2.2.20-0.bp1.el6", mustWin: []string{"2.2.20-1.el6", "2.2.20-0.1.el6", "2.2.21-1.el6"}},
	{name: "design rpm same version",
		req:  Request{Family: RPM, Current: "2.17-106.el7", Upstream: "2.17", Dist: ".el7"},
		want: "2.17-106.el7.bp1", mustWin: []string{"2.17-107.el7", "2.17-106.el7_9.1", "2.17-106.1.el7"}},
	{name: "design debian new upstream",
		req:  Request{Family: Deb, Current: "2.4.62-1~deb12u2", Upstream: "2.4.69"},
		want: "2.4.69-0~bp1", mustWin: []string{"2.4.69-0+deb12u1", "2.4.69-1~deb12u1", "2.4.69-1"}},
	{name: "design debian same version",
		req:  Request{Family: Deb, Current: "2.36-9+deb12u14", Upstream: "2.36"},
		want: "2.36-9+deb12u14+bp1", mustWin: []string{"2.36-9+deb12u15", "2.36-10"}},
	{name: "design ubuntu same version",
		req:  Request{Family: Deb, Vendor: Ubuntu, Current: "2.10-3", Upstream: "2.10"},
		want: "2.10-3ubuntu0.0~bp1", mustWin: []string{"2.10-3ubuntu0.1", "2.10-3ubuntu0.24.04.1", "2.10-3ubuntu1"}},

	// RPM dist macros: placed like the literal tag, proved with a stand-in.
	{name: "rpm macro new upstream",
		req:  Request{Family: RPM, Current: "2.2.19-10%{?dist}", Upstream: "2.2.20", Dist: "%{?dist}"},
		want: "2.2.20-0.bp1%{?dist}", concrete: "2.2.20-0.bp1.el9", above: "2.2.19-10.el9",
		mustWin: []string{"2.2.20-1.el9"}},
	{name: "rpm macro same version",
		req:  Request{Family: RPM, Current: "2.17-106%{dist}", Upstream: "2.17", Dist: "%{dist}"},
		want: "2.17-106%{dist}.bp1", concrete: "2.17-106.el9.bp1", above: "2.17-106.el9",
		mustWin: []string{"2.17-107.el9", "2.17-106.el9_4.1", "2.17-106.1.el9_4"}},
	{name: "rpm macro fedora",
		req:  Request{Family: RPM, Vendor: Fedora, Current: "1.2-3%{?dist}", Upstream: "1.2", Dist: "%{?dist}"},
		want: "1.2-3%{?dist}.bp1", concrete: "1.2-3.fc40.bp1", above: "1.2-3.fc40",
		mustWin: []string{"1.2-4.fc40", "1.2-3.fc41"}, wantBelow: []string{"1.2-3.fc41"}},
	{name: "rpm no dist same version",
		req:  Request{Family: RPM, Current: "1.0-5", Upstream: "1.0"},
		want: "1.0-5.bp1", mustWin: []string{"1.0-6", "1.0-5.1"}},
	{name: "rpm no dist new upstream",
		req:  Request{Family: RPM, Current: "1.0-5", Upstream: "1.1"},
		want: "1.1-0.bp1", mustWin: []string{"1.1-1", "1.1-0.1"}},

	// Fedora, inferred from the tag.
	{name: "fedora new upstream",
		req:  Request{Family: RPM, Current: "1.2-3.fc40", Upstream: "1.3", Dist: ".fc40"},
		want: "1.3-0.bp1.fc40", mustWin: []string{"1.3-1.fc40"}},
	{name: "fedora same version",
		req:  Request{Family: RPM, Current: "1.2-3.fc40", Upstream: "1.2", Dist: ".fc40"},
		want: "1.2-3.fc40.bp1", mustWin: []string{"1.2-4.fc40", "1.2-3.fc40.1", "1.2-3.fc41"},
		wantBelow: []string{"1.2-4.fc40", "1.2-3.fc41"}},

	// EL z-streams.
	{name: "el7 z-stream current",
		req:  Request{Family: RPM, Current: "2.17-106.el7_9.1", Upstream: "2.17", Dist: ".el7"},
		want: "2.17-106.el7_9.1.bp1", mustWin: []string{"2.17-106.el7_9.2", "2.17-107.el7"},
		wantBelow: []string{"2.17-106.el7_9.2"}},
	{name: "el8 z-stream dist",
		req:  Request{Family: RPM, Current: "2.28-189.5.el8_6", Upstream: "2.28", Dist: ".el8_6"},
		want: "2.28-189.5.el8_6.bp1", mustWin: []string{"2.28-189.6.el8_6", "2.28-190.el8_6", "2.28-189.5.el8_6.1"},
		wantBelow: []string{"2.28-189.6.el8_6"}},

	// Counter bumps: Current is already our hotfix.
	{name: "rpm bump same version",
		req:  Request{Family: RPM, Current: "2.17-106.el7.bp1", Upstream: "2.17", Dist: ".el7"},
		want: "2.17-106.el7.bp2", mustWin: []string{"2.17-107.el7", "2.17-106.el7_9.1"}},
	{name: "rpm bump new upstream",
		req:  Request{Family: RPM, Current: "2.2.20-0.bp1.el6", Upstream: "2.2.20", Dist: ".el6"},
		want: "2.2.20-0.bp2.el6", mustWin: []string{"2.2.20-1.el6", "2.2.20-0.1.el6"}},
	{name: "rpm bump macro",
		req:  Request{Family: RPM, Current: "2.17-106%{?dist}.bp9", Upstream: "2.17", Dist: "%{?dist}"},
		want: "2.17-106%{?dist}.bp10", concrete: "2.17-106.el9.bp10", above: "2.17-106.el9.bp9",
		mustWin: []string{"2.17-107.el9"}},
	{name: "rpm bump without dist",
		req:  Request{Family: RPM, Current: "1.0-5.bp2", Upstream: "1.0"},
		want: "1.0-5.bp3", mustWin: []string{"1.0-6", "1.0-5.1"}},
	{name: "debian bump same version",
		req:  Request{Family: Deb, Current: "2.36-9+deb12u14+bp1", Upstream: "2.36"},
		want: "2.36-9+deb12u14+bp2", mustWin: []string{"2.36-9+deb12u15"}},
	{name: "debian bump new upstream",
		req:  Request{Family: Deb, Current: "2.4.69-0~bp1", Upstream: "2.4.69"},
		want: "2.4.69-0~bp2", mustWin: []string{"2.4.69-0+deb12u1", "2.4.69-1"}},
	{name: "debian bump native new upstream",
		req:  Request{Family: Deb, Current: "1.3~bp1", Upstream: "1.3"},
		want: "1.3~bp2", mustWin: []string{"1.3", "1.3+deb12u1"}},
	{name: "ubuntu bump",
		req:  Request{Family: Deb, Current: "2.10-3ubuntu0.0~bp1", Upstream: "2.10"},
		want: "2.10-3ubuntu0.0~bp2", mustWin: []string{"2.10-3ubuntu0.1", "2.10-3ubuntu0.22.04.1"}},

	// Epochs are kept.
	{name: "rpm epoch same version",
		req:  Request{Family: RPM, Current: "1:2.17-106.el7", Upstream: "2.17", Dist: ".el7"},
		want: "1:2.17-106.el7.bp1", mustWin: []string{"1:2.17-107.el7", "1:2.17-106.el7_9.1"}},
	{name: "rpm epoch new upstream",
		req:  Request{Family: RPM, Current: "2:1.0-1.el9", Upstream: "1.1", Dist: ".el9"},
		want: "2:1.1-0.bp1.el9", mustWin: []string{"2:1.1-1.el9"}},
	{name: "debian epoch same version",
		req:  Request{Family: Deb, Current: "1:2.10-3", Upstream: "2.10"},
		want: "1:2.10-3+bp1", mustWin: []string{"1:2.10-3+deb12u1", "1:2.10-4"}},
	{name: "debian epoch new upstream",
		req:  Request{Family: Deb, Current: "2:1.0-1", Upstream: "1.1"},
		want: "2:1.1-0~bp1", mustWin: []string{"2:1.1-1", "2:1.1-0+deb12u1"}},

	// Debian shapes.
	{name: "debian plain same version",
		req:  Request{Family: Deb, Current: "2.10-3", Upstream: "2.10"},
		want: "2.10-3+bp1", mustWin: []string{"2.10-3+deb12u1", "2.10-4", "2.10-3.1", "2.10-4~bpo12+1"}},
	{name: "debian native same version",
		req:  Request{Family: Deb, Current: "1.2", Upstream: "1.2"},
		want: "1.2+bp1", mustWin: []string{"1.2+deb12u1", "1.2.1", "1.3"}},
	{name: "debian native epoch",
		req:  Request{Family: Deb, Current: "1:1.2", Upstream: "1.2"},
		want: "1:1.2+bp1", mustWin: []string{"1:1.2+deb12u1"}},
	{name: "debian native new upstream",
		req:  Request{Family: Deb, Current: "1.2", Upstream: "1.3"},
		want: "1.3~bp1", mustWin: []string{"1.3", "1.3+deb12u1"}},
	{name: "debian native stable update",
		req:  Request{Family: Deb, Current: "12.4+deb12u5", Upstream: "12.4+deb12u5"},
		want: "12.4+deb12u5+bp1", mustWin: []string{"12.4+deb12u6"}, wantBelow: []string{"12.4+deb12u6"}},
	{name: "debian backport current",
		req:  Request{Family: Deb, Current: "2.0-1~bpo12+1", Upstream: "2.0"},
		want: "2.0-1~bpo12+1+bp1", mustWin: []string{"2.0-1~bpo12+2", "2.0-1", "2.0-2~bpo12+1"},
		wantBelow: []string{"2.0-1~bpo12+2", "2.0-1"}},
	{name: "debian binNMU current",
		req:  Request{Family: Deb, Current: "1.2-3+b1", Upstream: "1.2"},
		want: "1.2-3+bp1", mustWin: []string{"1.2-3+deb12u1", "1.2-4"}},
	{name: "debian stable-backported upstream, same version",
		req:  Request{Family: Deb, Current: "2.4.62-1~deb12u2", Upstream: "2.4.62"},
		want: "2.4.62-1~deb12u2+bp1", mustWin: []string{"2.4.62-1~deb12u3", "2.4.62-1"},
		wantBelow: []string{"2.4.62-1~deb12u3"}},
	{name: "debian suite number from current",
		req:  Request{Family: Deb, Current: "5.0-2+deb11u3", Upstream: "5.1"},
		want: "5.1-0~bp1", mustWin: []string{"5.1-0+deb11u1"}, wantBelow: []string{"5.1-0+deb11u1", "5.1-1~bpo11+1"}},

	// Ubuntu shapes.
	{name: "ubuntu multi-release SRU current",
		req:  Request{Family: Deb, Current: "2.10-3ubuntu0.24.04.1", Upstream: "2.10"},
		want: "2.10-3ubuntu0.24.04.1.0~bp1", mustWin: []string{"2.10-3ubuntu0.24.04.2", "2.10-3ubuntu1"}},
	{name: "ubuntu delta current",
		req:  Request{Family: Deb, Current: "2.10-3ubuntu2", Upstream: "2.10"},
		want: "2.10-3ubuntu2.0~bp1", mustWin: []string{"2.10-3ubuntu2.1", "2.10-3ubuntu2.24.04.1", "2.10-3ubuntu3"}},
	{name: "ubuntu single SRU current",
		req:  Request{Family: Deb, Current: "2.10-3ubuntu0.1", Upstream: "2.10"},
		want: "2.10-3ubuntu0.1.0~bp1", mustWin: []string{"2.10-3ubuntu0.2", "2.10-3ubuntu1"}},
	{name: "ubuntu no-change rebuild current",
		req:  Request{Family: Deb, Vendor: Ubuntu, Current: "2.10-3build1", Upstream: "2.10"},
		want: "2.10-3ubuntu0.0~bp1", mustWin: []string{"2.10-3ubuntu0.1", "2.10-3ubuntu0.24.04.1"}},
	{name: "ubuntu new upstream",
		req:  Request{Family: Deb, Current: "2.10-3ubuntu1", Upstream: "2.11"},
		want: "2.11-0~bp1", mustWin: []string{"2.11-0ubuntu1", "2.11-0ubuntu0.24.04.1", "2.11-1"}},
	{name: "ubuntu native delta",
		req:  Request{Family: Deb, Current: "1.2ubuntu1", Upstream: "1.2ubuntu1"},
		want: "1.2ubuntu1.0~bp1", mustWin: []string{"1.2ubuntu1.1", "1.2ubuntu2"}},
	{name: "ubuntu native synced",
		req:  Request{Family: Deb, Vendor: Ubuntu, Current: "1.2", Upstream: "1.2"},
		want: "1.2ubuntu0.0~bp1", mustWin: []string{"1.2ubuntu0.1", "1.2ubuntu1"}},
}

func TestHotfixVersion(t *testing.T) {
	t.Parallel()
	for _, c := range hotfixCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h, err := HotfixVersion(c.req)
			if err != nil {
				t.Fatalf("HotfixVersion(%+v): %v", c.req, err)
			}
			concrete, above := or(c.concrete, c.want), or(c.above, c.req.Current)
			if h.Full != c.want || h.Concrete != concrete || h.Above != above {
				t.Errorf("got Full %q Concrete %q Above %q, want %q %q %q", h.Full, h.Concrete, h.Above, c.want, concrete, above)
			}
			if got := withEpoch(h.Epoch, joinRelease(h.Version, h.Release)); got != h.Full {
				t.Errorf("parts %q %q %q make %q, not Full %q", h.Epoch, h.Version, h.Release, got, h.Full)
			}
			for _, s := range c.wantBelow {
				if !slices.Contains(h.Below, s) {
					t.Errorf("Below %q lacks the successor %q", h.Below, s)
				}
			}
			assertOrder(t, c.req.Family, h.Concrete, h.Above, 1)
			for _, s := range append(slices.Clone(h.Below), c.mustWin...) {
				assertOrder(t, c.req.Family, h.Concrete, s, -1)
			}
		})
	}
}

// TestHotfixVersionMatchesRealTools re-proves every hotfix with rpm and
// dpkg: above Above, below each proved successor and each hand-picked one.
func TestHotfixVersionMatchesRealTools(t *testing.T) {
	t.Parallel()
	pairs := map[Family][]pair{}
	want := map[Family][]int{}
	for _, c := range hotfixCases {
		h, err := HotfixVersion(c.req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		f := c.req.Family
		pairs[f] = append(pairs[f], pair{h.Concrete, h.Above})
		want[f] = append(want[f], 1)
		for _, s := range append(slices.Clone(h.Below), c.mustWin...) {
			pairs[f] = append(pairs[f], pair{h.Concrete, s})
			want[f] = append(want[f], -1)
		}
	}
	for f := range pairs {
		crossCheck(t, f, pairs[f], want[f])
	}
}

func TestHotfixVersionErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		req     Request
		wantErr string
	}{
		{"rpm lower upstream", Request{Family: RPM, Current: "2.2.19-10.el6", Upstream: "2.2.18", Dist: ".el6"}, "is lower than the current upstream version 2.2.19"},
		{"rpm lower by tilde", Request{Family: RPM, Current: "1.0-1", Upstream: "1.0~rc1"}, "is lower"},
		{"debian lower upstream", Request{Family: Deb, Current: "2.10-3", Upstream: "2.9"}, "is lower than the current upstream version 2.10"},
		{"debian lower by tilde", Request{Family: Deb, Current: "1.0-1", Upstream: "1.0~rc1"}, "is lower"},
		{"rpm invalid current", Request{Family: RPM, Current: "2.2 19-10", Upstream: "2.2.20"}, `current: version "2.2 19-10": rpm does not allow whitespace`},
		{"rpm invalid upstream", Request{Family: RPM, Current: "2.2.19-10", Upstream: "2.2-20"}, "upstream: version \"2.2-20\": rpm does not allow '-'"},
		{"rpm empty upstream", Request{Family: RPM, Current: "2.2.19-10", Upstream: ""}, "upstream:"},
		{"rpm no release", Request{Family: RPM, Current: "2.2.19", Upstream: "2.2.20"}, "has no release"},
		{"rpm dist not in release", Request{Family: RPM, Current: "2.2.19-10.el6", Upstream: "2.2.20", Dist: ".el7"}, `tag ".el7" does not appear`},
		{"rpm bad dist macro", Request{Family: RPM, Current: "2.2.19-10.el6", Upstream: "2.2.20", Dist: "%dist"}, "not a macro reference"},
		{"rpm other macro in current", Request{Family: RPM, Current: "%{version}-1%{?dist}", Upstream: "2.2.20", Dist: "%{?dist}"}, "unexpanded macro %{version}"},
		{"rpm macro upstream", Request{Family: RPM, Current: "1.0-1", Upstream: "%{ver}"}, "give the concrete upstream version"},
		{"rpm with debian vendor", Request{Family: RPM, Vendor: Debian, Current: "1.0-1", Upstream: "1.0"}, "does not ship rpm packages"},
		{"debian invalid current", Request{Family: Deb, Current: "a1-1", Upstream: "1"}, "start with a digit"},
		{"debian invalid upstream", Request{Family: Deb, Current: "1-1", Upstream: "1:2"}, "':'"},
		{"debian with dist", Request{Family: Deb, Current: "1.0-1", Upstream: "1.0", Dist: ".el9"}, "carry no dist tag"},
		{"debian with el vendor", Request{Family: Deb, Vendor: EL, Current: "1.0-1", Upstream: "1.0"}, "does not ship Debian packages"},
		{"unknown vendor", Request{Family: Deb, Vendor: "arch", Current: "1.0-1", Upstream: "1.0"}, "unknown vendor"},
		// dpkg sorts "2.0~bp1" below a native prerelease "2.0~rc1"; nothing
		// both ships 2.0 and sorts between them, so the proof must refuse.
		{"native prerelease current", Request{Family: Deb, Current: "2.0~rc1", Upstream: "2.0"}, "hotfix 2.0~bp1 does not sort above the current version 2.0~rc1"},
		{"native upstream with hyphen", Request{Family: Deb, Current: "1.2", Upstream: "1.3-1"}, "native Debian version"},
		{"unknown family", Request{Family: "tar", Current: "1", Upstream: "1"}, "unknown package family"},
	} {
		h, err := HotfixVersion(c.req)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: HotfixVersion = %+v, %v; want an error containing %q", c.name, h, err, c.wantErr)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines: %q", c.name, err)
		}
	}
}

// TestProveNamesTheOffendingVersion feeds prove candidates that break each
// relation: no hotfix version can slip through, and the error says which
// version it failed against.
func TestProveNamesTheOffendingVersion(t *testing.T) {
	t.Parallel()
	base := Hotfix{Version: "1.0", Release: "2", Full: "1.0-2", Concrete: "1.0-2", Above: "1.0-1", Below: []string{"1.0-3"}}
	if err := prove(RPM, base); err != nil {
		t.Fatalf("prove(valid) = %v", err)
	}
	for _, c := range []struct {
		mutate func(*Hotfix)
		want   string
	}{
		{func(h *Hotfix) { h.Below = []string{"1.0-3", "1.0-2"} }, "does not sort below the plausible distro successor 1.0-2"},
		{func(h *Hotfix) { h.Below = []string{"1.0-1.9"} }, "successor 1.0-1.9"},
		{func(h *Hotfix) { h.Above = "1.0-2" }, "does not sort above the current version 1.0-2"},
		{func(h *Hotfix) { h.Below = nil }, "no distro successors"},
		{func(h *Hotfix) { h.Full = "1.0-3" }, "does not match its parts"},
	} {
		h := base
		c.mutate(&h)
		err := prove(RPM, h)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("prove(%+v) = %v, want an error containing %q", h, err, c.want)
		}
		var pe *ProofError
		if strings.Contains(c.want, "sort") && !errors.As(err, &pe) {
			t.Errorf("prove error %v is %T, want *ProofError", err, err)
		}
	}
}

func assertOrder(t *testing.T, f Family, a, b string, want int) {
	t.Helper()
	got, err := Compare(f, a, b)
	if err != nil || got != want {
		t.Errorf("Compare(%s, %q, %q) = %d, %v; want %d", f, a, b, got, err, want)
	}
}

func or(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}
