package fetch

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress is told about each download as it starts. The CLI supplies one
// that draws a bar on a terminal; this package provides NoProgress and
// NewLineProgress.
type Progress interface {
	// Start begins a download of name; size is -1 when unknown.
	Start(name string, size int64) ProgressTracker
}

// ProgressTracker follows one download.
type ProgressTracker interface {
	Add(n int)      // n more bytes arrived
	Done(err error) // the download ended, successfully when err is nil
}

// NoProgress reports nothing.
var NoProgress Progress = noProgress{}

type noProgress struct{}

func (noProgress) Start(string, int64) ProgressTracker { return noProgress{} }
func (noProgress) Add(int)                             {}
func (noProgress) Done(error)                          {}

// NewLineProgress returns a Progress that writes one line per completed
// download to w, for logs and pipes:
//
//	fetched hello_2.10.orig.tar.gz (708.6 KiB, 3.2 MiB/s)
//
// Failed downloads print nothing; their error is reported by the caller.
// It is safe for concurrent downloads.
func NewLineProgress(w io.Writer) Progress {
	return &lineProgress{w: w, now: time.Now}
}

type lineProgress struct {
	mu  sync.Mutex // one line at a time
	w   io.Writer
	now func() time.Time
}

func (p *lineProgress) Start(name string, _ int64) ProgressTracker {
	return &lineTracker{p: p, name: name, start: p.now()}
}

type lineTracker struct {
	p     *lineProgress
	name  string
	start time.Time
	bytes int64
}

func (t *lineTracker) Add(n int) { t.bytes += int64(n) }

func (t *lineTracker) Done(err error) {
	if err != nil {
		return
	}
	elapsed := max(t.p.now().Sub(t.start), time.Millisecond)
	rate := int64(float64(t.bytes) / elapsed.Seconds())
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	fmt.Fprintf(t.p.w, "fetched %s (%s, %s/s)\n", t.name, humanBytes(t.bytes), humanBytes(rate))
}

// humanBytes formats n in binary units with one decimal: 512 B, 708.6 KiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
