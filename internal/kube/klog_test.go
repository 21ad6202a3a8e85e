package kube

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"k8s.io/klog/v2"
)

// TestRouteKlog checks that klog's lines reach the logger given last, in
// its format, with the attributes klog adds.
func TestRouteKlog(t *testing.T) {
	for name, tc := range map[string]struct {
		level slog.Level
		log   func()
		want  []string
		none  bool
	}{
		"error with key/values": {slog.LevelInfo, func() { klog.ErrorS(nil, "Unable to write event", "event", "apps/web") }, []string{`level=ERROR`, `msg="Unable to write event"`, `event=apps/web`}, false},
		"info":                  {slog.LevelInfo, func() { klog.InfoS("throttled", "wait", "1s") }, []string{`level=INFO`, `msg=throttled`, `wait=1s`}, false},
		"below the level":       {slog.LevelError, func() { klog.InfoS("throttled") }, nil, true},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			RouteKlog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.level})))
			defer RouteKlog(slog.New(slog.DiscardHandler))
			tc.log()
			klog.Flush()
			out := buf.String()
			if tc.none && out != "" {
				t.Fatalf("logged %q", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%q lacks %q", out, w)
				}
			}
		})
	}
}
