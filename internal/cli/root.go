package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes shared by the commands.
const (
	ExitOK          = 0
	ExitNotFound    = 1 // nothing eligible
	ExitUsage       = 2 // usage or configuration error
	ExitRegistry    = 3 // registry error
	ExitFailedCycle = 4 // an update cycle had errors
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// Execute runs the command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	return exitCode(root.ExecuteContext(ctx), stderr)
}

// exitCode prints err to stderr (unless its message was printed already)
// and returns the exit code it carries; an error without one is a usage
// error.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != errSilent {
			fmt.Fprintln(stderr, "imagepilot:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "imagepilot:", err)
	return ExitUsage
}

// errSilent marks an exit code whose message was already printed.
var errSilent = errors.New("silent")

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "imagepilot",
		Short:         "Keep GitOps deployments on the newest container images",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return withCode(ExitUsage, fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath()))
	})
	root.AddCommand(
		newVersionCmd(),
		newCheckCmd(),
		newDemoCmd(),
		newPlanCmd(),
		newRunCmd(),
		newWebhookCmd(),
		newTriggerCmd(),
		newHoldCmd(),
		newReleaseCmd(),
		newHoldsCmd(),
		newTemplateCmd(),
	)
	registerCompletions(root)
	return root
}
