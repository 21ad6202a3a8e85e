package updater

import (
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
)

// Item is a target together with what is deployed now.
type Item struct {
	Target  target.Target
	Current Current
}

// Current is the deployed state of one target's image.
type Current struct {
	// Tag is the tag deployed now; empty when unknown.
	Tag string
	// Digest is the deployed digest, when known.
	Digest string
	// Live reports whether the application runs the image now.
	Live bool
	// Hold, when set, keeps the image where it is.
	Hold *Hold
}

// Hold keeps an image at its current version.
type Hold struct {
	// Reason tells the user why (a rollback, a pin).
	Reason string
	// Pinned holds forever, until released by the user.
	Pinned bool
	// Until is the tag (or digest) the user rolled back from: the hold ends
	// when a candidate ranks above it.
	Until string
}

// Action is what a decision does.
type Action string

// Actions.
const (
	ActionUpdate Action = "update"
	ActionSkip   Action = "skip"
	ActionError  Action = "error"
)

// Decision is the planner's verdict for one item.
type Decision struct {
	Item
	// Action is update, skip or error.
	Action Action
	// NewTag and NewDigest are the chosen version (set for updates and,
	// when a tag was chosen, for skips).
	NewTag, NewDigest string
	// Reason explains the action in words for logs, plan output and status.
	Reason string
	// Held tells a skip caused by a hold (a pin or a rollback).
	Held bool
	// Verdicts explain every listed tag (for verbose output).
	Verdicts []policy.Verdict
	// Err is the cause of an error action.
	Err error
	// NewLabels tells the new image's OCI labels on demand (set for
	// updates; nil otherwise).
	NewLabels LabelSource
}

// NewValue is the tag value to write: tag, or tag@digest when the strategy
// follows digests.
func (d Decision) NewValue() string {
	if d.NewDigest != "" && d.Target.Policy.Strategy == policy.StrategyDigest {
		return d.NewTag + "@" + d.NewDigest
	}
	return d.NewTag
}
