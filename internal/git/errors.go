package git

import "errors"

var (
	// ErrBranchNotFound means the remote has no such branch.
	ErrBranchNotFound = errors.New("branch not found on remote")
	// ErrPushRejected means every push attempt was rejected because the
	// remote branch kept moving.
	ErrPushRejected = errors.New("push rejected")
	// ErrInvalidArgument means a branch, revision, path or URL was refused
	// before running git.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrBusy means a working copy stayed in use by another cycle or
	// process for the whole lock timeout (see BusyError).
	ErrBusy = errors.New("working copy busy")
	// ErrPushNotConfirmed means git reported a push as done but the remote
	// branch does not contain the pushed commit (a hook or proxy dropped
	// it): the change did not reach the remote.
	ErrPushNotConfirmed = errors.New("push not confirmed by the remote")
	// ErrClosed means the Repo was used after Close.
	ErrClosed = errors.New("repository handle closed")
)
