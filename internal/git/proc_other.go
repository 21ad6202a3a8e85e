//go:build !unix

package git

import (
	"os/exec"
	"time"
)

// configureProcess bounds the wait for output after cancellation.
func configureProcess(cmd *exec.Cmd) {
	cmd.WaitDelay = 5 * time.Second
}
