package controller

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	eventsclient "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/rest"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// Event recorder limits.
const (
	// DefaultEventFlushTimeout bounds the time spent sending queued
	// Events when the recorder stops.
	DefaultEventFlushTimeout = 5 * time.Second
	// eventQueueSize bounds Events waiting to be sent; beyond it Events are
	// dropped (and counted in the log) rather than holding up updates.
	eventQueueSize = 20000
	// eventWorkers is the number of Events sent at once.
	eventWorkers = 4
	// maxEventNoteBytes is the events.k8s.io/v1 limit on a note.
	maxEventNoteBytes = 1024
	// eventRequestTimeout bounds one Event creation.
	eventRequestTimeout = 10 * time.Second
)

// EventRecorder sends events.k8s.io/v1 Events in the background: Record
// only queues, so Events never hold up updates, and Stop sends what is
// queued within a bounded time before returning, so a one-shot run loses
// none. It has its own API client (and rate limiter), separate from the
// one writing Applications.
type EventRecorder struct {
	sink     eventsclient.EventsGetter
	logger   *slog.Logger
	instance string
	timeout  time.Duration

	queue   chan *eventsv1.Event
	start   sync.Once
	stop    sync.Once
	mu      sync.RWMutex // guards closed against sends on a closed queue
	closed  bool
	wg      sync.WaitGroup
	seq     atomic.Uint64
	sent    atomic.Int64
	failed  atomic.Int64
	dropped atomic.Int64
}

// NewEventRecorder returns a recorder sending Events through cfg; logger
// receives failures (nil discards). Call Stop to flush it.
func NewEventRecorder(cfg *rest.Config, logger *slog.Logger) (*EventRecorder, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("events client: %w", err)
	}
	return newEventRecorder(cs.EventsV1(), logger), nil
}

func newEventRecorder(sink eventsclient.EventsGetter, logger *slog.Logger) *EventRecorder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	instance, err := os.Hostname()
	if err != nil || instance == "" {
		instance = "imagepilot"
	}
	return &EventRecorder{
		sink: sink, logger: logger, instance: truncate(instance, 128), timeout: DefaultEventFlushTimeout,
		queue: make(chan *eventsv1.Event, eventQueueSize),
	}
}

// Attach sets engine.Events, engine.Warnings and engine.UpdaterWarnings
// to record through r.
func (r *EventRecorder) Attach(engine *Engine) {
	engine.Events = func(app *argocd.Application, msg string) {
		r.Record(app, corev1.EventTypeNormal, EventReason, msg)
	}
	engine.Warnings = func(app *argocd.Application, reason, msg string) {
		r.Record(app, corev1.EventTypeWarning, reason, msg)
	}
	engine.UpdaterWarnings = func(iu *v1alpha1.ImageUpdater, reason, msg string) {
		r.RecordOn(corev1.ObjectReference{
			APIVersion: v1alpha1.GroupVersion.String(), Kind: "ImageUpdater",
			Namespace: iu.Namespace, Name: iu.Name, UID: iu.UID, ResourceVersion: iu.ResourceVersion,
		}, "ReconcileImageUpdater", corev1.EventTypeWarning, reason, msg)
	}
}

// Record queues one Event on app; it never blocks. After Stop, or with a
// full queue, the Event is dropped and counted.
func (r *EventRecorder) Record(app *argocd.Application, eventType, reason, note string) {
	r.RecordOn(corev1.ObjectReference{
		APIVersion: argocd.GroupVersion.String(), Kind: argocd.ApplicationKind,
		Namespace: app.Namespace, Name: app.Name, UID: app.UID, ResourceVersion: app.ResourceVersion,
	}, "UpdateImages", eventType, reason, note)
}

// RecordOn queues one Event about the object regarding, for action; like
// Record it never blocks.
func (r *EventRecorder) RecordOn(regarding corev1.ObjectReference, action, eventType, reason, note string) {
	r.start.Do(r.run)
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.dropped.Add(1)
		return
	}
	select {
	case r.queue <- r.event(regarding, action, eventType, reason, note):
	default:
		r.dropped.Add(1)
	}
}

func (r *EventRecorder) event(regarding corev1.ObjectReference, action, eventType, reason, note string) *eventsv1.Event {
	now := time.Now()
	return &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s.%x%x", truncate(regarding.Name, 200), now.UnixNano(), r.seq.Add(1)),
			Namespace: regarding.Namespace,
		},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: "imagepilot",
		ReportingInstance:   r.instance,
		Action:              action,
		Reason:              reason,
		Type:                eventType,
		Note:                truncate(note, maxEventNoteBytes),
		Regarding:           regarding,
	}
}

// truncate cuts s to at most n bytes of valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func (r *EventRecorder) run() {
	for range eventWorkers {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for ev := range r.queue {
				r.send(ev)
			}
		}()
	}
}

func (r *EventRecorder) send(ev *eventsv1.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), eventRequestTimeout)
	defer cancel()
	if _, err := r.sink.Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		r.failed.Add(1)
		r.logger.Warn("could not record event", "object", ev.Regarding.Kind+" "+ev.Namespace+"/"+ev.Regarding.Name, "reason", ev.Reason, "error", err)
		return
	}
	r.sent.Add(1)
}

// Stop stops accepting Events and waits, at most the flush timeout
// (DefaultEventFlushTimeout), for the queued ones to be sent; what is
// still queued then is logged as lost. It is safe to call more than once.
func (r *EventRecorder) Stop() {
	r.stop.Do(func() {
		r.start.Do(r.run)
		r.mu.Lock()
		r.closed = true
		close(r.queue)
		r.mu.Unlock()
		done := make(chan struct{})
		go func() { r.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(r.timeout):
			r.logger.Error("events not sent before the flush timeout", "timeout", r.timeout.String(), "queued", len(r.queue))
		}
		if n := r.dropped.Load(); n > 0 || r.failed.Load() > 0 {
			r.logger.Warn("events lost", "dropped", n, "failed", r.failed.Load(), "sent", r.sent.Load())
		}
	})
}

// Start implements manager.Runnable: it flushes the queue when ctx ends.
func (r *EventRecorder) Start(ctx context.Context) error {
	<-ctx.Done()
	r.Stop()
	return nil
}

// DirectEvents sets engine.Events to record through a recorder of its own
// (for runs without a manager). Call stop to flush and end it.
func DirectEvents(cfg *rest.Config, engine *Engine) (stop func(), err error) {
	rec, err := NewEventRecorder(cfg, engine.Logger)
	if err != nil {
		return nil, err
	}
	rec.Attach(engine)
	return rec.Stop, nil
}
