package container

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// redacted replaces a secret wherever output or an error would show it.
const redacted = "[REDACTED]"

// redactor removes secrets from text. Empty secrets are ignored: replacing
// "" would garble every byte.
type redactor struct {
	secrets []string
	longest int
}

func newRedactor(secrets ...[]string) *redactor {
	r := &redactor{}
	for _, list := range secrets {
		for _, s := range list {
			if s == "" {
				continue
			}
			r.secrets = append(r.secrets, s)
			r.longest = max(r.longest, len(s))
		}
	}
	return r
}

func (r *redactor) String(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

func (r *redactor) Bytes(b []byte) []byte {
	for _, secret := range r.secrets {
		b = bytes.ReplaceAll(b, []byte(secret), []byte(redacted))
	}
	return b
}

func (r *redactor) Strings(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = r.String(s)
	}
	return out
}

// writer returns a writer that redacts before passing text on to w. It holds
// back the last len(longest secret)-1 bytes, so that a secret split across two
// writes is still caught; Close flushes them.
func (r *redactor) writer(w io.Writer) io.WriteCloser {
	return &redactingWriter{r: r, w: w}
}

type redactingWriter struct {
	mu      sync.Mutex
	r       *redactor
	w       io.Writer
	pending []byte
	err     error
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.err != nil {
		return 0, rw.err
	}
	if len(rw.r.secrets) == 0 {
		_, rw.err = rw.w.Write(p)
		return len(p), rw.err
	}
	buf := rw.r.Bytes(append(rw.pending, p...))
	// A secret not yet complete must start within the held-back bytes.
	keep := min(len(buf), rw.r.longest-1)
	if _, err := rw.w.Write(buf[:len(buf)-keep]); err != nil {
		rw.err = err
		return 0, err
	}
	rw.pending = append(rw.pending[:0], buf[len(buf)-keep:]...)
	return len(p), nil
}

func (rw *redactingWriter) Close() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.err != nil || len(rw.pending) == 0 {
		return rw.err
	}
	_, rw.err = rw.w.Write(rw.pending)
	rw.pending = nil
	return rw.err
}

// tailBuffer keeps the last size bytes written to it: the part of a long
// log worth showing with an error.
type tailBuffer struct {
	mu   sync.Mutex
	size int
	buf  []byte
}

func newTailBuffer(size int) *tailBuffer { return &tailBuffer{size: size} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.size; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLines returns the last n non-empty lines of s.
func lastLines(s string, n int) []string {
	var out []string
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if line := strings.TrimSpace(lines[i]); line != "" {
			out = append(out, line)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
