package git

import "syscall"

// setParentDeathSignal makes the kernel kill git when imagepilot dies
// (even by kill -9), so that no orphaned git keeps writing in a working
// copy the next process already locked. The forking goroutine is never
// locked to its thread, so the thread outlives the child.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
