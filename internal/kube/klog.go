package kube

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
)

// klogTarget is where client-go's klog output and controller-runtime's log
// go (nothing until RouteKlog is called). klog and controller-runtime keep
// their logger in process-wide variables that may only be set before other
// goroutines log, so they are set once, at initialization, to a handler
// that forwards to this target; RouteKlog only swaps the target.
var klogTarget atomic.Pointer[slog.Handler]

func init() {
	l := logr.FromSlogHandler(forwardHandler{})
	klog.SetLogger(l)
	crlog.SetLogger(l)
}

// RouteKlog sends client-go's klog output (for example watch errors or
// throttling notices) and controller-runtime's log through logger, so they
// have the product's format and level instead of klog's own lines on
// stderr. It is safe to call at any time, from any goroutine.
func RouteKlog(logger *slog.Logger) {
	if logger == nil {
		return
	}
	h := logger.Handler()
	klogTarget.Store(&h)
}

// forwardHandler forwards records to the current klogTarget, applying the
// attributes and groups added to it on the way.
type forwardHandler struct {
	ops []func(slog.Handler) slog.Handler
}

func (f forwardHandler) target() slog.Handler {
	p := klogTarget.Load()
	if p == nil {
		return nil
	}
	h := *p
	for _, op := range f.ops {
		h = op(h)
	}
	return h
}

// Enabled reports whether the current target takes records of level.
func (f forwardHandler) Enabled(ctx context.Context, level slog.Level) bool {
	p := klogTarget.Load()
	return p != nil && (*p).Enabled(ctx, level)
}

// Handle passes r to the current target.
func (f forwardHandler) Handle(ctx context.Context, r slog.Record) error {
	if h := f.target(); h != nil {
		return h.Handle(ctx, r)
	}
	return nil
}

// WithAttrs returns a handler adding attrs before forwarding.
func (f forwardHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return f.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })
}

// WithGroup returns a handler opening group before forwarding.
func (f forwardHandler) WithGroup(name string) slog.Handler {
	return f.with(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
}

func (f forwardHandler) with(op func(slog.Handler) slog.Handler) forwardHandler {
	ops := make([]func(slog.Handler) slog.Handler, len(f.ops), len(f.ops)+1)
	copy(ops, f.ops)
	return forwardHandler{ops: append(ops, op)}
}
