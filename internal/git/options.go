package git

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Option configures a Manager.
type Option func(*options) error

type options struct {
	cacheDir     string
	timeout      time.Duration
	logger       *slog.Logger
	author       Signature
	signing      *SigningConfig
	depth        int
	pushAttempts int
	backoff      time.Duration
	binary       string
	hook         func(Command)
	lockTimeout  time.Duration
}

// Default settings of a Manager.
const (
	DefaultCommandTimeout = 2 * time.Minute
	DefaultPushAttempts   = 5
	DefaultCloneDepth     = 1
	DefaultRetryBackoff   = 200 * time.Millisecond
	DefaultLockTimeout    = 2 * time.Minute
	DefaultAuthorName     = "imagepilot"
	DefaultAuthorEmail    = "imagepilot@noreply.invalid"
)

func defaultOptions() options {
	return options{
		cacheDir:     filepath.Join(os.TempDir(), "imagepilot-git"),
		timeout:      DefaultCommandTimeout,
		logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		author:       Signature{Name: DefaultAuthorName, Email: DefaultAuthorEmail},
		depth:        DefaultCloneDepth,
		pushAttempts: DefaultPushAttempts,
		backoff:      DefaultRetryBackoff,
		binary:       "git",
		lockTimeout:  DefaultLockTimeout,
	}
}

// WithCacheDir sets the directory holding the working copies.
func WithCacheDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("cache directory is empty")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("cache directory: %w", err)
		}
		o.cacheDir = abs
		return nil
	}
}

// WithCommandTimeout bounds the run time of every git command.
func WithCommandTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("command timeout %s is not positive", d)
		}
		o.timeout = d
		return nil
	}
}

// WithLogger sets the logger; commands are logged at debug level without
// arguments that could carry secrets.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("logger is nil")
		}
		o.logger = l
		return nil
	}
}

// WithAuthor sets the default author and committer of commits.
func WithAuthor(name, email string) Option {
	return func(o *options) error {
		if name == "" || email == "" {
			return errors.New("author name and email are required")
		}
		o.author = Signature{Name: name, Email: email}
		return nil
	}
}

// WithSigning sets the default commit signing configuration.
func WithSigning(s *SigningConfig) Option {
	return func(o *options) error {
		if s != nil {
			if err := s.validate(); err != nil {
				return err
			}
		}
		o.signing = s
		return nil
	}
}

// WithCloneDepth sets the depth of the first clone; 0 clones full history.
// Shallow copies are deepened on demand by ChangesSince.
func WithCloneDepth(depth int) Option {
	return func(o *options) error {
		if depth < 0 {
			return fmt.Errorf("clone depth %d is negative", depth)
		}
		o.depth = depth
		return nil
	}
}

// WithPushAttempts bounds how often CommitAndPush tries to push.
func WithPushAttempts(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("push attempts %d is below 1", n)
		}
		o.pushAttempts = n
		return nil
	}
}

// WithRetryBackoff sets the first wait after a rejected push; later waits
// double, with jitter.
func WithRetryBackoff(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("retry backoff %s is negative", d)
		}
		o.backoff = d
		return nil
	}
}

// WithGitBinary sets the git executable (default "git" from PATH).
func WithGitBinary(path string) Option {
	return func(o *options) error {
		if path == "" {
			return errors.New("git binary is empty")
		}
		o.binary = path
		return nil
	}
}

// WithCommandHook registers a function that sees every command before it
// runs. It is meant for tests and auditing.
func WithCommandHook(hook func(Command)) Option {
	return func(o *options) error {
		o.hook = hook
		return nil
	}
}

// WithLockTimeout bounds how long Open and Lease wait for a working copy
// that another cycle or process holds (default DefaultLockTimeout); then
// they fail with an error wrapping ErrBusy.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("lock timeout %s is not positive", d)
		}
		o.lockTimeout = d
		return nil
	}
}
