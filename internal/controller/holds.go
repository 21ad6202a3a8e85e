package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
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

// HoldsAnnotation is the Application annotation keeping the holds of its
// images across restarts: a JSON list of holds.Hold, each with Application
// "namespace/name" of the annotated application, e.g.
//
//	imagepilot.io/holds: '[{"application":"apps/web","image":"web","version":"1.2.0","by":"ana","since":"2026-01-01T00:00:00Z"}]'
//
// Managed with the trigger API (imagepilot hold/release --server); edits by
// hand are fine too. An unreadable value holds every image of the
// application and is reported as a configuration problem.
const HoldsAnnotation = "imagepilot.io/holds"

// ErrNoSuchImage marks a hold or release naming no managed image or hold.
var ErrNoSuchImage = errors.New("no such managed image")

// holdAttempts bounds the read-modify-patch attempts of a hold change.
const holdAttempts = 5

// cacheWait bounds how long a hold change waits for the cached client to
// see it (so the next pass does).
const cacheWait = 10 * time.Second

// ParseHolds reads the holds annotation value strictly (unknown fields and
// invalid holds are errors); an empty value holds nothing.
func ParseHolds(value string) ([]holds.Hold, error) {
	if len(bytes.TrimSpace([]byte(value))) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(value)))
	dec.DisallowUnknownFields()
	var hs []holds.Hold
	if err := dec.Decode(&hs); err != nil {
		return nil, fmt.Errorf("%w: annotation %s: %v", holds.ErrInvalid, HoldsAnnotation, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: annotation %s: trailing data", holds.ErrInvalid, HoldsAnnotation)
	}
	for i, h := range hs {
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("annotation %s: holds[%d]: %w", HoldsAnnotation, i, err)
		}
	}
	return hs, nil
}

// formatHolds renders holds for the annotation, sorted by image ("" when
// none are left).
func formatHolds(hs []holds.Hold) (string, error) {
	if len(hs) == 0 {
		return "", nil
	}
	hs = slices.Clone(hs)
	sort.Slice(hs, func(i, j int) bool {
		return hs[i].Application+"\x00"+hs[i].Image < hs[j].Application+"\x00"+hs[j].Image
	})
	data, err := json.Marshal(hs)
	if err != nil {
		return "", fmt.Errorf("encoding holds: %w", err)
	}
	return string(data), nil
}

// applyHolds marks the items of held images pinned, before planning. An
// application whose annotation cannot be read keeps all its images where
// they are; its error is returned.
func applyHolds(items []updater.Item, apps map[target.AppRef]*argocd.Application) []error {
	parsed := map[target.AppRef]holds.Set{}
	broken := map[target.AppRef]error{}
	var problems []error
	for ref, app := range apps {
		if app == nil {
			continue
		}
		hs, err := ParseHolds(app.Annotations[HoldsAnnotation])
		if err != nil {
			broken[ref] = err
			problems = append(problems, fmt.Errorf("application %s: %w", ref, err))
			continue
		}
		parsed[ref] = holds.Set{Holds: hs}
	}
	for i := range items {
		ref := items[i].Target.App
		if err, ok := broken[ref]; ok {
			items[i].Current.Hold = &updater.Hold{Pinned: true, Reason: "unreadable holds annotation (fix or remove it): " + err.Error()}
			continue
		}
		if h, ok := parsed[ref].Find(ref, items[i].Target.Image); ok {
			items[i].Current.Hold = &updater.Hold{Pinned: true, Reason: h.Describe()}
		}
	}
	return problems
}

// Holds lists the holds of every Application in the watched namespaces
// (all namespaces when none are set). Unreadable annotations are errors.
func (e *Engine) Holds(ctx context.Context) (holds.Set, error) {
	e.init()
	apps, err := e.listApplications(ctx, "")
	if err != nil {
		return holds.Set{}, err
	}
	var set holds.Set
	var errs []error
	for i := range apps {
		hs, err := ParseHolds(apps[i].Annotations[HoldsAnnotation])
		if err != nil {
			errs = append(errs, fmt.Errorf("application %s/%s: %w", apps[i].Namespace, apps[i].Name, err))
			continue
		}
		set.Holds = append(set.Holds, hs...)
	}
	return set, joinErrs(errs)
}

// Hold pins the image h names in every managed application h names (by
// ImageUpdaters, and by legacy when set), storing it in the application's
// HoldsAnnotation. When h.Version is set, that version is also written
// through the image's write-back method (argocd or git). The next pass
// sees the hold.
func (e *Engine) Hold(ctx context.Context, legacy *Legacy, h holds.Hold) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if h.Since.IsZero() {
		h.Since = e.nowOrReal().UTC().Truncate(time.Second)
	}
	e.init()
	e.passMu.Lock()
	defer e.passMu.Unlock()
	all, err := e.scopes(ctx, legacy)
	if err != nil {
		e.Logger.WarnContext(ctx, "hold: some selections could not be read", "error", err)
	}
	var held []scope
	var refs []target.AppRef
	for _, s := range all {
		f := s.sel.filter(func(t target.Target) bool { return holds.Matches(h, t.App, t.Image) })
		if len(f.targets) == 0 {
			continue
		}
		held = append(held, scope{iu: s.iu, sel: f})
		for ref := range f.apps {
			if !slices.Contains(refs, ref) {
				refs = append(refs, ref)
			}
		}
	}
	if len(refs) == 0 {
		return fmt.Errorf("%w: application %q has no managed image %q", ErrNoSuchImage, h.Application, h.Image)
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
		out := Outcome{Applications: len(s.sel.apps)}
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
		e.recordEvents(out, s.sel.apps, nil)
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

// Release removes the hold of image from the applications application
// names ("namespace/name", or "name" in any watched namespace); updates
// resume with the next pass.
func (e *Engine) Release(ctx context.Context, application, image string) error {
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
		hs, _ := ParseHolds(apps[i].Annotations[HoldsAnnotation])
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
		return fmt.Errorf("%w: no hold for application %q image %q", ErrNoSuchImage, application, image)
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
	hs, err := ParseHolds(ann[HoldsAnnotation])
	if err != nil {
		// A broken annotation is replaced: the request says what is wanted.
		e.Logger.WarnContext(ctx, "replacing unreadable holds annotation", "application", ref.String(), "error", err)
		hs = nil
	}
	set := holds.Set{Holds: hs}
	if !edit(&set) {
		return ann[HoldsAnnotation], false, nil
	}
	value, err := formatHolds(set.Holds)
	if err != nil {
		return "", false, err
	}
	if ann == nil {
		ann = map[string]string{}
	}
	if value == "" {
		delete(ann, HoldsAnnotation)
	} else {
		ann[HoldsAnnotation] = value
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
		if err == nil && app.Annotations[HoldsAnnotation] == want {
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
