// Package exitcode gives errors the process exit status DESIGN §3 assigns
// them. Domain packages wrap their errors with a code; cli.Main is the one
// place that turns the code into os.Exit.
package exitcode

import (
	"context"
	"errors"
	"fmt"
)

// The exit statuses of backport.
const (
	OK           = 0
	Failure      = 1
	Usage        = 2
	BuildRed     = 3 // the build is still red after all attempts
	Verification = 4 // a checksum or signature did not verify
	Interrupted  = 130
)

// Error is an error that knows its exit status.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap gives err the exit status code; a nil err stays nil.
func Wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// New formats a message into an error with the exit status code.
func New(code int, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Of returns the exit status for err: the innermost code given by Wrap or
// New, Interrupted for a cancelled context, Failure otherwise.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	return Failure
}
