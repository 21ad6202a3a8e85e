package yamledit

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error returned by this package wraps one of them
// (or a yaml.v3 parse error wrapped in ErrParse), so callers can use errors.Is.
var (
	// ErrParse means the input is not YAML this package can edit.
	ErrParse = errors.New("yamledit: cannot parse YAML")
	// ErrInvalidKey means a Helm value key is malformed.
	ErrInvalidKey = errors.New("yamledit: invalid key")
	// ErrKeyNotFound means a Helm value key or list index does not exist and
	// cannot be created (for example an index past the end of a list).
	ErrKeyNotFound = errors.New("yamledit: key not found")
	// ErrNotMapping means a key walks into a value that is not a mapping or
	// a sequence as the key requires.
	ErrNotMapping = errors.New("yamledit: value has the wrong kind for the key")
	// ErrNotScalar means the addressed value is a mapping or sequence, not a
	// single value.
	ErrNotScalar = errors.New("yamledit: value is not a scalar")
	// ErrAlias means the edit would go through or change an aliased value.
	ErrAlias = errors.New("yamledit: value is shared through a YAML anchor/alias")
	// ErrUnsupported means the YAML uses a layout the byte-preserving editor
	// does not handle (flow collections that would need a new entry,
	// multi-line plain scalars, ...).
	ErrUnsupported = errors.New("yamledit: unsupported YAML layout")
	// ErrInvalidValue means a value cannot be written to YAML (invalid UTF-8).
	ErrInvalidValue = errors.New("yamledit: invalid value")
	// ErrInvalidImage means a Kustomize image string or field is malformed.
	ErrInvalidImage = errors.New("yamledit: invalid kustomize image")
	// ErrVerify means the edited output did not re-parse to the intended
	// document; the edit was refused rather than returning a damaged file.
	ErrVerify = errors.New("yamledit: edit verification failed")
	// ErrUnsafePath means a path would leave the repository root.
	ErrUnsafePath = errors.New("yamledit: unsafe path")
	// ErrGitDir means a path lies inside the repository's git directory
	// (it wraps ErrUnsafePath).
	ErrGitDir = fmt.Errorf("%w: inside the repository's git directory", ErrUnsafePath)
)
