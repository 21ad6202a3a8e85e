package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

// DirectEvents sets engine.Events to record through a broadcaster of its
// own (for one-shot runs without a manager). Call stop to flush and end it.
func DirectEvents(cfg *rest.Config, engine *Engine) (stop func(), err error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("events client: %w", err)
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	done := make(chan struct{})
	b.StartRecordingToSink(done)
	rec := b.NewRecorder(scheme, "imagepilot")
	engine.Events = func(app *argocd.Application, msg string) {
		rec.Eventf(app, nil, corev1.EventTypeNormal, EventReason, "UpdateImages", "%s", msg)
	}
	engine.Warnings = func(app *argocd.Application, reason, msg string) {
		rec.Eventf(app, nil, corev1.EventTypeWarning, reason, "UpdateImages", "%s", msg)
	}
	return func() { close(done); b.Shutdown() }, nil
}
