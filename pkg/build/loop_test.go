package build

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backport/backport/pkg/deb"
	"github.com/backport/backport/pkg/exitcode"
)

// fixtureLog is a real failure log kept by pkg/remedy's tests.
func fixtureLog(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "remedy", "testdata", "logs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func fakeLoopOptions(t *testing.T, rt *fakeRuntime) LoopOptions {
	t.Helper()
	opts := fakeOptions(t, rt)
	opts.Sources.Packaging = opts.Sources.Tree // the untouched packaging: the tree before any remedy
	pristine := filepath.Join(t.TempDir(), "packaging")
	if err := copyTree(context.Background(), opts.Sources.Tree, pristine); err != nil {
		t.Fatal(err)
	}
	opts.Sources.Packaging = pristine
	return LoopOptions{Options: opts, MaxAttempts: 4, Packaging: PackagingChoice{Suite: "bookworm", Version: "2.10-3"}}
}

func readReport(t *testing.T, lo LoopOptions) Report {
	t.Helper()
	var rep Report
	data, err := os.ReadFile(filepath.Join(lo.Workspace.Dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestLoopRemedyThenGreen: the first attempt fails the way hello 2.12.3
// on bookworm's packaging does; the remedy edits the workspace tree, the
// second attempt starts from a fresh copy of it and is green.
func TestLoopRemedyThenGreen(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	rt.script = []fakeBuild{{exit: 2, output: fixtureLog(t, "autoreconf-regression-hello-deb.log")}}
	lo := fakeLoopOptions(t, rt)
	rep, err := Loop(context.Background(), lo)
	if err != nil {
		t.Fatalf("Loop: %v", err)
	}
	if rep.Status != "green" || len(rep.Attempts) != 2 || len(rep.Remedies) != 1 || rep.Remedies[0].Name != "autoreconf-regression" {
		t.Fatalf("report: status %s, %d attempts, remedies %+v", rep.Status, len(rep.Attempts), rep.Remedies)
	}
	if a := rep.Attempts[0]; a.Outcome != "red" || a.Cause == nil || a.Cause.Class != "autoreconf-regression" || a.Remedy != "autoreconf-regression" {
		t.Errorf("attempt 1 = %+v", a)
	}
	rules, err := os.ReadFile(filepath.Join(lo.Sources.Tree, "debian", "rules"))
	if err != nil || !strings.Contains(string(rules), "override_dh_autoreconf:") {
		t.Errorf("the remedy is not in the workspace tree's debian/rules (%v):\n%s", err, rules)
	}
	diff, err := os.ReadFile(rep.Files.PackagingDiff)
	if err != nil || !strings.Contains(string(diff), "+override_dh_autoreconf:") || !strings.Contains(string(diff), "+hello (2.10-3+bp1)") {
		t.Errorf("packaging.diff lacks the remedy or the changelog entry (%v):\n%s", err, diff)
	}
	if strings.Contains(string(diff), "debhelper") || strings.Contains(string(diff), ".pc/") {
		t.Errorf("packaging.diff shows build products:\n%s", diff)
	}
	md, err := os.ReadFile(rep.Files.Markdown)
	if err != nil || !strings.Contains(string(md), "GREEN") || !strings.Contains(string(md), "autoreconf-regression") {
		t.Errorf("report.md (%v):\n%s", err, md)
	}
	if got := readReport(t, lo); got.Status != "green" || got.Schema != ReportSchema || len(got.Attempts) != 2 {
		t.Errorf("report.json = %+v", got)
	}
}

func TestLoopStops(t *testing.T) {
	t.Parallel()
	autoreconf := fixtureLog(t, "autoreconf-regression-hello-deb.log")
	tests := []struct {
		name     string
		script   []fakeBuild
		max      int
		attempts int
		want     string
	}{
		{"no remedy", []fakeBuild{{2, fixtureLog(t, "unknown-compile-error-deb.log")}}, 4, 1, "matches no known cause"},
		{"a remedy never runs twice", []fakeBuild{{2, autoreconf}, {2, autoreconf}}, 4, 2, "already ran for this cause"},
		{"tests need --allow-skip-tests", []fakeBuild{{2, fixtureLog(t, "tests-failed-deb.log")}}, 4, 1, "--allow-skip-tests"},
		{"max attempts", []fakeBuild{{2, autoreconf}}, 1, 1, "--max-attempts 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := newFakeRuntime()
			rt.script = tc.script
			lo := fakeLoopOptions(t, rt)
			lo.MaxAttempts = tc.max
			rep, err := Loop(context.Background(), lo)
			if exitcode.Of(err) != exitcode.BuildRed {
				t.Fatalf("err = %v (exit %d), want exit 3", err, exitcode.Of(err))
			}
			if len(rep.Attempts) != tc.attempts || !strings.Contains(rep.StopReason, tc.want) {
				t.Errorf("%d attempts, stop %q; want %d, %q", len(rep.Attempts), rep.StopReason, tc.attempts, tc.want)
			}
			if got := readReport(t, lo); got.Status == "green" || got.StopReason != rep.StopReason {
				t.Errorf("report.json = %s / %q", got.Status, got.StopReason)
			}
		})
	}
}

// TestLoopResume: a stop, an engineer's edit in the workspace tree, then
// --resume: numbering goes on, the edit and the earlier remedy stay.
func TestLoopResume(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	rt.script = []fakeBuild{
		{2, fixtureLog(t, "autoreconf-regression-hello-deb.log")},
		{2, fixtureLog(t, "unknown-compile-error-deb.log")},
	}
	lo := fakeLoopOptions(t, rt)
	if _, err := Loop(context.Background(), lo); exitcode.Of(err) != exitcode.BuildRed {
		t.Fatalf("first run: %v", err)
	}
	edited := filepath.Join(lo.Sources.Tree, "debian", "engineer-fix")
	if err := os.WriteFile(edited, []byte("fixed by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lo.Resume = true
	lo.Sources.TreeKept = true // fetch kept the edited tree
	rep, err := Loop(context.Background(), lo)
	if err != nil {
		t.Fatalf("resumed: %v", err)
	}
	if rep.Status != "green" || len(rep.Attempts) != 3 || rep.Attempts[2].Number != 3 || !rep.Attempts[2].Resumed || len(rep.Remedies) != 1 {
		t.Fatalf("resumed report: %s, attempts %+v, remedies %+v", rep.Status, rep.Attempts, rep.Remedies)
	}
	diff, _ := os.ReadFile(rep.Files.PackagingDiff)
	if !strings.Contains(string(diff), "+fixed by hand") || !strings.Contains(string(diff), "+override_dh_autoreconf:") {
		t.Errorf("packaging.diff lacks the edit or the remedy:\n%s", diff)
	}

	// A tree unpacked again has lost the remedies: the loop starts over
	// even with --resume, and says so.
	var told []string
	lo.Sources.TreeKept, lo.Notify = false, func(m string) { told = append(told, m) }
	rep, err = Loop(context.Background(), lo)
	if err != nil || len(rep.Attempts) != 1 || len(told) != 1 || !strings.Contains(told[0], "starting the loop over") {
		t.Errorf("--resume on a fresh tree: %v, %d attempts, told %q", err, len(rep.Attempts), told)
	}

	// Without --resume the record starts over.
	lo.Resume, lo.Notify = false, nil
	rep, err = Loop(context.Background(), lo)
	if err != nil || len(rep.Attempts) != 1 || rep.Attempts[0].Number != 1 {
		t.Errorf("a fresh loop after a resumed one: %v, %+v", err, rep.Attempts)
	}
}

func TestLoopInterrupted(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntime()
	rt.block = true
	rt.started = make(chan struct{})
	lo := fakeLoopOptions(t, rt)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-rt.started; cancel() }()
	rep, err := Loop(ctx, lo)
	if exitcode.Of(err) != exitcode.Interrupted || rep.Status != "interrupted" {
		t.Fatalf("err = %v, status %q", err, rep.Status)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled inside", err)
	}
}

// A patch the engineer took out of the workspace's series still has a
// fate in the report.
func TestRemovedByHand(t *testing.T) {
	t.Parallel()
	packaging := t.TempDir()
	if err := os.MkdirAll(filepath.Join(packaging, "debian", "patches"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(packaging, "debian", "patches", "series"), []byte("a.patch\nb.patch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	now, err := deb.ParseSeries("series", []byte("a.patch\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := removedByHand(packaging, now)
	if len(got) != 1 || got[0].Name != "b.patch" || !strings.Contains(got[0].Fate, "removed in the workspace") {
		t.Errorf("removedByHand = %+v", got)
	}
	if got := removedByHand("", now); got != nil {
		t.Errorf("no packaging: %+v", got)
	}
}
