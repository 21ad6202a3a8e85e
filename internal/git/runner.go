package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Command describes one git invocation as the package builds it. The command
// hook (WithCommandHook) receives it before the process starts, so tests can
// assert that no credential reaches process arguments or the environment.
type Command struct {
	// Dir is the working directory.
	Dir string
	// Args are the arguments after the git binary.
	Args []string
	// Env is the environment entries the package adds to the inherited one.
	// Entries that carry a secret (the askpass credentials, which reach the
	// git process through its environment only) appear as NAME=***.
	Env []string
}

// CommandError is a failed git command. Its fields are already redacted.
type CommandError struct {
	// Subcommand is the git subcommand, such as "fetch".
	Subcommand string
	// ExitCode is the process exit code, or -1 when it did not exit normally.
	ExitCode int
	// Stderr is git's standard error, trimmed and redacted.
	Stderr string
	// Err is the underlying error (exit status, timeout, context cancellation).
	Err error
}

// Error implements error.
func (e *CommandError) Error() string {
	msg := fmt.Sprintf("git %s: %v", e.Subcommand, e.Err)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *CommandError) Unwrap() error { return e.Err }

// maxStderr bounds the standard error kept in a CommandError.
const maxStderr = 4096

// runner executes git commands with a timeout, an isolated configuration and
// optional credential sessions.
type runner struct {
	binary  string
	timeout time.Duration
	logger  *slog.Logger
	hook    func(Command)
	count   func()
}

// invocation is one git command to run.
type invocation struct {
	dir  string
	args []string
	env  []string
	// secretEnv is added to the child's environment but never shown to the
	// hook or logged.
	secretEnv []string
	stdin     io.Reader
	secrets   []string
}

// baseEnv returns the inherited environment without variables that change
// git's behaviour, plus the settings every command gets.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GIT_") || strings.HasPrefix(name, "IMAGEPILOT_ASKPASS_") || strings.HasPrefix(name, "LC_") ||
			name == "LANG" || name == "LANGUAGE" || name == "SSH_ASKPASS" || name == "GNUPGHOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, fixedEnv()...)
}

// fixedEnv isolates git from system and user configuration and prompts.
func fixedEnv() []string {
	return []string{
		"GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_ALLOW_PROTOCOL=file:git:http:https:ssh",
		"GIT_OPTIONAL_LOCKS=0",
		"LC_ALL=C",
		"SSH_ASKPASS=",
	}
}

// run executes inv and returns its standard output.
func (r *runner) run(ctx context.Context, inv invocation) ([]byte, error) {
	if r.hook != nil {
		r.hook(Command{Dir: inv.dir, Args: append([]string(nil), inv.args...), Env: hookEnv(inv)})
	}
	if r.count != nil {
		r.count()
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.binary, inv.args...)
	cmd.Dir = inv.dir
	cmd.Env = append(append(baseEnv(), inv.env...), inv.secretEnv...)
	cmd.Stdin = inv.stdin
	configureProcess(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	sub := subcommand(inv.args)
	r.logger.LogAttrs(ctx, slog.LevelDebug, "git command",
		slog.String("subcommand", sub), slog.String("dir", inv.dir),
		slog.Duration("duration", time.Since(start)), slog.Bool("ok", err == nil))
	if err != nil {
		return stdout.Bytes(), r.commandError(ctx, sub, err, stderr.String(), inv.secrets)
	}
	return stdout.Bytes(), nil
}

func (r *runner) commandError(ctx context.Context, sub string, err error, stderr string, secrets []string) error {
	code := -1
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		err = fmt.Errorf("%w (after %s)", ctxErr, r.timeout)
	}
	stderr = strings.TrimSpace(stderr)
	if len(stderr) > maxStderr {
		stderr = stderr[len(stderr)-maxStderr:]
	}
	return &CommandError{Subcommand: sub, ExitCode: code, Stderr: Redact(stderr, secrets...), Err: err}
}

// hookEnv is the added environment as the command hook sees it: secret
// values replaced.
func hookEnv(inv invocation) []string {
	env := append([]string(nil), inv.env...)
	for _, kv := range inv.secretEnv {
		name, _, _ := strings.Cut(kv, "=")
		env = append(env, name+"="+redacted)
	}
	return env
}

// subcommand returns the first argument that is not a global option.
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-c" || args[i] == "-C":
			i++
		case strings.HasPrefix(args[i], "-"):
		default:
			return args[i]
		}
	}
	return ""
}
