package patch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// run is one invocation of GNU patch.
type run struct {
	dir     string // the tree, as the working directory
	file    string // the patch file
	strip   int    // -p level; negative: no -p (patch keeps base names)
	fuzz    int
	reverse bool
	dryRun  bool
	rejects string // reject file, outside the tree; "" discards rejects
}

// outcome is what GNU patch said about one run.
type outcome struct {
	exit    int
	output  string
	moved   []string // "Hunk #2 succeeded at 40 with fuzz 1 (offset 3 lines)."
	warned  []string // reversed / already exists / does not exist warnings
	failed  []string // "Hunk #1 FAILED at 10." and "can't find file" lines
	failing int      // hunks failed or ignored
	total   int      // hunks in the files that had failures
	files   []string // files patch checked or patched, relative to dir
	missing []int    // input lines where patch could not find the file
	garbage bool     // "Only garbage was found": the patch holds no diff
	trouble string   // a "patch: ****" line: malformed input or I/O trouble
}

// clean reports a run that applied every hunk where the patch says, with
// no fuzz, offset or warning.
func (o outcome) clean() bool {
	return o.exit == 0 && len(o.moved) == 0 && len(o.warned) == 0
}

var (
	fileLineRE   = regexp.MustCompile(`^(?:checking|patching) file (.*?)(?: \((?:renamed|copied|read) from (.*)\))?$`)
	movedRE      = regexp.MustCompile(`^Hunk #\d+ succeeded at \d+.*\.$`)
	failedRE     = regexp.MustCompile(`^Hunk #\d+ FAILED at \d+`)
	countRE      = regexp.MustCompile(`^(\d+) out of (\d+) hunks? (?:FAILED|ignored)`)
	cantFindRE   = regexp.MustCompile(`^can't find file to patch at input line (\d+)`)
	troubleRE    = regexp.MustCompile(`^(?:\S*/)?patch: \*\*\*\* (.*)$`)
	warningWords = []string{"Reversed (or previously applied) patch detected", "which already exists", "which does not exist"}
)

// gnuPatch runs GNU patch through one seam that logs the command and its
// output to the attempt log.
type gnuPatch struct {
	bin string
	log io.Writer
}

// findGNUPatch locates GNU patch; other implementations (busybox) lack the
// fuzz and reject handling triage depends on.
func findGNUPatch(ctx context.Context, log io.Writer) (*gnuPatch, error) {
	bin, err := exec.LookPath("patch")
	if err != nil {
		return nil, errors.New("GNU patch is not installed; it is needed to apply the distro patches (apt-get install patch / dnf install patch)")
	}
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil || !bytes.Contains(out, []byte("GNU patch")) {
		return nil, fmt.Errorf("%s is not GNU patch; backport needs GNU patch to apply the distro patches", bin)
	}
	return &gnuPatch{bin: bin, log: log}, nil
}

func (g *gnuPatch) run(ctx context.Context, r run) (outcome, error) {
	args := []string{"--force", "--fuzz=" + strconv.Itoa(r.fuzz), "--no-backup-if-mismatch",
		"--quoting-style=literal", "--input=" + r.file}
	if r.strip >= 0 {
		args = append(args, "-p"+strconv.Itoa(r.strip))
	}
	if r.reverse {
		args = append(args, "--reverse")
	}
	if r.dryRun {
		args = append(args, "--dry-run")
	}
	if r.rejects != "" {
		args = append(args, "--reject-file="+r.rejects)
	} else {
		args = append(args, "--reject-file=-")
	}
	cmd := exec.CommandContext(ctx, g.bin, args...)
	cmd.Dir = r.dir
	// A predictable English output, no version-control checkouts, and no
	// POSIX mode (which changes how file names are chosen).
	cmd.Env = append(cleanEnv(), "LC_ALL=C", "PATCH_GET=0", "VERSION_CONTROL=none")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Stdin = nil // /dev/null: --force already answers every question
	err := cmd.Run()
	o := parseOutcome(out.String())
	if g.log != nil {
		fmt.Fprintf(g.log, "$ patch %s\n%s", strings.Join(args, " "), indent(out.String()))
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		o.exit = exit.ExitCode()
	default:
		return o, fmt.Errorf("running GNU patch in %s: %w", r.dir, err)
	}
	if ctx.Err() != nil {
		return o, ctx.Err()
	}
	if g.log != nil {
		fmt.Fprintf(g.log, "(exit %d)\n", o.exit)
	}
	return o, nil
}

// cleanEnv drops variables that change GNU patch's behaviour.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "POSIXLY_CORRECT", "PATCH_GET", "PATCH_VERSION_CONTROL", "VERSION_CONTROL",
			"SIMPLE_BACKUP_SUFFIX", "LC_ALL", "LANG", "LANGUAGE", "QUOTING_STYLE":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func parseOutcome(text string) outcome {
	var o outcome
	o.output = text
	cur := ""
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if m := fileLineRE.FindStringSubmatch(l); m != nil {
			cur = m[1]
			for _, n := range m[1:] {
				if r := safeRel(n); r != "" && !contains(o.files, r) {
					o.files = append(o.files, r)
				}
			}
			continue
		}
		if movedRE.MatchString(l) {
			o.moved = append(o.moved, cur+": "+l)
		}
		if failedRE.MatchString(l) {
			o.failed = append(o.failed, cur+": "+l)
		}
		if m := countRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			t, _ := strconv.Atoi(m[2])
			o.failing += n
			o.total += t
		}
		if m := cantFindRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			o.missing = append(o.missing, n)
			o.failed = append(o.failed, l)
		}
		for _, w := range warningWords {
			if strings.Contains(l, w) {
				o.warned = append(o.warned, l)
			}
		}
		if m := troubleRE.FindStringSubmatch(l); m != nil {
			if strings.Contains(m[1], "Only garbage was found") {
				o.garbage = true
			} else if o.trouble == "" {
				o.trouble = m[1]
			}
		}
	}
	return o
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("  " + l)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
