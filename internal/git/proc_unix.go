//go:build unix

package git

import (
	"os/exec"
	"syscall"
	"time"
)

// configureProcess runs git in its own process group so that a timeout also
// ends its helpers (ssh, git-remote-https), and (on Linux) kills it when
// imagepilot dies.
func configureProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(cmd.SysProcAttr)
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
}
