package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/cycle"
)

// Reasons of the Warning Events recorded on an ImageUpdater, each only when
// the condition that reports it changes (not every pass).
const (
	// WarningWriteBackFailed: writing an update back (Application patch,
	// git push, pull request) failed; the Error condition lists it.
	WarningWriteBackFailed = "WriteBackFailed"
	// WarningRegistryQueryFailed: an image could not be checked (registry
	// or planning error); the Error condition lists it.
	WarningRegistryQueryFailed = "RegistryQueryFailed"
	// WarningStalled (reason InvalidConfiguration): the ImageUpdater's own
	// configuration keeps it from running; see the Stalled condition.
	WarningStalled = v1alpha1.ReasonInvalidConfiguration
)

// passReport is what the inner reconcile did, from which the outer one
// computes the status.
type passReport struct {
	// ran tells that a pass ran: out and images describe it.
	ran    bool
	out    Outcome
	images int
	// stalled is the configuration error that kept the pass from running
	// (out.Applications counts the applications selected).
	stalled error
	// failed is the transient error that kept the pass from running.
	failed error
}

// ReconcileImageUpdater reconciles one ImageUpdater already read from the
// cluster (the manager's Reconcile and RunOnce both come here): the outer
// reconcile around the inner one, with one status patch. The error reports
// what kept the pass from running or the status from being written (a
// reconcile.TerminalError when the ImageUpdater's own configuration is
// invalid); image-level failures are in the Outcome and status.
func (e *Engine) ReconcileImageUpdater(ctx context.Context, iu *v1alpha1.ImageUpdater) (Outcome, error) {
	out, _, err := e.reconcileObject(ctx, iu)
	return out, err
}

// reconcileRequest is the manager's outer reconcile: it reads the
// ImageUpdater (gone: its metrics are forgotten) and reconciles it.
func (e *Engine) reconcileRequest(ctx context.Context, nn types.NamespacedName) (reconcile.Result, error) {
	e.init()
	var iu v1alpha1.ImageUpdater
	if err := e.Client.Get(ctx, nn, &iu); err != nil {
		if apierrors.IsNotFound(err) {
			if e.Metrics != nil {
				e.Metrics.ForgetImageUpdater(nn.Name, nn.Namespace)
			}
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("reading %s: %w", nn, err)
	}
	_, res, err := e.reconcileObject(ctx, &iu)
	return res, err
}

// reconcileObject keeps a copy of iu, runs the inner reconcile and, when
// it returns, writes the status computed from what it did as one merge
// patch (none when nothing changed), then records the Events of the
// conditions that changed. An object being deleted, or stalled on the
// generation it has, is left alone.
func (e *Engine) reconcileObject(ctx context.Context, iu *v1alpha1.ImageUpdater) (out Outcome, res reconcile.Result, retErr error) {
	e.init()
	if !iu.DeletionTimestamp.IsZero() || stalledAt(iu) {
		return Outcome{}, reconcile.Result{}, nil
	}
	e.passMu.Lock()
	defer e.passMu.Unlock()
	orig := iu.DeepCopy()
	var rep passReport
	defer func() {
		e.applyStatus(iu, rep, metav1.NewTime(e.Now()))
		patched, err := e.patchStatusFrom(ctx, orig, iu)
		if err != nil {
			// A transient error: retry (with backoff), even when the pass
			// itself stalled, so the Stalled condition gets written.
			retErr = errors.Join(unwrapTerminal(retErr), err)
			res = reconcile.Result{}
			return
		}
		if patched {
			e.warnTransitions(ctx, orig, iu, rep)
		}
	}()
	rep, retErr = e.reconcileInner(ctx, iu)
	if retErr != nil {
		return rep.out, reconcile.Result{}, retErr
	}
	return rep.out, reconcile.Result{RequeueAfter: e.cycles.interval}, nil
}

// reconcileInner selects the ImageUpdater's applications and runs one pass
// over them. A configuration error of the ImageUpdater itself returns a
// reconcile.TerminalError; one that may go away (listing, reading a key
// Secret) returns the error so that controller-runtime backs off.
// Image-level failures stay in the Outcome.
func (e *Engine) reconcileInner(ctx context.Context, iu *v1alpha1.ImageUpdater) (passReport, error) {
	name := key(iu.Namespace, iu.Name)
	sel, err := e.selectImageUpdater(ctx, iu)
	if err != nil {
		return passReport{failed: err}, err
	}
	if sel.stalled != nil {
		e.Logger.ErrorContext(ctx, "invalid configuration, not retried until the spec changes", "imageupdater", name, "error", sel.stalled)
		e.warnBlocked(ctx, iu, sel)
		out := Outcome{Result: cycle.Result{Applications: sel.matched}}
		e.recordMetrics(iu, out, 0)
		return passReport{out: out, stalled: sel.stalled}, reconcile.TerminalError(sel.stalled)
	}
	out := e.pass(ctx, sel, func(ctx context.Context, res cycle.Result) {
		for _, p := range res.Problems {
			e.Logger.ErrorContext(ctx, "configuration problem", "imageupdater", name, "error", p)
		}
		e.warnBlocked(ctx, iu, sel)
		e.recordMetrics(iu, Outcome{Result: res, Conflicts: sel.conflicts}, len(sel.targets))
	}, "imageupdater", name)
	out.Conflicts = sel.conflicts
	rep := passReport{ran: true, out: out, images: len(sel.targets)}
	if sel.transient != nil {
		return rep, sel.transient
	}
	return rep, nil
}

// stalledAt reports whether iu is Stalled on its current generation: it
// is not reconciled again until its spec changes.
func stalledAt(iu *v1alpha1.ImageUpdater) bool {
	c := apimeta.FindStatusCondition(iu.Status.Conditions, v1alpha1.ConditionStalled)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == iu.Generation
}

// isTerminal reports whether err is (or joins) a reconcile.TerminalError.
func isTerminal(err error) bool {
	return errors.Is(err, reconcile.TerminalError(nil))
}

// unwrapTerminal returns err without its terminal mark: the error a
// TerminalError wraps, or, for errors joining one, their text alone (so
// that a failed status patch joined to it is retried).
func unwrapTerminal(err error) error {
	if !isTerminal(err) {
		return err
	}
	if u := errors.Unwrap(err); u != nil && !isTerminal(u) {
		return u
	}
	return errors.New(err.Error())
}

// warnTransitions records a Warning Event on the ImageUpdater for each
// problem whose condition changed between orig and iu: it became Stalled
// (or stalled on another error), or the Error condition now lists
// write-back or registry failures it did not list before.
func (e *Engine) warnTransitions(ctx context.Context, orig, iu *v1alpha1.ImageUpdater, rep passReport) {
	for _, w := range transitionWarnings(orig.Status.Conditions, iu.Status.Conditions, rep) {
		e.Logger.WarnContext(ctx, "imageupdater warning: "+w.reason, "imageupdater", key(iu.Namespace, iu.Name), "message", w.message)
		if e.UpdaterWarnings != nil {
			e.UpdaterWarnings(iu, w.reason, w.message)
		}
	}
}

// warning is one Warning Event to record.
type warning struct{ reason, message string }

// transitionWarnings returns the Warning Events due when the conditions go
// from before to after for the pass rep describes.
func transitionWarnings(before, after []metav1.Condition, rep passReport) []warning {
	if rep.stalled != nil {
		now := apimeta.FindStatusCondition(after, v1alpha1.ConditionStalled)
		was := apimeta.FindStatusCondition(before, v1alpha1.ConditionStalled)
		if now != nil && (was == nil || was.Status != now.Status || was.Message != now.Message) {
			return []warning{{WarningStalled, now.Message}}
		}
		return nil
	}
	if !rep.ran {
		return nil
	}
	now := apimeta.FindStatusCondition(after, v1alpha1.ConditionError)
	if now == nil || now.Status != metav1.ConditionTrue {
		return nil
	}
	prev := ""
	if was := apimeta.FindStatusCondition(before, v1alpha1.ConditionError); was != nil && was.Status == metav1.ConditionTrue {
		if was.Message == now.Message {
			return nil
		}
		prev = was.Message
	}
	writes, images := failureMessages(rep.out)
	var out []warning
	for _, k := range []struct {
		reason string
		msgs   []string
	}{{WarningWriteBackFailed, writes}, {WarningRegistryQueryFailed, images}} {
		var fresh []string
		for _, m := range k.msgs {
			if !strings.Contains(prev, m) {
				fresh = append(fresh, m)
			}
		}
		if len(fresh) > 0 {
			out = append(out, warning{k.reason, truncate(strings.Join(fresh, "; "), maxEventNote)})
		}
	}
	return out
}

// failureMessages returns the write-back and image messages of o, as the
// Error condition words them (see errorMessages).
func failureMessages(o Outcome) (writes, images []string) {
	for _, m := range errorMessages(o) {
		switch {
		case strings.HasPrefix(m, "write-back: "):
			writes = append(writes, m)
		case strings.HasPrefix(m, "image: "):
			images = append(images, m)
		}
	}
	return writes, images
}
