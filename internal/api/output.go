package api

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// OutputSchema is the apiVersion of every structured (-o json|yaml)
// output of the command line (documented in docs/configuration.md,
// "Structured output").
const OutputSchema = "imagepilot.io/v1"

// TriggerOutput is `trigger -o json|yaml`: the trigger API's answer.
type TriggerOutput struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	CheckResult
}

// HoldsOutput is `holds -o json|yaml`.
type HoldsOutput struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Holds      []holds.Hold `json:"holds"`
}

// Output is res as `trigger -o json|yaml` prints it.
func (res CheckResult) Output() TriggerOutput {
	return TriggerOutput{APIVersion: OutputSchema, Kind: "TriggerResult", CheckResult: res}
}

// HoldList is set as `holds -o json|yaml` prints it: an empty list, never
// null, when nothing is held.
func HoldList(set holds.Set) HoldsOutput {
	list := set.Holds
	if list == nil {
		list = []holds.Hold{}
	}
	return HoldsOutput{APIVersion: OutputSchema, Kind: "HoldList", Holds: list}
}

// Failed reports whether the check had errors: an image that could not be
// decided or written, or a configuration problem.
func (res CheckResult) Failed() bool {
	for _, d := range res.Decisions {
		if d.Action == string(updater.ActionError) {
			return true
		}
	}
	return len(res.Problems) > 0
}

// WriteText prints res for people: problems, one line per decision, the
// commits (or why they failed), and a line saying so when nothing matched.
func (res CheckResult) WriteText(w io.Writer) {
	for _, p := range res.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	for _, d := range res.Decisions {
		fmt.Fprintf(w, "%-6s %s %s: %s\n", d.Action, d.Application, d.Image, d.Reason)
	}
	for _, c := range res.Commits {
		if c.Error != "" {
			fmt.Fprintf(w, "%s (%s): FAILED: %s\n", c.Repository, c.Branch, c.Error)
		} else if c.Commit != "" {
			fmt.Fprintf(w, "%s (%s): committed %s\n", c.Repository, c.Branch, ShortCommit(c.Commit))
		}
	}
	if len(res.Decisions) == 0 {
		fmt.Fprintln(w, "no managed image matched")
	}
}

// WriteHoldsTable prints set as a table, one held image a line ("-" for
// an empty version or holder).
func WriteHoldsTable(w io.Writer, set holds.Set) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APPLICATION\tIMAGE\tVERSION\tBY\tSINCE\tREASON")
	for _, h := range set.Holds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Application, h.Image, orDash(h.Version), orDash(h.By), h.Since.Format(time.RFC3339), h.Reason)
	}
	return tw.Flush()
}

// ShortCommit abbreviates a commit hash to 12 characters for display.
func ShortCommit(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
