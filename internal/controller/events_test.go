package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

func testApp(i int) *argocd.Application {
	a := &argocd.Application{}
	a.Name, a.Namespace = fmt.Sprintf("app-%d", i), "apps"
	return a
}

// TestEventRecorderFlushesOnStop checks that Stop sends every queued Event
// (Record never waits for the slow sink), and that a sink that never
// answers holds Stop no longer than the flush timeout.
func TestEventRecorderFlushesOnStop(t *testing.T) {
	for name, tc := range map[string]struct {
		delay    time.Duration
		timeout  time.Duration
		events   int
		wantSent int
	}{
		"slow sink, all flushed":  {delay: 20 * time.Millisecond, timeout: 5 * time.Second, events: 50, wantSent: 50},
		"stuck sink, bounded":     {delay: time.Hour, timeout: 200 * time.Millisecond, events: 10, wantSent: 0},
		"no events, stop at once": {delay: 0, timeout: time.Second, events: 0, wantSent: 0},
	} {
		t.Run(name, func(t *testing.T) {
			cs := fake.NewClientset()
			release := make(chan struct{})
			defer close(release)
			cs.PrependReactor("create", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
				select {
				case <-time.After(tc.delay):
				case <-release:
				}
				return false, nil, nil
			})
			r := newEventRecorder(cs.EventsV1(), nil)
			r.timeout = tc.timeout
			start := time.Now()
			for i := range tc.events {
				r.Record(testApp(i), "Normal", EventReason, "updated")
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("Record waited %s", d)
			}
			r.Stop()
			if d := time.Since(start); d > tc.timeout+2*time.Second {
				t.Fatalf("Stop took %s (timeout %s)", d, tc.timeout)
			}
			if got := int(r.sent.Load()); got != tc.wantSent {
				t.Fatalf("sent %d, want %d", got, tc.wantSent)
			}
			if tc.wantSent == 0 {
				return
			}
			list, err := cs.EventsV1().Events("apps").List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Items) != tc.wantSent {
				t.Fatalf("%d events stored", len(list.Items))
			}
			checkEvent(t, &list.Items[0])
		})
	}
}

func checkEvent(t *testing.T, ev *eventsv1.Event) {
	t.Helper()
	if ev.Reason != EventReason || ev.Regarding.Kind != "Application" || ev.ReportingController != "imagepilot" || ev.ReportingInstance == "" || ev.EventTime.IsZero() {
		t.Fatalf("event: %+v", ev)
	}
}

func TestEventRecorderDropsAfterStop(t *testing.T) {
	r := newEventRecorder(fake.NewClientset().EventsV1(), nil)
	r.Stop()
	r.Record(testApp(1), "Normal", EventReason, "late")
	if r.dropped.Load() != 1 || r.sent.Load() != 0 {
		t.Fatalf("dropped=%d sent=%d", r.dropped.Load(), r.sent.Load())
	}
}

func TestTruncateNote(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abcdef", 3, "abc"}, {"aé", 2, "a"}} {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
