package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestLogOutputNotATerminal: logs to a buffer or a file are written as they
// are, and no cycle gets a progress line.
func TestLogOutputNotATerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var buf bytes.Buffer
	for _, tt := range []struct {
		name   string
		stderr interface{ Write([]byte) (int, error) }
		format string
	}{
		{"buffer", &buf, "text"},
		{"file", file, "text"},
		{"file json", file, "json"},
	} {
		out, prog := logOutput(tt.stderr, tt.format)
		if prog != nil {
			t.Errorf("%s: progress %v, want none", tt.name, prog)
		}
		if out != tt.stderr {
			t.Errorf("%s: logs go to %v, want stderr itself", tt.name, out)
		}
	}
}
