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
	"github.com/imagepilot/imagepilot/internal/updater"
)

// maxRecentUpdates bounds status.recentUpdates.
const maxRecentUpdates = 20

// maxMessage bounds condition messages.
const maxMessage = 4000

// patchStatus writes the pass's outcome into the ImageUpdater's status.
func (e *Engine) patchStatus(ctx context.Context, iu *v1alpha1.ImageUpdater, o Outcome, images int) error {
	orig := iu.DeepCopy()
	now := metav1.NewTime(e.Now())
	st := &iu.Status
	st.ObservedGeneration = iu.Generation
	st.LastCheckedAt = &now
	st.ApplicationsMatched = int32(o.Applications)
	st.ImagesManaged = int32(images)
	if recent := recentUpdates(o, now); len(recent) > 0 && !e.DryRun {
		st.LastUpdatedAt = &now
		st.RecentUpdates = append(recent, st.RecentUpdates...)
		if len(st.RecentUpdates) > maxRecentUpdates {
			st.RecentUpdates = st.RecentUpdates[:maxRecentUpdates]
		}
	}
	setConditions(st, iu.Generation, o)
	if err := e.Client.Status().Patch(ctx, iu, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("patching status of %s: %w", key(iu.Namespace, iu.Name), err)
	}
	return nil
}

// recentUpdates groups the written updates by alias, image and version.
func recentUpdates(o Outcome, now metav1.Time) []v1alpha1.RecentUpdate {
	failed := o.failedApps()
	index := map[string]int{}
	var out []v1alpha1.RecentUpdate
	for _, d := range o.Decisions {
		if d.Action != updater.ActionUpdate || failed[d.Target.App.String()] {
			continue
		}
		k := d.Target.Image.Alias + "\x00" + d.Target.Image.Name + "\x00" + d.NewValue()
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, v1alpha1.RecentUpdate{Alias: d.Target.Image.Alias, Image: d.Target.Image.Name, NewVersion: d.NewValue(), UpdatedAt: now, Message: d.Reason})
		}
		out[i].ApplicationsUpdated++
	}
	return out
}

// setConditions sets Ready, Reconciling and Error from the outcome.
func setConditions(st *v1alpha1.ImageUpdaterStatus, gen int64, o Outcome) {
	set := func(t string, s metav1.ConditionStatus, reason, msg string) {
		if len(msg) > maxMessage {
			msg = msg[:maxMessage] + "..."
		}
		apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: gen})
	}
	set(v1alpha1.ConditionReconciling, metav1.ConditionFalse, v1alpha1.ReasonReconciled, "the last pass completed")
	reason, msgs := errorReason(o)
	switch {
	case reason != "":
		set(v1alpha1.ConditionError, metav1.ConditionTrue, reason, strings.Join(msgs, "; "))
	default:
		set(v1alpha1.ConditionError, metav1.ConditionFalse, v1alpha1.ReasonReconciled, "no errors")
	}
	updated, skipped, errored := o.Counts()
	switch {
	case o.Applications == 0:
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNoApplicationsMatched, "no Application matches spec.applicationRefs")
	case reason == v1alpha1.ReasonInvalidSpec && len(o.Decisions) == 0:
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, reason, "no image could be configured")
	default:
		set(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled,
			fmt.Sprintf("%d application(s), %d image(s): %d updated, %d skipped, %d in error", o.Applications, len(o.Decisions), updated, skipped, errored))
	}
}

// errorReason picks the condition reason for the outcome's errors (the
// first kind found in order: spec, conflict, registry, write-back) and
// lists every error message.
func errorReason(o Outcome) (string, []string) {
	var reason string
	var msgs []string
	note := func(r, msg string) {
		if reason == "" {
			reason = r
		}
		msgs = append(msgs, msg)
	}
	for _, p := range o.Problems {
		note(v1alpha1.ReasonInvalidSpec, p.Error())
	}
	for _, c := range o.Conflicts {
		note(v1alpha1.ReasonApplicationConflict, c)
	}
	for _, d := range o.Decisions {
		if d.Action == updater.ActionError {
			note(v1alpha1.ReasonRegistryError, fmt.Sprintf("application %s image %s: %s", d.Target.App, d.Target.Image.Key(), d.Reason))
		}
	}
	for _, r := range o.ArgoCD {
		if r.Err != nil {
			note(v1alpha1.ReasonWriteBackFailed, r.Err.Error())
		}
	}
	for _, g := range o.Git {
		if g.Err != nil {
			note(v1alpha1.ReasonWriteBackFailed, fmt.Sprintf("git %s branch %s: %v", g.RepoURL, g.Branch, g.Err))
		}
	}
	sort.Strings(msgs[min(len(msgs), len(o.Problems)):]) // stable order for the rest
	return reason, msgs
}
