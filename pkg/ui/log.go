package ui

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// logHandler prints slog records for people: warnings always, info only
// when verbose, one line each with the attributes as key=value.
type logHandler struct {
	u     *UI
	level slog.Level
	attrs []slog.Attr
}

// Logger returns a logger writing to the UI's human stream.
func (u *UI) Logger(verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(&logHandler{u: u, level: level})
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		if a.Key != "" {
			fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value.Any())
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	switch {
	case r.Level >= slog.LevelError:
		h.u.Error("%s", sb.String())
	case r.Level >= slog.LevelWarn:
		h.u.Warn("%s", sb.String())
	default:
		h.u.Info("%s", h.u.Faint(sb.String()))
	}
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

// Groups are flattened: backport's logs are short lines for people.
func (h *logHandler) WithGroup(string) slog.Handler { return h }
