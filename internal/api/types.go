package api

import (
	"context"

	"github.com/imagepilot/imagepilot/internal/holds"
)

// CheckRequest selects what to check; empty fields match everything.
type CheckRequest struct {
	Application string `json:"application,omitempty"`
	Image       string `json:"image,omitempty"`
}

// Decision is one image's outcome.
type Decision struct {
	Application string `json:"application"`
	Image       string `json:"image"`
	Action      string `json:"action"`
	From        string `json:"from,omitempty"`
	To          string `json:"to,omitempty"`
	Reason      string `json:"reason"`
}

// Commit is one write-back commit.
type Commit struct {
	Repository string `json:"repository"`
	Branch     string `json:"branch"`
	Commit     string `json:"commit,omitempty"`
	Error      string `json:"error,omitempty"`
}

// CheckResult is the outcome of a check.
type CheckResult struct {
	Decisions []Decision `json:"decisions"`
	Commits   []Commit   `json:"commits,omitempty"`
	Problems  []string   `json:"problems,omitempty"`
}

// Backend does the work behind the API (repo mode or the controller).
type Backend interface {
	Check(ctx context.Context, req CheckRequest) (CheckResult, error)
	Holds(ctx context.Context) (holds.Set, error)
	Hold(ctx context.Context, h holds.Hold) error
	Release(ctx context.Context, application, image string) error
}

// errorBody is the JSON body of an error answer.
type errorBody struct {
	Error string `json:"error"`
}
