package httpserve

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// warnings is a log handler keeping the messages logged at warn level
// and above (the servers log from their own goroutines).
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, r.Message)
	return nil
}

func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

func (w *warnings) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

// eventSink records the events the webhook server delivers.
type eventSink struct{ events chan webhook.Event }

func (s eventSink) Handle(_ context.Context, ev webhook.Event) { s.events <- ev }

// start runs run until the test ends and waits for it to return.
func start(t *testing.T, run Runnable) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server returned %v after its context ended", err)
		}
	})
}

// takenPort listens on a port for the test and returns its address.
func takenPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// freeAddr is a port nothing listens on at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestWebhookConfigurationErrorsAndWarnings(t *testing.T) {
	tests := []struct {
		name     string
		opts     WebhookOptions
		wantErr  string
		wantWarn string
	}{
		{name: "unknown webhook type", opts: WebhookOptions{Config: webhook.Config{Secrets: map[string]string{"nosuchregistry": "s"}}}, wantErr: `secret for unknown type "nosuchregistry"`},
		{name: "taken port", opts: WebhookOptions{Addr: takenPort(t), Config: webhook.Config{Secrets: map[string]string{"docker.io": "s"}}}, wantErr: "webhook server: listen"},
		{name: "bad TLS version", opts: WebhookOptions{Config: webhook.Config{Secrets: map[string]string{"docker.io": "s"}}, TLS: true, TLSOptions: webhook.TLSOptions{MinVersion: "0.9"}}, wantErr: `--tlsminversion: TLS version "0.9"`},
		{name: "no secret: every request refused, said so", opts: WebhookOptions{Addr: "127.0.0.1:0"}, wantWarn: "every request will be refused"},
		{name: "unauthenticated: said so", opts: WebhookOptions{Addr: "127.0.0.1:0", Config: webhook.Config{AllowUnauthenticated: true}}, wantWarn: "accept unauthenticated requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log warnings
			run, err := Webhook(tt.opts, eventSink{make(chan webhook.Event, 1)}, slog.New(&log))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			start(t, run)
			if !strings.Contains(log.all(), tt.wantWarn) {
				t.Errorf("warnings lack %q:\n%s", tt.wantWarn, log.all())
			}
		})
	}
}

func TestWebhookServesAndDelivers(t *testing.T) {
	body, err := os.ReadFile("../webhook/testdata/docker.io.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, useTLS := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "https self-signed"}[useTLS]
		t.Run(name, func(t *testing.T) {
			addr := freeAddr(t)
			sink := eventSink{make(chan webhook.Event, 4)}
			run, err := Webhook(WebhookOptions{Addr: addr, TLS: useTLS,
				Config: webhook.Config{Secrets: map[string]string{"docker.io": "s3cret"}, DebounceWindow: 10 * time.Millisecond}},
				sink, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			start(t, run)
			scheme := "http"
			client := &http.Client{Timeout: 5 * time.Second}
			if useTLS {
				scheme = "https"
				client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // the server's self-signed certificate
			}
			post := func(secret string) int {
				t.Helper()
				resp, err := client.Post(scheme+"://"+addr+"/webhook?type=docker.io&secret="+secret, "application/json", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				return resp.StatusCode
			}
			if code := post("wrong"); code != http.StatusUnauthorized {
				t.Errorf("wrong secret: %d, want 401", code)
			}
			if code := post("s3cret"); code != http.StatusAccepted {
				t.Fatalf("right secret: %d, want 202", code)
			}
			select {
			case ev := <-sink.events:
				if ev.Registry != "docker.io" || ev.Repository != "acmecorp/checkout-api" || ev.Source != "docker.io" {
					t.Errorf("event %+v", ev)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the push was not delivered: the handler's dispatch does not run")
			}
		})
	}
}

// holdsBackend answers the trigger API's holds listing.
type holdsBackend struct{ set holds.Set }

func (b holdsBackend) Check(context.Context, api.CheckRequest) (api.CheckResult, error) {
	return api.CheckResult{}, errors.New("not used")
}
func (b holdsBackend) Holds(context.Context) (holds.Set, error)      { return b.set, nil }
func (b holdsBackend) Hold(context.Context, holds.Hold) error        { return errors.New("not used") }
func (b holdsBackend) Release(context.Context, string, string) error { return errors.New("not used") }

func TestAPI(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	backend := holdsBackend{holds.Set{Holds: []holds.Hold{{Application: "argocd/web", Image: "web"}}}}
	if _, err := API("127.0.0.1:0", "", backend, logger); err == nil {
		t.Error("an API without a token was built")
	}
	if _, err := API(takenPort(t), "t0ken", backend, logger); err == nil || !strings.Contains(err.Error(), "trigger API") {
		t.Errorf("taken port: %v", err)
	}
	addr := freeAddr(t)
	run, err := API(addr, "t0ken", backend, logger)
	if err != nil {
		t.Fatal(err)
	}
	start(t, run)
	tests := []struct {
		name     string
		auth     string
		wantCode int
		wantBody string
	}{
		{"no token", "", http.StatusUnauthorized, "unauthorized"},
		{"wrong token", "Bearer nope", http.StatusUnauthorized, "unauthorized"},
		{"right token", "Bearer t0ken", http.StatusOK, `"application":"argocd/web"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/holds", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("%d %s, want %d with %q", resp.StatusCode, b, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestRunAll(t *testing.T) {
	boom := errors.New("boom")
	untilDone := func(ctx context.Context) error { <-ctx.Done(); return nil }
	fails := func(context.Context) error { return boom }
	tests := []struct {
		name    string
		runs    []Runnable
		cancel  bool // end the context (else the runs must end by themselves)
		wantErr error
	}{
		{name: "none", runs: nil},
		{name: "all serve until the context ends", runs: []Runnable{untilDone, untilDone}, cancel: true},
		{name: "one fails: the others are stopped and its error returned", runs: []Runnable{untilDone, fails, untilDone}, wantErr: boom},
		{name: "later failures after the first are dropped", runs: []Runnable{fails, fails}, wantErr: boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				time.AfterFunc(20*time.Millisecond, cancel)
			}
			done := make(chan error, 1)
			go func() { done <- RunAll(ctx, tt.runs) }()
			select {
			case err := <-done:
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("RunAll did not return")
			}
		})
	}
}
