package holds

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
)

// Path is where repo mode keeps holds, relative to the repository root.
const Path = ".imagepilot/holds.yaml"

// ErrInvalid marks a malformed holds file or request.
var ErrInvalid = errors.New("invalid hold")

// Hold pins one image of one application.
type Hold struct {
	// Application is "namespace/name", or "name" for any namespace.
	Application string `yaml:"application" json:"application"`
	// Image is the image's alias or name as in the image list.
	Image string `yaml:"image" json:"image"`
	// Version is the tag (or tag@digest) the image is held at; empty
	// means "wherever it is now".
	Version string `yaml:"version,omitempty" json:"version,omitempty"`
	// Reason says why, for the people who will wonder.
	Reason string `yaml:"reason,omitempty" json:"reason,omitempty"`
	// By names who placed the hold.
	By string `yaml:"by,omitempty" json:"by,omitempty"`
	// Since is when the hold was placed.
	Since time.Time `yaml:"since" json:"since"`
}

// Set is the content of a holds file.
type Set struct {
	Holds []Hold `yaml:"holds" json:"holds"`
}

// Validate checks a hold's fields.
func (h Hold) Validate() error {
	switch {
	case strings.TrimSpace(h.Application) == "":
		return fmt.Errorf("%w: application is required", ErrInvalid)
	case strings.TrimSpace(h.Image) == "":
		return fmt.Errorf("%w: image is required", ErrInvalid)
	case strings.ContainsAny(h.Application+h.Image+h.Version, "\n\r\x00"):
		return fmt.Errorf("%w: control characters in application, image or version", ErrInvalid)
	case strings.Count(h.Application, "/") > 1:
		return fmt.Errorf("%w: application %q: want name or namespace/name", ErrInvalid, h.Application)
	}
	return nil
}

// Parse reads a holds file strictly: unknown keys and invalid holds are
// errors naming the entry.
func Parse(data []byte) (Set, error) {
	var s Set
	if len(bytes.TrimSpace(data)) == 0 {
		return s, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return Set{}, fmt.Errorf("%w: %s: %v", ErrInvalid, Path, err)
	}
	// One document only: the holds of a second would be ignored.
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Set{}, fmt.Errorf("%w: %s: more than one YAML document", ErrInvalid, Path)
	}
	for i, h := range s.Holds {
		if err := h.Validate(); err != nil {
			return Set{}, fmt.Errorf("%s: holds[%d]: %w", Path, i, err)
		}
	}
	return s, nil
}

// Marshal renders the set, sorted by application and image.
func (s Set) Marshal() ([]byte, error) {
	sort.Slice(s.Holds, func(i, j int) bool {
		a, b := s.Holds[i], s.Holds[j]
		return a.Application+"\x00"+a.Image < b.Application+"\x00"+b.Image
	})
	var buf bytes.Buffer
	buf.WriteString("# Images imagepilot must not move. Managed with `imagepilot hold` and\n# `imagepilot release`; edits by hand are fine too.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encoding holds: %w", err)
	}
	return buf.Bytes(), enc.Close()
}

// Put adds or replaces the hold for h's application and image.
func (s *Set) Put(h Hold) {
	for i := range s.Holds {
		if s.Holds[i].Application == h.Application && s.Holds[i].Image == h.Image {
			s.Holds[i] = h
			return
		}
	}
	s.Holds = append(s.Holds, h)
}

// Remove deletes the hold for application and image; it reports whether
// there was one.
func (s *Set) Remove(application, image string) bool {
	for i, h := range s.Holds {
		if h.Application == application && h.Image == image {
			s.Holds = append(s.Holds[:i], s.Holds[i+1:]...)
			return true
		}
	}
	return false
}

// Find returns the hold covering an application's image.
func (s Set) Find(app target.AppRef, img imagespec.Spec) (Hold, bool) {
	for _, h := range s.Holds {
		if Matches(h, app, img) {
			return h, true
		}
	}
	return Hold{}, false
}

// Matches reports whether h covers an application's image: the application
// by namespace/name or bare name, the image by alias, name or full name.
func Matches(h Hold, app target.AppRef, img imagespec.Spec) bool {
	appOK := h.Application == app.Name || h.Application == app.String()
	imgOK := h.Image == img.Alias && img.Alias != "" || h.Image == img.Name || h.Image == img.FullName()
	return appOK && imgOK
}

// Describe says what the hold means, for plan output and logs.
func (h Hold) Describe() string {
	var b strings.Builder
	b.WriteString("pinned")
	if h.Version != "" {
		b.WriteString(" at " + h.Version)
	}
	if h.By != "" {
		b.WriteString(" by " + h.By)
	}
	if !h.Since.IsZero() {
		b.WriteString(" since " + h.Since.UTC().Format(time.RFC3339))
	}
	if h.Reason != "" {
		b.WriteString(": " + h.Reason)
	}
	return b.String() + " (imagepilot release to resume updates)"
}
