// Package cycle is the update cycle both modes run: collect targets and
// what is deployed (a Source), pin held images (the Source's holds.Pins),
// query each repository once and choose and plan (internal/updater over
// the cycle's registry view), apply grouped by destination (a Writer),
// and report (a Reporter, and one summary log line). Repo mode
// (internal/repomode) and the controller (internal/controller) differ only
// in what they plug in; the Result, its counts and the summary line are the
// same in both.
//
// Lock serialises the passes of one process (timer, webhooks, trigger API,
// hold changes), honouring each waiter's context.
package cycle
