package fetch

// Progress is told about each download as it starts. The CLI supplies one
// (pkg/ui: a line redrawn on a terminal, one line per file otherwise); this
// package provides only NoProgress.
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
