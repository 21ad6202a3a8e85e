//go:build unix && !linux

package git

import "syscall"

// setParentDeathSignal has no equivalent outside Linux.
func setParentDeathSignal(*syscall.SysProcAttr) {}
