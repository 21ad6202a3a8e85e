package policy

import "regexp"

// validTag is the OCI distribution grammar for a tag reference.
var validTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// ReasonInvalidTag is the verdict reason of a listed tag that is not a
// valid OCI tag reference.
const ReasonInvalidTag = "not a valid tag reference (want [A-Za-z0-9_][A-Za-z0-9._-]{0,127})"

// ValidTag reports whether tag is a valid OCI tag reference: a letter,
// digit or '_' followed by at most 127 letters, digits, '.', '_' or '-'.
// Anything else (shell or template syntax, spaces, control or non-ASCII
// characters, path separators, over-long tags) is not a tag an image can
// be deployed with, and is never used in a request or written anywhere.
func ValidTag(tag string) bool { return validTag.MatchString(tag) }
