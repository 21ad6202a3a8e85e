package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// maxRecentUpdates bounds status.recentUpdates.
const maxRecentUpdates = 20

// maxMessage bounds condition messages.
const maxMessage = 4000

// applyStatus writes what one reconcile did (rep) into iu's status, as
// of now: the pass's counts and conditions, Stalled for a configuration
// error of the ImageUpdater itself, Ready=False for a pass that could not
// run. It only edits iu; the outer reconcile patches the difference.
func (e *Engine) applyStatus(iu *v1alpha1.ImageUpdater, rep passReport, now metav1.Time) {
	st := &iu.Status
	st.ObservedGeneration = iu.Generation
	st.LastCheckedAt = &now
	switch {
	case rep.stalled != nil:
		st.ApplicationsMatched = int32(rep.out.Applications)
		st.ImagesManaged = 0
		setStalledConditions(st, iu.Generation, rep.stalled)
	case !rep.ran:
		apimeta.RemoveStatusCondition(&st.Conditions, v1alpha1.ConditionStalled)
		setFailedConditions(st, iu.Generation, rep.failed)
	default:
		apimeta.RemoveStatusCondition(&st.Conditions, v1alpha1.ConditionStalled)
		st.ApplicationsMatched = int32(rep.out.Applications)
		st.ImagesManaged = int32(rep.images)
		if recent := recentUpdates(rep.out, now); len(recent) > 0 && !e.DryRun {
			st.LastUpdatedAt = &now
			st.RecentUpdates = append(recent, st.RecentUpdates...)
			if len(st.RecentUpdates) > maxRecentUpdates {
				st.RecentUpdates = st.RecentUpdates[:maxRecentUpdates]
			}
		}
		setConditions(st, iu.Generation, rep.out)
	}
}

// statusFieldOwner names the controller in the status's managedFields.
const statusFieldOwner = client.FieldOwner("imagepilot-controller")

// patchStatusFrom sends the status difference between orig and iu as one
// merge patch, and nothing when there is none. It reports whether it
// patched.
func (e *Engine) patchStatusFrom(ctx context.Context, orig, iu *v1alpha1.ImageUpdater) (bool, error) {
	patch := client.MergeFrom(orig)
	data, err := patch.Data(iu)
	if err != nil {
		return false, fmt.Errorf("computing status patch of %s: %w", key(iu.Namespace, iu.Name), err)
	}
	if string(data) == "{}" {
		return false, nil
	}
	if err := e.Client.Status().Patch(ctx, iu, patch, statusFieldOwner); err != nil {
		return false, fmt.Errorf("patching status of %s: %w", key(iu.Namespace, iu.Name), err)
	}
	return true, nil
}

// recentUpdates groups the written updates by alias, image and version.
func recentUpdates(o Outcome, now metav1.Time) []v1alpha1.RecentUpdate {
	failed := o.FailedApps()
	// Pull request writes: an application whose request was already open,
	// or whose base already had the change, was not written this pass; one
	// whose request was opened carries its URL.
	prs := map[target.AppRef]*writeback.PullRequestResult{}
	for _, g := range o.Git {
		if g.Err == nil && g.PullRequest != nil {
			for _, d := range g.Applied {
				prs[d.Target.App] = g.PullRequest
			}
		}
	}
	index := map[string]int{}
	var out []v1alpha1.RecentUpdate
	for _, d := range o.Decisions {
		if d.Action != updater.ActionUpdate || failed[d.Target.App] {
			continue
		}
		pr := prs[d.Target.App]
		if pr != nil && pr.State != writeback.PRStateOpened {
			continue
		}
		msg := d.Reason
		if pr != nil {
			msg = strings.TrimSpace("pull request " + pr.URL + " opened. " + d.Reason)
		}
		k := d.Target.Image.Alias + "\x00" + d.Target.Image.Name + "\x00" + d.NewValue()
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, v1alpha1.RecentUpdate{Alias: d.Target.Image.Alias, Image: d.Target.Image.Name, NewVersion: d.NewValue(), UpdatedAt: now, Message: msg})
		}
		out[i].ApplicationsUpdated++
	}
	return out
}

// setConditions sets Ready, Reconciling and Error from the outcome of a
// pass that ran, with upstream v1.3's types and reasons; the messages carry
// the detail.
func setConditions(st *v1alpha1.ImageUpdaterStatus, gen int64, o Outcome) {
	set := conditionSetter(st, gen)
	set(v1alpha1.ConditionReconciling, metav1.ConditionFalse, v1alpha1.ReasonIdle, "Last check completed. Awaiting next cycle.")
	updated, skipped, errored := o.Counts()
	summary := fmt.Sprintf("Reconciled %d applications, %d images updated (%d images checked, %d skipped, %d in error).",
		o.Applications, updated, len(o.Decisions), skipped, errored)
	if o.Applications == 0 {
		summary += " No Application matches spec.applicationRefs."
	}
	summary += unverifiedSummary(o)
	setVerifiedCondition(st, gen, o)
	msgs := errorMessages(o)
	if len(msgs) == 0 {
		set(v1alpha1.ConditionError, metav1.ConditionFalse, v1alpha1.ReasonNoErrors, "No errors during last reconciliation.")
		set(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconcileSucceeded, summary)
		return
	}
	set(v1alpha1.ConditionError, metav1.ConditionTrue, v1alpha1.ReasonPartialErrors,
		fmt.Sprintf("%d error(s) occurred during image update checks: %s", len(msgs), strings.Join(msgs, "; ")))
	set(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconcileCompletedWithErrors, summary)
}

// setFailedConditions records a pass that could not run.
func setFailedConditions(st *v1alpha1.ImageUpdaterStatus, gen int64, err error) {
	set := conditionSetter(st, gen)
	set(v1alpha1.ConditionReconciling, metav1.ConditionFalse, v1alpha1.ReasonIdle, "Last check completed. Awaiting next cycle.")
	set(v1alpha1.ConditionError, metav1.ConditionTrue, v1alpha1.ReasonReconcileError, err.Error())
	set(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonReconcileFailed, "Reconciliation failed: "+err.Error())
}

// setStalledConditions records a configuration error of the ImageUpdater
// itself: no pass runs until its spec changes.
func setStalledConditions(st *v1alpha1.ImageUpdaterStatus, gen int64, err error) {
	set := conditionSetter(st, gen)
	msg := "Invalid configuration, not retried until the spec changes: " + err.Error()
	set(v1alpha1.ConditionReconciling, metav1.ConditionFalse, v1alpha1.ReasonIdle, "Last check completed. Awaiting a change of the spec.")
	set(v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, msg)
	set(v1alpha1.ConditionError, metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, msg)
	set(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonInvalidConfiguration, msg)
}

func conditionSetter(st *v1alpha1.ImageUpdaterStatus, gen int64) func(t string, s metav1.ConditionStatus, reason, msg string) {
	return func(t string, s metav1.ConditionStatus, reason, msg string) {
		if len(msg) > maxMessage {
			msg = strings.ToValidUTF8(msg[:maxMessage], "") + "..."
		}
		apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: gen})
	}
}

// errorMessages lists every error of the outcome, each prefixed with its
// kind (configuration, conflict, image, write-back): configuration
// problems in their order, the rest sorted.
func errorMessages(o Outcome) []string {
	var msgs []string
	for _, p := range o.Problems {
		msgs = append(msgs, "configuration: "+p.Error())
	}
	var rest []string
	for _, c := range o.Conflicts {
		rest = append(rest, "conflict: "+c)
	}
	for _, d := range o.Decisions {
		if d.Action == updater.ActionError {
			rest = append(rest, fmt.Sprintf("image: application %s image %s: %s", d.Target.App, d.Target.Image.Key(), d.Reason))
		}
	}
	for _, r := range o.ArgoCD {
		if r.Err != nil {
			rest = append(rest, "write-back: "+r.Err.Error())
		}
	}
	for _, g := range o.Git {
		if g.Err != nil {
			rest = append(rest, fmt.Sprintf("write-back: git %s branch %s: %v", g.RepoURL, g.Branch, g.Err))
		}
	}
	sort.Strings(rest)
	return append(msgs, rest...)
}
