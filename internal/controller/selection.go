package controller

import (
	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

// Match selects the targets of a filtered pass (RunFor).
type Match func(target.Target) bool

// selection is what one ImageUpdater, or the legacy selection, acts on.
type selection struct {
	// apps are the applications acted on, by reference.
	apps map[target.AppRef]*argocd.Application
	// matched counts the applications selected (conflicting ones too).
	matched int
	// targets are the images of apps.
	targets   []target.Target
	problems  []error
	conflicts []string
	// blocked holds, per application left alone, the errors of its
	// selection (Warning Events on the Application report them).
	blocked map[target.AppRef][]error
	// stalled is a configuration error of the ImageUpdater itself (an
	// invalid applicationRefs entry): no application is acted on, and the
	// ImageUpdater is not retried until its spec changes.
	stalled error
	// transient joins the errors that may go away on their own (a cosign
	// key Secret that could not be read): their applications are left
	// alone this pass and the reconcile backs off.
	transient error
}

// filter keeps the targets match accepts and the applications they
// belong to; problems and conflicts are left out (the full pass reports
// them).
func (s selection) filter(match Match) selection {
	out := selection{apps: map[target.AppRef]*argocd.Application{}}
	for _, t := range s.targets {
		if !match(t) {
			continue
		}
		out.targets = append(out.targets, t)
		out.apps[t.App] = s.apps[t.App]
	}
	out.matched = len(out.apps)
	return out
}
