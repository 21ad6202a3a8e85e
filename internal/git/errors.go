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
	// ErrClosed means the Repo was used after Close.
	ErrClosed = errors.New("repository handle closed")
)
