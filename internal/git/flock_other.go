//go:build !unix

package git

import (
	"errors"
	"os"
)

// errNoFlock is returned where the platform has no flock(2): without a lock
// between processes, a shared working copy cannot be used safely.
var errNoFlock = errors.New("file locks between processes are not supported on this platform")

func tryFlock(*os.File) (bool, error) { return false, errNoFlock }

func flockWait(*os.File) error { return errNoFlock }

func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

func ownedByMe(os.FileInfo) bool { return false }
