package holds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
)

// Annotation is the Application annotation in which the controller keeps
// the holds of the application's images across restarts: a JSON list of
// Hold, each with Application "namespace/name" of the annotated
// application, e.g.
//
//	imagepilot.io/holds: '[{"application":"apps/web","image":"web","version":"1.2.0","by":"ana","since":"2026-01-01T00:00:00Z"}]'
//
// Managed with the trigger API (imagepilot hold/release --server); edits by
// hand are fine too. An unreadable value holds every image of the
// application and is reported as a configuration problem.
const Annotation = "imagepilot.io/holds"

// ParseAnnotation reads the holds annotation value strictly (unknown
// fields and invalid holds are errors wrapping ErrInvalid); an empty value
// holds nothing.
func ParseAnnotation(value string) ([]Hold, error) {
	if len(bytes.TrimSpace([]byte(value))) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(value)))
	dec.DisallowUnknownFields()
	var hs []Hold
	if err := dec.Decode(&hs); err != nil {
		return nil, fmt.Errorf("%w: annotation %s: %v", ErrInvalid, Annotation, err)
	}
	// dec.More would miss a stray "]" or "}": decode once more instead.
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: annotation %s: trailing data", ErrInvalid, Annotation)
	}
	for i, h := range hs {
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("annotation %s: holds[%d]: %w", Annotation, i, err)
		}
	}
	return hs, nil
}

// FormatAnnotation renders holds for the annotation, sorted by application
// and image ("" when none are left).
func FormatAnnotation(hs []Hold) (string, error) {
	if len(hs) == 0 {
		return "", nil
	}
	hs = slices.Clone(hs)
	sort.Slice(hs, func(i, j int) bool {
		return hs[i].Application+"\x00"+hs[i].Image < hs[j].Application+"\x00"+hs[j].Image
	})
	data, err := json.Marshal(hs)
	if err != nil {
		return "", fmt.Errorf("encoding holds: %w", err)
	}
	return string(data), nil
}
