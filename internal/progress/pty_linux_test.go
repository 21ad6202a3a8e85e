package progress

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/test/infra/pty"
)

// TestForStderrOnATerminal: a real terminal gets the line with text logs,
// and none with JSON logs.
func TestForStderrOnATerminal(t *testing.T) {
	master, pts := pty.Open(t)
	if d := ForStderr(pts, "json"); d != nil {
		t.Error("a display with JSON logs")
	}
	d := ForStderr(pts, "text")
	if d == nil {
		t.Fatal("no display on a terminal")
	}
	d.Begin(2)
	d.End()
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 256)
		var out strings.Builder
		for !strings.Contains(out.String(), "checking images 0/2") {
			n, err := master.Read(buf)
			out.Write(buf[:n])
			if err == io.EOF || err != nil {
				break
			}
		}
		got <- out.String()
	}()
	select {
	case s := <-got:
		if !strings.Contains(s, "\r\x1b[Kchecking images 0/2") {
			t.Errorf("terminal got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing drawn on the terminal")
	}
}
