package ui

import (
	"fmt"
	"sync"
	"time"
)

// Phases shows the current step of a long job and its elapsed time:
// redrawn in place on a terminal, one line per step otherwise.
type Phases struct {
	u     *UI
	mu    sync.Mutex
	title string
	begin time.Time
	done  chan struct{}
	once  sync.Once
}

// StartPhases begins showing steps; call Stop when the job ends.
func (u *UI) StartPhases() *Phases {
	p := &Phases{u: u, done: make(chan struct{})}
	if u.errTTY {
		go p.tick()
	}
	return p
}

// Start marks the beginning of the step called title.
func (p *Phases) Start(title string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.title != "" && p.u.errTTY {
		fmt.Fprintf(p.u.Err, "\r\x1b[K✓ %s (%s)\n", p.title, time.Since(p.begin).Round(time.Second))
	}
	p.title, p.begin = title, time.Now()
	if !p.u.errTTY {
		fmt.Fprintf(p.u.Err, "%s…\n", title)
	}
}

func (p *Phases) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			p.mu.Lock()
			if p.title != "" {
				fmt.Fprintf(p.u.Err, "\r\x1b[K%s", p.u.Faint(fmt.Sprintf("%s… %s", p.title, time.Since(p.begin).Round(time.Second))))
			}
			p.mu.Unlock()
		}
	}
}

// Stop ends the display, clearing the in-place line.
func (p *Phases) Stop() {
	p.once.Do(func() {
		close(p.done)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.u.errTTY && p.title != "" {
			fmt.Fprint(p.u.Err, "\r\x1b[K")
		}
	})
}
