package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// holdAttempts bounds the read-modify-patch attempts of a hold change.
const holdAttempts = 5

// cacheWait bounds how long a hold change waits for the cached client to
// see it (so the next pass does).
const cacheWait = 10 * time.Second

// pinsOf reads the holds annotations of the applications, before
// planning. An application whose annotation cannot be read keeps all its
// images where they are; its error is returned.
func pinsOf(apps map[target.AppRef]*argocd.Application) (holds.AppPins, []error) {
	ann := make(map[target.AppRef]map[string]string, len(apps))
	for ref, app := range apps {
		if app != nil {
			ann[ref] = app.Annotations
		}
	}
	return holds.PinsFromAnnotations(ann)
}

// Holds returns the hold service of the Applications the ImageUpdaters
// (and legacy, when set) manage, kept in their holds.Annotation. Hold
// changes take turns with passes.
func (e *Engine) Holds(legacy *Legacy) *holds.Service {
	return &holds.Service{Store: annotationStore{e: e, legacy: legacy}, Now: e.nowOrReal}
}

// annotationStore is the controller's holds.Store: each Application's
// holds.Annotation.
type annotationStore struct {
	e      *Engine
	legacy *Legacy
}

var _ holds.Store = annotationStore{}

// List lists the holds of every Application in the watched namespaces
// (all namespaces when none are set). Unreadable annotations are errors.
func (s annotationStore) List(ctx context.Context) (holds.Set, error) {
	e := s.e
	e.init()
	apps, err := e.listApplications(ctx, "")
	if err != nil {
		return holds.Set{}, err
	}
	var set holds.Set
	var errs []error
	for i := range apps {
		hs, err := holds.ParseAnnotation(apps[i].Annotations[holds.Annotation])
		if err != nil {
			errs = append(errs, fmt.Errorf("application %s/%s: %w", apps[i].Namespace, apps[i].Name, err))
			continue
		}
		set.Holds = append(set.Holds, hs...)
	}
	return set, joinErrs(errs)
}

// Place pins the image h names in every managed application h names (by
// ImageUpdaters, and by legacy when set), storing it in the application's
// holds.Annotation. When h.Version is set, that version is also written
// through the image's write-back method (argocd or git). The next pass
// sees the hold.
func (s annotationStore) Place(ctx context.Context, h holds.Hold) error {
	e := s.e
	e.init()
	e.passMu.Lock()
	defer e.passMu.Unlock()
	all, err := e.scopes(ctx, s.legacy)
	if err != nil {
		e.Logger.WarnContext(ctx, "hold: some selections could not be read", "error", err)
	}
	var held []scope
	var refs []target.AppRef
	for _, sc := range all {
		f := sc.sel.filter(func(t target.Target) bool { return holds.Matches(h, t.App, t.Image) })
		if len(f.targets) == 0 {
			continue
		}
		held = append(held, scope{iu: sc.iu, sel: f})
		for ref := range f.apps {
			if !slices.Contains(refs, ref) {
				refs = append(refs, ref)
			}
		}
	}
	if len(refs) == 0 {
		return fmt.Errorf("%w: application %q has no managed image %q", holds.ErrNoSuchImage, h.Application, h.Image)
	}
	for _, ref := range refs {
		pinned := h
		pinned.Application = ref.String()
		if err := e.editHolds(ctx, ref, func(set *holds.Set) bool { set.Put(pinned); return true }); err != nil {
			return err
		}
		e.Logger.InfoContext(ctx, "hold placed", "application", ref.String(), "image", h.Image, "version", h.Version, "by", h.By)
	}
	if h.Version == "" {
		return nil
	}
	return e.writeHeldVersion(ctx, held, h)
}

func (e *Engine) nowOrReal() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// writeHeldVersion writes h.Version into the held images through their
// write-back methods.
func (e *Engine) writeHeldVersion(ctx context.Context, held []scope, h holds.Hold) error {
	tag, digest := imagespec.SplitTagValue(h.Version)
	var errs []error
	for _, s := range held {
		var out Outcome
		out.Applications = len(s.sel.apps)
		for _, t := range s.sel.targets {
			dep := target.DeployedState(s.sel.apps[t.App], t)
			out.Decisions = append(out.Decisions, updater.Decision{
				Item:   updater.Item{Target: t, Current: updater.Current{Tag: dep.Tag, Digest: dep.Digest, Live: dep.Live}},
				Action: updater.ActionUpdate, NewTag: tag, NewDigest: digest,
				Reason: fmt.Sprintf("%s -> %s (held at %s)", orUnknown(dep.Tag), h.Version, h.Version),
			})
		}
		if e.ArgoCD != nil {
			out.ArgoCD = e.ArgoCD.ApplyCached(ctx, out.Decisions, s.sel.apps)
		}
		out.Git, out.Problems = e.applyGit(ctx, out.Decisions)
		e.recordEvents(out.ArgoCD, out.Git, s.sel.apps, nil)
		for _, r := range out.ArgoCD {
			if r.Err != nil {
				errs = append(errs, r.Err)
			}
		}
		for _, g := range out.Git {
			if g.Err != nil {
				errs = append(errs, fmt.Errorf("git %s branch %s: %w", g.RepoURL, g.Branch, g.Err))
			}
		}
		errs = append(errs, out.Problems...)
		if s.iu != nil {
			if err := e.patchRecent(ctx, s.iu, out); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := joinErrs(errs); err != nil {
		return fmt.Errorf("hold placed, but writing version %s failed: %w", h.Version, err)
	}
	return nil
}

// Remove removes the hold of image from the applications application
// names ("namespace/name", or "name" in any watched namespace); updates
// resume with the next pass.
func (s annotationStore) Remove(ctx context.Context, application, image string) error {
	e := s.e
	e.init()
	e.passMu.Lock()
	defer e.passMu.Unlock()
	apps, err := e.listApplications(ctx, "")
	if err != nil {
		return err
	}
	released := 0
	for i := range apps {
		ref := target.AppRef{Namespace: apps[i].Namespace, Name: apps[i].Name}
		if application != ref.Name && application != ref.String() {
			continue
		}
		hs, _ := holds.ParseAnnotation(apps[i].Annotations[holds.Annotation])
		if !slices.ContainsFunc(hs, func(h holds.Hold) bool { return releases(h, ref, image) }) {
			continue
		}
		err := e.editHolds(ctx, ref, func(set *holds.Set) bool {
			n := len(set.Holds)
			set.Holds = slices.DeleteFunc(set.Holds, func(h holds.Hold) bool { return releases(h, ref, image) })
			return len(set.Holds) != n
		})
		if err != nil {
			return err
		}
		released++
		e.Logger.InfoContext(ctx, "hold released", "application", ref.String(), "image", image)
	}
	if released == 0 {
		return fmt.Errorf("%w: no hold for application %q image %q", holds.ErrNoSuchImage, application, image)
	}
	return nil
}

// releases reports whether releasing image of ref removes h.
func releases(h holds.Hold, ref target.AppRef, image string) bool {
	return h.Image == image && (h.Application == ref.Name || h.Application == ref.String())
}

// editHolds changes an application's holds annotation with a merge patch
// of metadata.annotations carrying the resourceVersion read (retried on
// conflicts), then waits until the cached client sees the change.
func (e *Engine) editHolds(ctx context.Context, ref target.AppRef, edit func(*holds.Set) bool) error {
	var want string
	for attempt := 1; ; attempt++ {
		value, changed, err := e.patchHoldsOnce(ctx, ref, edit)
		if apierrors.IsConflict(err) && attempt < holdAttempts {
			continue
		}
		if err != nil || !changed {
			return err
		}
		want = value
		break
	}
	return e.waitCached(ctx, ref, want)
}

func (e *Engine) patchHoldsOnce(ctx context.Context, ref target.AppRef, edit func(*holds.Set) bool) (string, bool, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(argocd.GroupVersion.WithKind(argocd.ApplicationKind))
	if err := e.direct().Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, obj); err != nil {
		return "", false, fmt.Errorf("reading application %s: %w", ref, err)
	}
	orig := obj.DeepCopy()
	ann := obj.GetAnnotations()
	hs, err := holds.ParseAnnotation(ann[holds.Annotation])
	if err != nil {
		// A broken annotation is replaced: the request says what is wanted.
		e.Logger.WarnContext(ctx, "replacing unreadable holds annotation", "application", ref.String(), "error", err)
		hs = nil
	}
	set := holds.Set{Holds: hs}
	if !edit(&set) {
		return ann[holds.Annotation], false, nil
	}
	value, err := holds.FormatAnnotation(set.Holds)
	if err != nil {
		return "", false, err
	}
	if ann == nil {
		ann = map[string]string{}
	}
	if value == "" {
		delete(ann, holds.Annotation)
	} else {
		ann[holds.Annotation] = value
	}
	obj.SetAnnotations(ann)
	if err := e.direct().Patch(ctx, obj, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) {
			return "", false, err
		}
		return "", false, fmt.Errorf("patching holds of application %s: %w", ref, err)
	}
	return value, true, nil
}

// waitCached waits (bounded) until Client, when it is a cache, reads the
// holds annotation as want.
func (e *Engine) waitCached(ctx context.Context, ref target.AppRef, want string) error {
	if e.Direct == nil {
		return nil
	}
	deadline := time.Now().Add(cacheWait)
	for {
		var app argocd.Application
		err := e.Client.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, &app)
		if err == nil && app.Annotations[holds.Annotation] == want {
			return nil
		}
		if time.Now().After(deadline) {
			e.Logger.WarnContext(ctx, "the cache has not seen the hold change yet", "application", ref.String())
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the hold change of %s: %w", ref, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
