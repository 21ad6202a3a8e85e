package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the line is drawn on the pts side
// and read from the master.
func openPTY(t *testing.T) (master, pts *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestForStderrOnATerminal: a real terminal gets the line with text logs,
// and none with JSON logs.
func TestForStderrOnATerminal(t *testing.T) {
	master, pts := openPTY(t)
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
