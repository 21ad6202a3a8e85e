package credentials

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

const (
	// maxScriptOutput caps how much of a script's stdout and stderr is kept.
	maxScriptOutput = 64 << 10
	// maxStderrInError caps the stderr quoted in an error.
	maxStderrInError = 1 << 10
	// scriptWaitDelay bounds the wait for pipes a killed script's children
	// still hold open.
	scriptWaitDelay = time.Second
)

// extSource runs an executable that prints "user:password".
type extSource struct {
	path    string
	timeout time.Duration
}

// String names the reference.
func (s *extSource) String() string { return KindExt + ":" + s.path }

// Resolve runs the script, without a shell and without arguments, in the
// process's environment, in a process group of its own: on timeout the
// whole group is killed, children included.
func (s *extSource) Resolve(ctx context.Context) (authn.AuthConfig, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	stdout := &cappedBuffer{limit: maxScriptOutput}
	stderr := &cappedBuffer{limit: maxScriptOutput}
	cmd := exec.CommandContext(ctx, s.path)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = scriptWaitDelay
	ownProcessGroup(cmd)
	if err := cmd.Run(); err != nil {
		return authn.AuthConfig{}, s.runError(ctx, err, stderr.String())
	}
	line, _, _ := strings.Cut(stdout.String(), "\n")
	return SplitUserPassword(strings.TrimRight(line, "\r"), "credentials "+s.String()+" output")
}

func (s *extSource) runError(ctx context.Context, err error, stderr string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %s: %w", s.timeout, context.DeadlineExceeded)
	}
	if quoted := quoteStderr(stderr); quoted != "" {
		return fmt.Errorf("credentials %s: running script: %w; stderr: %s", s, err, quoted)
	}
	return fmt.Errorf("credentials %s: running script: %w", s, err)
}

func quoteStderr(stderr string) string {
	stderr = strings.TrimSpace(stderr)
	if len(stderr) > maxStderrInError {
		stderr = stderr[:maxStderrInError] + "..."
	}
	if stderr == "" {
		return ""
	}
	return fmt.Sprintf("%q", stderr)
}

// cappedBuffer keeps the first limit bytes written and discards the rest,
// so a runaway script cannot exhaust memory.
type cappedBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string { return b.buf.String() }
