package ui

import (
	"fmt"
	"sync"
	"time"
)

// Transfer shows one download: on a terminal a line redrawn in place with
// bytes, total and rate; otherwise one plain line when it ends.
type Transfer struct {
	u        *UI
	name     string
	size     int64
	start    time.Time
	mu       sync.Mutex
	done     int64
	lastDraw time.Time
}

// StartTransfer begins showing a download of size bytes (0 or less when
// unknown).
func (u *UI) StartTransfer(name string, size int64) *Transfer {
	t := &Transfer{u: u, name: name, size: size, start: time.Now()}
	t.draw(false)
	return t
}

// Add records n more bytes.
func (t *Transfer) Add(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done += int64(n)
	if time.Since(t.lastDraw) >= 100*time.Millisecond {
		t.draw(false)
	}
}

// Done ends the display; err says whether the transfer failed.
func (t *Transfer) Done(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		if t.u.errTTY {
			fmt.Fprint(t.u.Err, "\r\x1b[K")
		}
		return
	}
	t.draw(true)
}

func (t *Transfer) draw(final bool) {
	t.lastDraw = time.Now()
	elapsed := time.Since(t.start).Seconds()
	rate := ""
	if elapsed > 0 {
		rate = ", " + HumanBytes(int64(float64(t.done)/elapsed)) + "/s"
	}
	amount := HumanBytes(t.done)
	if t.size > 0 && !final {
		amount += " of " + HumanBytes(t.size)
	}
	line := fmt.Sprintf("fetched %s (%s%s)", t.name, amount, rate)
	if !final {
		line = fmt.Sprintf("fetching %s (%s%s)", t.name, amount, rate)
	}
	switch {
	case t.u.errTTY && final:
		fmt.Fprintf(t.u.Err, "\r\x1b[K%s\n", line)
	case t.u.errTTY:
		fmt.Fprintf(t.u.Err, "\r\x1b[K%s", t.u.Faint(line))
	case final:
		fmt.Fprintln(t.u.Err, line)
	}
}

// HumanBytes formats n as B, KiB, MiB or GiB with one decimal.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 2; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMG"[exp])
}
