package webhook

import "context"

// Sink receives debounced events; typically it re-checks the repository's
// images. Handle runs outside the HTTP request, at most once at a time per
// repository, with the context given to Server.Start.
type Sink interface {
	Handle(ctx context.Context, ev Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, ev Event)

// Handle calls f.
func (f SinkFunc) Handle(ctx context.Context, ev Event) { f(ctx, ev) }
