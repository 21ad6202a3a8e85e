package holds

import (
	"fmt"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// Pins tells, before planning, which images are held and why.
type Pins interface {
	// Pin returns the reason an application's image is held; ok is false
	// when it is not.
	Pin(app target.AppRef, img imagespec.Spec) (reason string, ok bool)
}

// Pin returns the description of the hold covering an application's image.
func (s Set) Pin(app target.AppRef, img imagespec.Spec) (string, bool) {
	h, ok := s.Find(app, img)
	if !ok {
		return "", false
	}
	return h.Describe(), true
}

// Apply marks the items that pins holds pinned, with the hold's reason.
func Apply(items []updater.Item, pins Pins) {
	for i := range items {
		if reason, ok := pins.Pin(items[i].Target.App, items[i].Target.Image); ok {
			items[i].Current.Hold = &updater.Hold{Pinned: true, Reason: reason}
		}
	}
}

// AppPins are the holds of a set of applications read from their
// annotations (the controller's store). An application whose annotation
// cannot be read keeps all its images where they are.
type AppPins struct {
	held   map[target.AppRef]Set
	broken map[target.AppRef]error
}

// PinsFromAnnotations reads each application's holds annotation
// (annotations maps an application to its annotations); the errors name
// the applications whose annotation is unreadable.
func PinsFromAnnotations(annotations map[target.AppRef]map[string]string) (AppPins, []error) {
	p := AppPins{held: map[target.AppRef]Set{}, broken: map[target.AppRef]error{}}
	var problems []error
	for ref, ann := range annotations {
		hs, err := ParseAnnotation(ann[Annotation])
		if err != nil {
			p.broken[ref] = err
			problems = append(problems, fmt.Errorf("application %s: %w", ref, err))
			continue
		}
		p.held[ref] = Set{Holds: hs}
	}
	return p, problems
}

// Pin returns why an application's image is held: by its annotation, or
// because the annotation cannot be read.
func (p AppPins) Pin(app target.AppRef, img imagespec.Spec) (string, bool) {
	if err, ok := p.broken[app]; ok {
		return "unreadable holds annotation (fix or remove it): " + err.Error(), true
	}
	return p.held[app].Pin(app, img)
}
