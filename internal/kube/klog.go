package kube

import (
	"log/slog"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
)

// RouteKlog sends client-go's klog output (for example watch errors or
// throttling notices) and controller-runtime's log through logger, so they
// have the product's format and level instead of klog's own lines on
// stderr. Both loggers are process-wide: call it where the logger is
// built.
func RouteKlog(logger *slog.Logger) {
	if logger == nil {
		return
	}
	l := logr.FromSlogHandler(logger.Handler())
	klog.SetLogger(l)
	crlog.SetLogger(l)
}
