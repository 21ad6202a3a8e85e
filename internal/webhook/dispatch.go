package webhook

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// dispatcher calls the sink for debounced events: at most one call per
// repository at a time (an event arriving meanwhile runs once afterwards)
// and at most maxConcurrent calls overall. Events wait in a queue keyed by
// repository, so the queue never holds more than one event per repository.
//
// Each call gets a context that ends after timeout. A call still running
// then gives its slot to the others (a check stuck on a slow registry must
// not hold up the events of other repositories); its repository's next
// event waits until it has returned.
type dispatcher struct {
	sink      Sink
	log       *slog.Logger
	sem       chan struct{}
	maxQueued int
	timeout   time.Duration
	grace     time.Duration

	mu       sync.Mutex
	queue    []string
	queued   map[string]Event
	running  map[string]bool
	followUp map[string]Event
	wake     chan struct{}
	wg       sync.WaitGroup
}

func newDispatcher(sink Sink, log *slog.Logger, maxConcurrent, maxQueued int, timeout time.Duration) *dispatcher {
	return &dispatcher{
		sink: sink, log: log, sem: make(chan struct{}, maxConcurrent), maxQueued: maxQueued,
		timeout: timeout, grace: shutdownGrace,
		queued: map[string]Event{}, running: map[string]bool{}, followUp: map[string]Event{},
		wake: make(chan struct{}, 1),
	}
}

// submit queues ev; it never blocks.
func (d *dispatcher) submit(ev Event) {
	key := ev.Key()
	d.mu.Lock()
	if _, ok := d.queued[key]; !ok {
		if len(d.queue) >= d.maxQueued {
			d.mu.Unlock()
			d.log.Warn("webhook queue full, event dropped", "registry", ev.Registry, "repository", ev.Repository)
			return
		}
		d.queue = append(d.queue, key)
	}
	d.queued[key] = ev
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run starts sink calls until ctx ends, then waits for running calls.
func (d *dispatcher) run(ctx context.Context) {
	defer d.wg.Wait()
	for {
		d.startQueued(ctx)
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		}
	}
}

func (d *dispatcher) startQueued(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, key := range d.queue {
		ev := d.queued[key]
		delete(d.queued, key)
		if d.running[key] {
			d.followUp[key] = ev
			continue
		}
		d.running[key] = true
		d.wg.Add(1)
		go d.call(ctx, ev)
	}
	d.queue = d.queue[:0]
}

// call runs the sink for ev, then for any event that arrived meanwhile.
func (d *dispatcher) call(ctx context.Context, ev Event) {
	defer d.wg.Done()
	key := ev.Key()
	for {
		select {
		case d.sem <- struct{}{}:
			d.handle(ctx, ev)
		case <-ctx.Done():
		}
		d.mu.Lock()
		next, again := d.followUp[key]
		delete(d.followUp, key)
		if !again || ctx.Err() != nil {
			delete(d.running, key)
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		ev = next
	}
}

// shutdownGrace bounds how long Start waits, once its context has ended,
// for a sink call that ignores cancellation.
const shutdownGrace = 30 * time.Second

// handle runs one sink call holding a slot of d.sem, and frees the slot
// when the call returns or its time is up, whichever comes first. After a
// timeout it still waits for the call (so that the repository sees one call
// at a time), but no longer than shutdown allows.
func (d *dispatcher) handle(ctx context.Context, ev Event) {
	callCtx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.sink.Handle(callCtx, ev)
	}()
	select {
	case <-done:
		<-d.sem
		return
	case <-callCtx.Done():
	}
	<-d.sem
	if ctx.Err() == nil {
		d.log.Warn("webhook check exceeded its time; events of other repositories go on",
			"registry", ev.Registry, "repository", ev.Repository, "timeout", d.timeout)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
	}
	timer := time.NewTimer(d.grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		d.log.Warn("webhook check did not stop at shutdown; not waiting for it", "registry", ev.Registry, "repository", ev.Repository)
	}
}
