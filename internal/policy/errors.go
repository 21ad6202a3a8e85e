package policy

import (
	"errors"
	"fmt"
)

// ErrNotComparable is returned by [Policy.IsNewer] for strategies whose order
// cannot be told from tag names alone (newest-build, digest).
var ErrNotComparable = errors.New("tags are not comparable by name under this strategy")

// SettingsError describes one invalid setting. It matches [ErrInvalidSettings]
// with errors.Is and unwraps to the underlying cause, if any.
type SettingsError struct {
	// Field is the setting's user-facing name, e.g. "allow-tags".
	Field string
	// Value is the offending value as the user wrote it.
	Value string
	// Reason says what is wrong with it.
	Reason string
	// Err is the underlying cause (e.g. a regexp parse error), or nil.
	Err error
}

// Error renders the error as `field "value": reason[: cause]`.
func (e *SettingsError) Error() string {
	msg := fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is ErrInvalidSettings.
func (e *SettingsError) Is(target error) bool { return target == ErrInvalidSettings }

// Unwrap returns the underlying cause.
func (e *SettingsError) Unwrap() error { return e.Err }

func invalid(field, value, reason string, cause error) *SettingsError {
	return &SettingsError{Field: field, Value: value, Reason: reason, Err: cause}
}
