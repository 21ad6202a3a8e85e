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
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/webhook"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestListenErrors(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	certOnly := filepath.Join(t.TempDir(), "tls.crt")
	if err := os.WriteFile(certOnly, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		addr    string
		useTLS  bool
		opts    webhook.TLSOptions
		wantErr string
	}{
		{name: "a taken port is a configuration error", addr: taken.Addr().String(), wantErr: "address already in use"},
		{name: "an address that does not parse", addr: "127.0.0.1:notaport", wantErr: "unknown port"},
		{name: "an unknown TLS version", addr: "127.0.0.1:0", useTLS: true, opts: webhook.TLSOptions{MinVersion: "9.9"}, wantErr: `TLS version "9.9"`},
		{name: "a certificate without its key", addr: "127.0.0.1:0", useTLS: true, opts: webhook.TLSOptions{CertFile: certOnly}, wantErr: "only one is there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, err := Listen("trigger API", tt.addr, &http.Server{ReadHeaderTimeout: time.Second}, tt.useTLS, tt.opts)
			if err == nil {
				hs.ln.Close()
				t.Fatal("Listen succeeded")
			}
			if !strings.HasPrefix(err.Error(), "trigger API: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q: want the server's name and %q", err, tt.wantErr)
			}
		})
	}
}

// TestListenTLSIgnoredWithoutTLS shows that TLS options are not read when
// the server is plain HTTP (a broken option there is no error).
func TestListenTLSIgnoredWithoutTLS(t *testing.T) {
	srv := &http.Server{ReadHeaderTimeout: time.Second}
	hs, err := Listen("webhook", "127.0.0.1:0", srv, false, webhook.TLSOptions{MinVersion: "9.9"})
	if err != nil {
		t.Fatal(err)
	}
	defer hs.ln.Close()
	if srv.TLSConfig != nil || hs.cert != "" {
		t.Fatalf("plain server got TLS: %v %q", srv.TLSConfig, hs.cert)
	}
	if srv.Addr != hs.ln.Addr().String() || strings.HasSuffix(srv.Addr, ":0") {
		t.Fatalf("srv.Addr %q, listener %q: want the bound address", srv.Addr, hs.ln.Addr())
	}
}

func TestServeLifecycle(t *testing.T) {
	tests := []struct {
		name       string
		useTLS     bool
		wantScheme string
		wantCert   string
	}{
		{name: "plain HTTP", wantScheme: "scheme=http ", wantCert: `certificate=""`},
		{name: "HTTPS with a generated certificate", useTLS: true, wantScheme: "scheme=https", wantCert: "certificate=self-signed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "pong "+r.URL.Path)
			})}
			hs, err := Listen("test server", "127.0.0.1:0", srv, tt.useTLS, webhook.TLSOptions{})
			if err != nil {
				t.Fatal(err)
			}
			logs := &syncBuffer{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- hs.Serve(ctx, slog.New(slog.NewTextHandler(logs, nil))) }()

			scheme := "http"
			if tt.useTLS {
				scheme = "https"
			}
			url := scheme + "://" + srv.Addr + "/ping"
			if tt.useTLS {
				// TLS is verified by default: the self-signed certificate is refused.
				if _, err := http.Get(url); err == nil || !strings.Contains(err.Error(), "certificate") {
					t.Fatalf("verifying client: %v, want a certificate error", err)
				}
			}
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // self-signed test server
			resp, err := client.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "pong /ping" {
				t.Fatalf("body %q", body)
			}
			if tt.useTLS && (resp.TLS == nil || resp.ProtoMajor != 1) {
				t.Fatalf("TLS %v proto %s: want HTTPS over HTTP/1.1 (HTTP/2 off by default)", resp.TLS, resp.Proto)
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Serve after cancel: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Serve did not return after the context ended")
			}
			if _, err := net.DialTimeout("tcp", srv.Addr, time.Second); err == nil {
				t.Fatal("the port still accepts connections after shutdown")
			}
			log := logs.String()
			for _, want := range []string{`msg="test server listening"`, "address=" + srv.Addr, tt.wantScheme, tt.wantCert} {
				if !strings.Contains(log, want) {
					t.Errorf("log %q lacks %q", log, want)
				}
			}
		})
	}
}

// TestServeWaitsForRequests shows the shutdown is graceful: a request in
// flight when the context ends completes before Serve returns.
func TestServeWaitsForRequests(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})}
	hs, err := Listen("slow", "127.0.0.1:0", srv, false, webhook.TLSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + srv.Addr + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if body := <-got; body != "finished" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestServeReportsFailure shows a server that stops by itself (its listener
// closed under it) returns the error, named, without waiting for ctx.
func TestServeReportsFailure(t *testing.T) {
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.NotFoundHandler()}
	hs, err := Listen("webhook server", "127.0.0.1:0", srv, false, webhook.TLSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hs.ln.Close()
	done := make(chan error, 1)
	go func() { done <- hs.Serve(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "webhook server: ") || !errors.Is(err, net.ErrClosed) {
			t.Fatalf("error %v: want the server's name wrapping net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its listener failed")
	}
}
