package writeback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// DefaultArgoCDAttempts bounds the read-modify-patch attempts per
// application when others change it concurrently.
const DefaultArgoCDAttempts = 5

// DefaultArgoCDConcurrency is the number of applications patched at once
// (the client's rate limiter still bounds the request rate).
const DefaultArgoCDConcurrency = 8

// ArgoCDWriter writes updates into Application objects with one merge
// patch per changed application. It starts from the object the pass
// already holds (ApplyCached), or reads it when it has none, changes only
// the managed entries (Helm parameters by name, Kustomize images by image
// name, plugin environment variables by name) and sends a merge patch of
// the difference carrying the object's resourceVersion, so a concurrent
// change fails with a conflict instead of being overwritten; it then
// re-reads that one application (as unstructured data, so fields our types
// lack survive), re-applies the decisions to it and retries.
type ArgoCDWriter struct {
	// Client reads and patches Applications.
	Client client.Client
	// MaxAttempts bounds attempts per application (DefaultArgoCDAttempts
	// when zero).
	MaxAttempts int
	// Concurrency bounds applications patched at once
	// (DefaultArgoCDConcurrency when zero).
	Concurrency int
	// DryRun computes the changes without patching.
	DryRun bool
	// Logger receives progress; nil discards.
	Logger *slog.Logger
}

// AppResult is the argocd write-back outcome for one application.
type AppResult struct {
	// App is the application.
	App target.AppRef
	// Applied are the decisions written (or, in a dry run, that would be).
	Applied []updater.Decision
	// Changed reports whether the object needed a change at all.
	Changed bool
	// Attempts counts patch attempts.
	Attempts int
	// Err is set when the application could not be written.
	Err error
}

// Apply writes every argocd update decision, one patch per application,
// reading each application first. Decisions of other methods, and
// non-updates, are ignored.
func (w *ArgoCDWriter) Apply(ctx context.Context, decisions []updater.Decision) []AppResult {
	return w.ApplyCached(ctx, decisions, nil)
}

// ApplyCached is Apply starting from the objects the caller already holds
// (listed or cached, with their resourceVersion): an application in cached
// is patched without being read first; only a conflict reads it again.
func (w *ArgoCDWriter) ApplyCached(ctx context.Context, decisions []updater.Decision, cached map[target.AppRef]*argocd.Application) []AppResult {
	return w.ApplyEach(ctx, decisions, cached, nil)
}

// ApplyEach is ApplyCached calling written (when not nil) with each
// application's result as soon as it is known, so that the caller can
// act on it (record its Event) while the others are written. Applications
// are written Concurrency at a time, so written must be safe for
// concurrent calls; the results are in application order.
func (w *ArgoCDWriter) ApplyEach(ctx context.Context, decisions []updater.Decision, cached map[target.AppRef]*argocd.Application, written func(AppResult)) []AppResult {
	byApp := map[target.AppRef][]updater.Decision{}
	var apps []target.AppRef
	for _, d := range decisions {
		if d.Action != updater.ActionUpdate || d.Target.WriteBack.Method != target.MethodArgoCD {
			continue
		}
		if _, ok := byApp[d.Target.App]; !ok {
			apps = append(apps, d.Target.App)
		}
		byApp[d.Target.App] = append(byApp[d.Target.App], d)
	}
	sort.Slice(apps, func(i, j int) bool { return apps[i].String() < apps[j].String() })
	out := make([]AppResult, len(apps))
	workers := w.Concurrency
	if workers <= 0 {
		workers = DefaultArgoCDConcurrency
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(apps)) {
		wg.Go(func() {
			for i := range jobs {
				out[i] = w.applyApp(ctx, apps[i], byApp[apps[i]], cached[apps[i]])
				if written != nil {
					written(out[i])
				}
			}
		})
	}
	for i := range apps {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

func (w *ArgoCDWriter) applyApp(ctx context.Context, app target.AppRef, decisions []updater.Decision, known *argocd.Application) AppResult {
	res := AppResult{App: app}
	limit := w.MaxAttempts
	if limit <= 0 {
		limit = DefaultArgoCDAttempts
	}
	start, err := fromCached(known)
	if err != nil {
		res.Err = fmt.Errorf("application %s: %w", app, err)
		w.logResult(ctx, res)
		return res
	}
	for res.Attempts < limit {
		res.Attempts++
		changed, err := w.patchOnce(ctx, app, decisions, start)
		if apierrors.IsConflict(err) {
			start = nil // re-read this one application and re-apply
			continue
		}
		res.Changed, res.Err = changed, err
		if err == nil {
			res.Applied = decisions
		}
		w.logResult(ctx, res)
		return res
	}
	res.Err = fmt.Errorf("application %s: %w after %d attempts", app, ErrConflict, res.Attempts)
	w.logResult(ctx, res)
	return res
}

// fromCached converts a held Application to unstructured data (nil when
// there is none, or it lacks the resourceVersion the patch must carry).
func fromCached(app *argocd.Application) (*unstructured.Unstructured, error) {
	if app == nil || app.ResourceVersion == "" {
		return nil, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(app)
	if err != nil {
		return nil, fmt.Errorf("converting the cached application: %w", err)
	}
	obj := &unstructured.Unstructured{Object: m}
	obj.SetGroupVersionKind(argocd.GroupVersion.WithKind(argocd.ApplicationKind))
	return obj, nil
}

// patchOnce edits the application (start, or a fresh read when nil) and
// patches the difference with an optimistic lock on its resourceVersion.
func (w *ArgoCDWriter) patchOnce(ctx context.Context, app target.AppRef, decisions []updater.Decision, start *unstructured.Unstructured) (bool, error) {
	obj := start
	if obj == nil {
		obj = &unstructured.Unstructured{}
		obj.SetGroupVersionKind(argocd.GroupVersion.WithKind(argocd.ApplicationKind))
		if err := w.Client.Get(ctx, types.NamespacedName{Namespace: app.Namespace, Name: app.Name}, obj); err != nil {
			return false, fmt.Errorf("reading application %s: %w", app, err)
		}
	} else {
		obj = obj.DeepCopy()
	}
	orig := obj.DeepCopy()
	for _, d := range decisions {
		if err := setImage(obj.Object, d); err != nil {
			return false, fmt.Errorf("application %s image %s: %w", app, d.Target.Image.Key(), err)
		}
	}
	if equalContent(orig, obj) {
		return false, nil
	}
	if w.DryRun {
		return true, nil
	}
	patch := client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})
	if err := w.Client.Patch(ctx, obj, patch); err != nil {
		if apierrors.IsConflict(err) {
			return false, err
		}
		return false, fmt.Errorf("patching application %s: %w", app, err)
	}
	return true, nil
}

func equalContent(a, b *unstructured.Unstructured) bool {
	pa, errA := a.MarshalJSON()
	pb, errB := b.MarshalJSON()
	return errA == nil && errB == nil && string(pa) == string(pb)
}

func (w *ArgoCDWriter) logResult(ctx context.Context, r AppResult) {
	if w.Logger == nil {
		return
	}
	if r.Err != nil {
		w.Logger.ErrorContext(ctx, "argocd write-back failed", "application", r.App.String(), "attempts", r.Attempts, "error", r.Err)
		return
	}
	w.Logger.InfoContext(ctx, "argocd write-back done", "application", r.App.String(), "changed", r.Changed, "dryRun", w.DryRun, "attempts", r.Attempts, "images", len(r.Applied))
}

// ErrNoSource marks an application without the source a target names.
var ErrNoSource = errors.New("application has no such source")

// setImage edits the unstructured application so the decision's image is
// at its new version.
func setImage(obj map[string]any, d updater.Decision) error {
	src, err := sourceMap(obj, d.Target.Source.Index)
	if err != nil {
		return err
	}
	v := newValue(d)
	switch manifestKind(d.Target) {
	case target.KindKustomize:
		return setKustomizeImage(src, kustomizeImage(d.Target, v).String(), d.Target.Manifest.KustomizeImageName(d.Target.Image))
	case target.KindPlugin:
		return setPluginEnv(src, pluginEnv(d.Target, v))
	default:
		var params []map[string]any
		for _, p := range helmParams(d.Target, v) {
			params = append(params, map[string]any{"name": p.Name, "value": p.Value, "forceString": true})
		}
		return setHelmParams(src, params)
	}
}

// sourceMap returns spec.source (index -1) or spec.sources[index].
func sourceMap(obj map[string]any, index int) (map[string]any, error) {
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return nil, fmt.Errorf("%w: spec is missing", ErrNoSource)
	}
	if index < 0 {
		src, _ := spec["source"].(map[string]any)
		if src == nil {
			return nil, fmt.Errorf("%w: spec.source is missing", ErrNoSource)
		}
		return src, nil
	}
	list, _ := spec["sources"].([]any)
	if index >= len(list) {
		return nil, fmt.Errorf("%w: spec.sources[%d] (the application has %d)", ErrNoSource, index, len(list))
	}
	src, _ := list[index].(map[string]any)
	if src == nil {
		return nil, fmt.Errorf("%w: spec.sources[%d] is not an object", ErrNoSource, index)
	}
	return src, nil
}

// child returns m[key] as an object, creating it when absent.
func child(m map[string]any, key string) (map[string]any, error) {
	switch c := m[key].(type) {
	case map[string]any:
		return c, nil
	case nil:
		c2 := map[string]any{}
		m[key] = c2
		return c2, nil
	default:
		return nil, fmt.Errorf("%s is %T, not an object", key, c)
	}
}

// setHelmParams merges params into helm.parameters by name, keeping the
// others and their order; new names are appended.
func setHelmParams(src map[string]any, params []map[string]any) error {
	helm, err := child(src, "helm")
	if err != nil {
		return err
	}
	list, _ := helm["parameters"].([]any)
	for _, p := range params {
		list = upsertByName(list, p)
	}
	helm["parameters"] = list
	return nil
}

func upsertByName(list []any, entry map[string]any) []any {
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && m["name"] == entry["name"] {
			merged := map[string]any{}
			for k, v := range m {
				merged[k] = v
			}
			for k, v := range entry {
				merged[k] = v
			}
			list[i] = merged
			return list
		}
	}
	return append(list, entry)
}

// setKustomizeImage replaces the kustomize.images entry for the same image
// name (or appends it).
func setKustomizeImage(src map[string]any, entry, name string) error {
	k, err := child(src, "kustomize")
	if err != nil {
		return err
	}
	list, _ := k["images"].([]any)
	for i, e := range list {
		if s, ok := e.(string); ok && target.KustomizeEntryName(s) == name {
			list[i] = entry
			k["images"] = list
			return nil
		}
	}
	k["images"] = append(list, entry)
	return nil
}

// pluginEnv lists the plugin variables to set for v.
func pluginEnv(t target.Target, v Value) []map[string]any {
	var out []map[string]any
	add := func(name, value string) {
		if name != "" {
			out = append(out, map[string]any{"name": name, "value": value})
		}
	}
	if t.Manifest.PluginSpec != "" {
		add(t.Manifest.PluginSpec, v.Ref())
		return out
	}
	add(t.Manifest.PluginName, v.Name)
	add(t.Manifest.PluginTag, v.TagValue())
	return out
}

func setPluginEnv(src map[string]any, env []map[string]any) error {
	if len(env) == 0 {
		return fmt.Errorf("%w: plugin target names no environment variable (set name, tag or spec)", ErrTarget)
	}
	p, err := child(src, "plugin")
	if err != nil {
		return err
	}
	list, _ := p["env"].([]any)
	for _, e := range env {
		list = upsertByName(list, e)
	}
	p["env"] = list
	return nil
}
