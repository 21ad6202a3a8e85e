package webhook

import (
	"sync"
	"time"
)

// debouncer collapses the events for one repository that arrive within a
// window into one, emitted when the window that the first event opened
// closes. The window is fixed (later events do not extend it), so an event
// is never delayed by more than the window however busy the repository is.
// The latest event's hints (tag, digest) win.
type debouncer struct {
	clock  Clock
	window time.Duration
	emit   func(Event)

	mu      sync.Mutex
	open    map[string]*openWindow
	stopped bool
}

type openWindow struct {
	ev    Event
	timer Timer
}

func newDebouncer(clock Clock, window time.Duration, emit func(Event)) *debouncer {
	return &debouncer{clock: clock, window: window, emit: emit, open: map[string]*openWindow{}}
}

// add files ev under its repository and reports whether it opened a window.
func (d *debouncer) add(ev Event) (opened bool) {
	key := ev.Key()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return false
	}
	if w, ok := d.open[key]; ok {
		w.ev = ev
		return false
	}
	w := &openWindow{ev: ev}
	d.open[key] = w
	w.timer = d.clock.AfterFunc(d.window, func() { d.close(key) })
	return true
}

func (d *debouncer) close(key string) {
	d.mu.Lock()
	w, ok := d.open[key]
	delete(d.open, key)
	d.mu.Unlock()
	if ok {
		d.emit(w.ev)
	}
}

// pending reports how many windows are open.
func (d *debouncer) pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.open)
}

// isStopped reports whether stop has been called.
func (d *debouncer) isStopped() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stopped
}

// stop cancels every open window and refuses new events.
func (d *debouncer) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	for key, w := range d.open {
		w.timer.Stop()
		delete(d.open, key)
	}
}
