package registryconf

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (errors.Is) by every parse and validation error.
var ErrInvalid = errors.New("invalid registries.conf")

// Error is a problem at a place in registries.conf.
type Error struct {
	// File is the file name shown ("registries.conf" for Parse).
	File string
	// Line and Column are 1-based; 0 when unknown.
	Line, Column int
	// Registry names the entry ("registry \"ACR\"" or "registry #2"); empty
	// for file-level problems.
	Registry string
	// Msg describes the problem.
	Msg string
	// Err is an underlying cause, if any.
	Err error
}

// Error renders file:line:col: registry: message[: cause].
func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			s += fmt.Sprintf(":%d", e.Column)
		}
	}
	s += ": "
	if e.Registry != "" {
		s += e.Registry + ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }
