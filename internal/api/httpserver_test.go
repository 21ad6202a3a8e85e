package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/holds"
)

func TestNewHTTPServerAppliesTheLimits(t *testing.T) {
	srv := NewHTTPServer(":0", http.NotFoundHandler())
	l := DefaultLimits
	if srv.ReadHeaderTimeout != l.ReadHeaderTimeout || srv.ReadTimeout != l.ReadTimeout || srv.WriteTimeout != l.WriteTimeout ||
		srv.IdleTimeout != l.IdleTimeout || srv.MaxHeaderBytes != l.MaxHeaderBytes {
		t.Fatalf("limits not applied: %+v", srv)
	}
	for name, d := range map[string]time.Duration{"header": l.ReadHeaderTimeout, "read": l.ReadTimeout, "write": l.WriteTimeout, "idle": l.IdleTimeout} {
		if d <= 0 {
			t.Errorf("%s timeout unset", name)
		}
	}
}

// serve starts the API on loopback with the given limits.
func serve(t *testing.T, l Limits) string {
	t.Helper()
	h, err := NewServer(&fakeBackend{}, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(ln.Addr().String(), h, l)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// closedWithin reports how long the server took to close conn (reading and
// discarding whatever it sends), failing after limit.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) (time.Duration, string) {
	t.Helper()
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(limit))
	data, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v (got %q)", limit, data)
	}
	return time.Since(start), string(data)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

const slowHead = "POST /api/v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"

func TestUnauthorizedSlowBodyIsClosedAtOnce(t *testing.T) {
	// Long read timeouts: only the 401 can close the connection in time.
	addr := serve(t, Limits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second, MaxHeaderBytes: 8 << 10})
	var conns []net.Conn
	for range 20 {
		conn := dial(t, addr)
		if _, err := io.WriteString(conn, slowHead+"Authorization: Bearer wrong\r\n\r\n{\"appl"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	for _, conn := range conns {
		took, answer := closedWithin(t, conn, 3*time.Second)
		if !strings.HasPrefix(answer, "HTTP/1.1 401") || !strings.Contains(answer, "Connection: close") {
			t.Fatalf("answer after %v: %q", took, answer)
		}
	}
}

func TestSlowAuthorizedBodyAndSlowHeadersAreCut(t *testing.T) {
	addr := serve(t, Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond, WriteTimeout: 2 * time.Second, IdleTimeout: 400 * time.Millisecond, MaxHeaderBytes: 8 << 10})
	tests := []struct{ name, send string }{
		{"slow body", slowHead + "Authorization: Bearer tok\r\n\r\n{\"appl"},
		{"slow headers", "POST /api/v1/check HTTP/1.1\r\nHost: x\r\n"},
		{"idle", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := dial(t, addr)
			if _, err := io.WriteString(conn, tt.send); err != nil {
				t.Fatal(err)
			}
			if took, _ := closedWithin(t, conn, 5*time.Second); took > 3*time.Second {
				t.Fatalf("held for %v", took)
			}
		})
	}
	t.Run("idle keep-alive", func(t *testing.T) {
		conn := dial(t, addr)
		if _, err := io.WriteString(conn, "GET /api/v1/holds HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("holds: %v %v", resp, err)
		}
		resp.Body.Close()
		if took, _ := closedWithin(t, conn, 5*time.Second); took > 3*time.Second {
			t.Fatalf("idle connection held for %v", took)
		}
	})
	t.Run("huge headers", func(t *testing.T) {
		conn := dial(t, addr)
		_, _ = io.WriteString(conn, "GET /api/v1/holds HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 64<<10)+"\r\n\r\n")
		_, answer := closedWithin(t, conn, 5*time.Second)
		if !strings.HasPrefix(answer, "HTTP/1.1 431") {
			t.Fatalf("answer: %.80q", answer)
		}
	})
}

func TestHoldAnswersWithTheRealSince(t *testing.T) {
	be := &fakeBackend{}
	srv, _ := NewServer(be, "tok", nil)
	fixed := time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	srv.now = func() time.Time { return fixed }
	req := httptest.NewRequest("POST", "/api/v1/holds", strings.NewReader(`{"application":"web","image":"web"}`))
	req.Header.Set("Authorization", "Bearer tok")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var got holds.Hold
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusCreated {
		t.Fatalf("%d %s %v", rec.Code, rec.Body, err)
	}
	want := fixed.Truncate(time.Second)
	if !got.Since.Equal(want) || !be.set.Holds[0].Since.Equal(want) {
		t.Fatalf("since: answer %v, stored %v, want %v", got.Since, be.set.Holds[0].Since, want)
	}
}
