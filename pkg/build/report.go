package build

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"github.com/backport/backport/pkg/diff"
	"github.com/backport/backport/pkg/patch"
	"github.com/backport/backport/pkg/recipe"
	"github.com/backport/backport/pkg/remedy"
)

// ReportSchema versions report.json.
const ReportSchema = "backport.report/v1"

// Report is what the loop did: report.json, and the source of report.md.
type Report struct {
	Schema     string          `json:"schema"`
	Name       string          `json:"name"`
	Upstream   string          `json:"upstream_version"`
	Target     string          `json:"target"`
	Hotfix     string          `json:"hotfix_version,omitempty"`
	Packaging  PackagingChoice `json:"packaging"`
	Status     string          `json:"status"` // green, red, stopped, interrupted
	StopReason string          `json:"stop_reason,omitempty"`
	Attempts   []AttemptReport `json:"attempts"`
	Patches    []PatchReport   `json:"patches"`
	Remedies   []AppliedRemedy `json:"remedies"`
	Nocheck    bool            `json:"tests_skipped,omitempty"`
	Packages   []string        `json:"packages,omitempty"`
	Dist       string          `json:"dist,omitempty"`
	Workspace  string          `json:"workspace"`
	Files      ReportFiles     `json:"files"`
	Bundle     string          `json:"bundle,omitempty"`
	Tarball    string          `json:"tarball,omitempty"`

	last *Result // the green attempt
}

// ReportFiles are where the loop wrote its account.
type ReportFiles struct {
	JSON          string `json:"report_json"`
	Markdown      string `json:"report_md"`
	PackagingDiff string `json:"packaging_diff"`
}

// AttemptReport is one attempt.
type AttemptReport struct {
	Number   int           `json:"number"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Outcome  string        `json:"outcome"` // green, red, stopped, interrupted
	Resumed  bool          `json:"resumed,omitempty"`
	Cause    *remedy.Cause `json:"cause,omitempty"`
	Remedy   string        `json:"remedy,omitempty"`
	Change   string        `json:"change,omitempty"`
	Steps    []StepResult  `json:"steps,omitempty"`
	Log      string        `json:"log"`
}

// AppliedRemedy is a remedy the loop applied to the workspace tree.
type AppliedRemedy struct {
	Attempt  int      `json:"attempt"` // the attempt whose failure it fixed
	Name     string   `json:"name"`
	Cause    string   `json:"cause"`
	Summary  string   `json:"summary"`
	Evidence []string `json:"evidence,omitempty"`
	Items    []string `json:"items,omitempty"`
	Files    []string `json:"files,omitempty"`
	Nocheck  bool     `json:"tests_skipped,omitempty"`
}

func (r AppliedRemedy) key() string { return r.Name + "\x00" + strings.Join(r.Items, "\x00") }

// PatchReport is the fate of one distro patch.
type PatchReport struct {
	Name        string   `json:"name"`
	Fate        string   `json:"fate"`
	Reason      string   `json:"reason,omitempty"`
	Evidence    []string `json:"evidence,omitempty"`
	FailedHunks string   `json:"failed_hunks,omitempty"`
}

func patchReports(results []patch.Result) []PatchReport {
	out := make([]PatchReport, 0, len(results))
	for _, r := range results {
		out = append(out, PatchReport{Name: r.Patch.Name, Fate: string(r.Fate), Reason: r.Reason, Evidence: r.Evidence, FailedHunks: r.FailedHunks})
	}
	return out
}

func newReport(lo LoopOptions, st *loopState) *Report {
	return &Report{
		Schema: ReportSchema, Name: lo.Sources.Name, Upstream: lo.version(), Target: lo.Target.Name,
		Packaging: lo.Packaging, Workspace: lo.Workspace.Dir, Patches: []PatchReport{},
		Attempts: st.Attempts, Remedies: st.Remedies,
	}
}

func (r *Report) stop(status, reason string) { r.Status, r.StopReason = status, reason }

// writeLoopFiles writes report.json, report.md and packaging.diff into the
// workspace, each atomically.
func writeLoopFiles(lo LoopOptions, rep *Report) error {
	dir := lo.Workspace.Dir
	rep.Files = ReportFiles{
		JSON:          filepath.Join(dir, "report.json"),
		Markdown:      filepath.Join(dir, "report.md"),
		PackagingDiff: filepath.Join(dir, "packaging.diff"),
	}
	d, err := PackagingDiff(lo.Target.Family, lo.Sources.Packaging, filepath.Join(dir, preparedDir))
	if err != nil {
		return fmt.Errorf("packaging.diff: %w", err)
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	for path, body := range map[string][]byte{
		rep.Files.JSON:          append(data, '\n'),
		rep.Files.Markdown:      []byte(rep.Markdown()),
		rep.Files.PackagingDiff: []byte(d),
	} {
		if err := renameio.WriteFile(path, body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// PackagingDiff is every change from the distro's untouched packaging to
// what the last attempt prepared (<ws>/prepared): for the Debian family
// the debian/ directory (the hotfix changelog entry, refreshed or dropped
// patches, remedies), for RPM the spec and patches (tarballs left out).
func PackagingDiff(family recipe.Family, packaging, prepared string) (string, error) {
	if packaging == "" {
		return "", nil
	}
	if _, err := os.Stat(prepared); err != nil {
		return "", nil // no attempt got as far as preparing
	}
	skip := func(rel string) bool { return rel != "debian" && !strings.HasPrefix(rel, "debian/") }
	if family == recipe.FamilyRPM {
		skip = isTarball
	}
	return diff.Trees(packaging, prepared, skip)
}

func isTarball(name string) bool {
	for _, s := range []string{".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tar.lz", ".tar.lzma", ".zip", ".gem", ".crate"} {
		if strings.HasSuffix(strings.ToLower(name), s) {
			return true
		}
	}
	return false
}

// Markdown renders report.md: what an engineer reads before shipping.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s for %s: %s\n\n", r.Name, r.Upstream, r.Target, strings.ToUpper(r.Status))
	if r.Hotfix != "" {
		fmt.Fprintf(&b, "Hotfix version: `%s`\n\n", r.Hotfix)
	}
	if r.StopReason != "" {
		fmt.Fprintf(&b, "**Stopped:** %s\n\n", r.StopReason)
	}
	fmt.Fprintf(&b, "Packaging: %s %s", orDash(r.Packaging.Suite), r.Packaging.Version)
	if r.Packaging.Reason != "" {
		fmt.Fprintf(&b, " — %s", r.Packaging.Reason)
	}
	b.WriteString("\n\n")
	if r.Nocheck {
		b.WriteString("**<span style=\"color:red\">Tests were skipped</span>** (`--allow-skip-tests`): the tests failed and the package was rebuilt without them. Find out why before shipping.\n\n")
	}

	b.WriteString("## Distro patches\n\n")
	if len(r.Patches) == 0 {
		b.WriteString("None.\n\n")
	} else {
		b.WriteString("| patch | fate | reason |\n|---|---|---|\n")
		for _, p := range r.Patches {
			fate := p.Fate
			if strings.Contains(fate, "conflict") {
				fate = "**<span style=\"color:red\">" + fate + "</span>**"
			} else if fate == string(patch.Refreshed) {
				fate += " (review)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCell(p.Name), fate, mdCell(p.Reason))
		}
		b.WriteString("\n")
		for _, p := range r.Patches {
			if len(p.Evidence) > 0 {
				fmt.Fprintf(&b, "- `%s`: %s\n", p.Name, mdCell(strings.Join(p.Evidence, " / ")))
			}
		}
		for _, p := range r.Patches {
			if p.FailedHunks != "" {
				fmt.Fprintf(&b, "\nFailing hunks of `%s`:\n\n```diff\n%s\n```\n", p.Name, strings.TrimRight(p.FailedHunks, "\n"))
			}
		}
		b.WriteString("\n")
	}

	b.WriteString("## Attempts\n\n| # | outcome | duration | cause | remedy |\n|---|---|---|---|---|\n")
	for _, a := range r.Attempts {
		cause := ""
		if a.Cause != nil {
			cause = a.Cause.Class + ": " + a.Cause.Summary
		}
		remedyText := a.Remedy
		if a.Change != "" {
			remedyText += ": " + a.Change
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", a.Number, a.Outcome, a.Duration.Round(time.Second), mdCell(cause), mdCell(remedyText))
	}
	b.WriteString("\n")
	for _, a := range r.Attempts {
		if a.Cause != nil && len(a.Cause.Evidence) > 0 {
			fmt.Fprintf(&b, "Evidence, attempt %d (`%s`):\n\n```\n%s\n```\n\n", a.Number, a.Log, strings.Join(a.Cause.Evidence, "\n"))
		}
	}

	if len(r.Remedies) > 0 {
		b.WriteString("## Remedies applied\n\n")
		for _, m := range r.Remedies {
			fmt.Fprintf(&b, "- **%s** (after attempt %d, cause %s): %s", m.Name, m.Attempt, m.Cause, m.Summary)
			if len(m.Files) > 0 {
				fmt.Fprintf(&b, " — %s", strings.Join(m.Files, ", "))
			}
			b.WriteString("\n")
		}
		b.WriteString("\nEvery change is in `packaging.diff`.\n\n")
	}
	if len(r.Packages) > 0 {
		b.WriteString("## Packages\n\n")
		for _, p := range r.Packages {
			fmt.Fprintf(&b, "- `%s`\n", filepath.Base(p))
		}
		b.WriteString("\n")
	}
	b.WriteString("## What to watch\n\n")
	watch := 0
	for _, p := range r.Patches {
		if p.Fate == string(patch.Refreshed) || p.Fate == string(patch.DroppedConflicting) {
			fmt.Fprintf(&b, "- review patch `%s` (%s)\n", p.Name, p.Fate)
			watch++
		}
	}
	if r.Nocheck {
		b.WriteString("- the test suite did not run\n")
		watch++
	}
	if watch == 0 {
		b.WriteString("Nothing beyond the usual: install on a canary first.\n")
	}
	fmt.Fprintf(&b, "\nWorkspace: `%s`\n", r.Workspace)
	return b.String()
}

func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
