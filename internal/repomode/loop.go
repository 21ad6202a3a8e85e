package repomode

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/imagepilot/imagepilot/internal/cycle"
)

// ErrCycleFailed marks a Loop.Run with Once whose cycle failed or had
// errors.
var ErrCycleFailed = errors.New("update cycle failed")

// Server serves until its context ends (the webhook server, the trigger
// API); an error is logged.
type Server func(ctx context.Context) error

// Loop runs repo mode for its whole life: a cycle now and then every
// Interval, while Servers (webhooks, the trigger API) run their own
// cycles; all take turns on Lock.
type Loop struct {
	// Runner runs the cycles.
	Runner *Runner
	// Lock serialises cycles, webhook-triggered cycles, API requests and
	// hold changes (nil: a lock of the loop's own).
	Lock *cycle.Lock
	// Once runs one cycle and returns.
	Once bool
	// Interval is the time between cycles; 0 polls never after the first,
	// leaving updates to webhooks.
	Interval time.Duration
	// Report receives the report of every cycle that ran (plan output in
	// dry runs); nil ignores them.
	Report func(Report)
	// Servers start before the first cycle and stop when the loop ends;
	// with Once none is started.
	Servers []Server
}

// Run runs cycles until ctx ends (or one, with Once). With Once, a failed
// cycle or one with errors returns an error wrapping ErrCycleFailed;
// otherwise failures are logged and the next cycle runs.
func (l *Loop) Run(ctx context.Context) error {
	if l.Lock == nil {
		l.Lock = new(cycle.Lock)
	}
	logger := l.Runner.logger()
	if !l.Once {
		stop := l.startServers(ctx)
		defer stop()
	}
	var timer <-chan time.Time
	for {
		l.Lock.Lock()
		rep, err := l.Runner.RunOnce(ctx)
		l.Lock.Unlock()
		if err != nil {
			if l.Once {
				return cycleFailed{err}
			}
			logger.ErrorContext(ctx, "update cycle failed", "error", err)
		} else if l.Report != nil {
			l.Report(rep)
		}
		if l.Once {
			if rep.Err() != nil {
				return cycleFailed{errors.New("the cycle had errors (see the log)")}
			}
			return nil
		}
		if l.Interval > 0 {
			timer = time.After(l.Interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-timer:
		}
	}
}

// cycleFailed says what failed and is ErrCycleFailed.
type cycleFailed struct{ err error }

func (e cycleFailed) Error() string        { return e.err.Error() }
func (e cycleFailed) Unwrap() error        { return e.err }
func (e cycleFailed) Is(target error) bool { return target == ErrCycleFailed }

// startServers runs the servers; the returned stop ends them and waits.
func (l *Loop) startServers(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, s := range l.Servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s(ctx); err != nil {
				l.Runner.logger().ErrorContext(ctx, "server stopped", "error", err)
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}
