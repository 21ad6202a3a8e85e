package registry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestDeadlineTransportBoundsBodyAndHeaders(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stall-body":
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
		case "/trickle": // a byte every 50ms: never stalls, never ends in time
			w.Header().Set("Content-Length", "1000")
			for range 1000 {
				if _, err := io.WriteString(w, "x"); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-time.After(50 * time.Millisecond):
				case <-r.Context().Done():
					return
				case <-release:
					return
				}
			}
		case "/ok":
			_, _ = io.WriteString(w, "fine")
			return
		}
		select { // /no-headers, and the rest of /stall-body
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	client := &http.Client{Transport: &deadlineTransport{total: time.Second, stall: 200 * time.Millisecond, inner: http.DefaultTransport}}
	tests := []struct {
		path    string
		wantErr error
		within  time.Duration
	}{
		{"/ok", nil, 500 * time.Millisecond},
		{"/stall-body", errRequestTimeout, 600 * time.Millisecond},
		{"/no-headers", errRequestTimeout, 1500 * time.Millisecond},
		{"/trickle", errRequestTimeout, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			start := time.Now()
			err := get(context.Background(), client, srv.URL+tt.path)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && classify(err) != ErrTimeout {
				t.Errorf("classified %v, want ErrTimeout", classify(err))
			}
			if d := time.Since(start); d > tt.within {
				t.Errorf("took %s, want at most %s", d, tt.within)
			}
		})
	}
	t.Run("caller cancellation stays a context error", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err := get(ctx, client, srv.URL+"/no-headers")
		if errors.Is(err, errRequestTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the caller's deadline", err)
		}
	})
}

func get(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}
