// Package ui holds every terminal decision of backport in one place: which
// stream gets what, whether colour is used, and the lipgloss styles.
//
// Data goes to Out (stdout); everything meant for a person goes to Err
// (stderr). Colour is used only when the stream is a terminal and NO_COLOR
// is unset, so piped output and CI logs stay plain.
package ui

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
)

// UI writes data to Out and human messages to Err.
type UI struct {
	Out io.Writer
	Err io.Writer

	outColor, errColor bool
	errTTY             bool
	out, err           *lipgloss.Renderer
}

// New returns a UI for the given streams. getenv is consulted for NO_COLOR
// (and TERM=dumb); pass os.Getenv in production.
func New(stdout, stderr io.Writer, getenv func(string) string) *UI {
	noColor := getenv("NO_COLOR") != "" || getenv("TERM") == "dumb"
	u := &UI{Out: stdout, Err: stderr, errTTY: IsTerminal(stderr)}
	u.outColor = !noColor && IsTerminal(stdout)
	u.errColor = !noColor && u.errTTY
	u.out = renderer(stdout, u.outColor)
	u.err = renderer(stderr, u.errColor)
	return u
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Interactive reports whether the human stream is a terminal, which is
// when progress displays make sense.
func (u *UI) Interactive() bool { return u.errTTY }

func renderer(w io.Writer, color bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(w)
	if color {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}

// The palette. Every colour backport prints is named here.
var (
	colorError   = lipgloss.Color("9")
	colorWarn    = lipgloss.Color("11")
	colorSuccess = lipgloss.Color("10")
	colorFaint   = lipgloss.Color("8")
	colorAccent  = lipgloss.Color("12")
)

func (u *UI) line(style lipgloss.Style, prefix, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if prefix != "" {
		msg = style.Render(prefix) + " " + msg
	}
	fmt.Fprintln(u.Err, msg)
}

// Info prints a plain human message on stderr.
func (u *UI) Info(format string, args ...any) { u.line(lipgloss.Style{}, "", format, args...) }

// Success prints a message marking something done.
func (u *UI) Success(format string, args ...any) {
	u.line(u.err.NewStyle().Foreground(colorSuccess).Bold(true), "✓", format, args...)
}

// Warn prints a warning.
func (u *UI) Warn(format string, args ...any) {
	u.line(u.err.NewStyle().Foreground(colorWarn).Bold(true), "warning:", format, args...)
}

// Note prints something a reviewer should know that is not a problem.
func (u *UI) Note(format string, args ...any) {
	u.line(u.err.NewStyle().Foreground(colorAccent), "note:", format, args...)
}

// Error prints the one-line error report of a failed command.
func (u *UI) Error(format string, args ...any) {
	u.line(u.err.NewStyle().Foreground(colorError).Bold(true), "backport:", format, args...)
}

// Faint renders s de-emphasised for stderr (hints, paths).
func (u *UI) Faint(s string) string { return u.err.NewStyle().Foreground(colorFaint).Render(s) }

// Accent renders s highlighted for stderr (versions, names).
func (u *UI) Accent(s string) string {
	return u.err.NewStyle().Foreground(colorAccent).Bold(true).Render(s)
}

// Diff writes a unified diff to Out, coloured by line kind on a terminal.
func (u *UI) Diff(diff string) {
	if !u.outColor {
		io.WriteString(u.Out, diff)
		return
	}
	add := u.out.NewStyle().Foreground(colorSuccess)
	del := u.out.NewStyle().Foreground(colorError)
	hunk := u.out.NewStyle().Foreground(colorAccent)
	for _, l := range strings.SplitAfter(diff, "\n") {
		if l == "" {
			continue
		}
		body, nl := strings.CutSuffix(l, "\n")
		switch {
		case strings.HasPrefix(body, "+++"), strings.HasPrefix(body, "---"):
			body = u.out.NewStyle().Bold(true).Render(body)
		case strings.HasPrefix(body, "+"):
			body = add.Render(body)
		case strings.HasPrefix(body, "-"):
			body = del.Render(body)
		case strings.HasPrefix(body, "@@"):
			body = hunk.Render(body)
		}
		io.WriteString(u.Out, body)
		if nl {
			io.WriteString(u.Out, "\n")
		}
	}
}
