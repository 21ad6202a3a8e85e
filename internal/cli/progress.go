package cli

import (
	"io"

	"github.com/imagepilot/imagepilot/internal/progress"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// logOutput returns where the logs go and the cycles' progress line: on a
// terminal with text logs, the line is drawn on stderr and the logs are
// written through it (each log line clears it first); otherwise the logs go
// to stderr as they are and there is no line (progress is nil).
func logOutput(stderr io.Writer, logFormat string) (io.Writer, updater.Progress) {
	d := progress.ForStderr(stderr, logFormat)
	if d == nil {
		return stderr, nil
	}
	return d.Logs(), d
}
