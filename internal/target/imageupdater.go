package target

import (
	"errors"
	"fmt"
	"path"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
)

// Match is one application selected by an ImageUpdater, with the index of
// the applicationRef that won it.
type Match struct {
	// App is the selected application.
	App *argocd.Application
	// RefIndex indexes spec.applicationRefs.
	RefIndex int
}

// Specificity scores: an exact name always beats a glob; each label
// requirement adds selectorWeight; among globs, more literal characters
// (characters other than *, ?, [...]) rank higher. Ties go to the earlier
// ref.
const (
	exactNameScore = 1_000_000
	selectorWeight = 1_000
)

// MatchApplications selects, for every application, the most specific
// applicationRef that matches it (see the scoring constants). Invalid refs
// (bad glob, bad selector) are reported and match nothing.
func MatchApplications(spec *v1alpha1.ImageUpdaterSpec, apps []argocd.Application) ([]Match, []error) {
	type compiled struct {
		sel   labels.Selector
		score int
		ok    bool
	}
	refs := make([]compiled, len(spec.ApplicationRefs))
	var errs []error
	for i := range spec.ApplicationRefs {
		sel, score, err := compileRef(&spec.ApplicationRefs[i])
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: spec.applicationRefs[%d].%w", ErrConfig, i, err))
			continue
		}
		refs[i] = compiled{sel: sel, score: score, ok: true}
	}
	var out []Match
	for a := range apps {
		best, bestScore := -1, -1
		for i, r := range refs {
			if !r.ok || !refMatches(&spec.ApplicationRefs[i], r.sel, &apps[a]) {
				continue
			}
			if r.score > bestScore {
				best, bestScore = i, r.score
			}
		}
		if best >= 0 {
			out = append(out, Match{App: &apps[a], RefIndex: best})
		}
	}
	return out, errs
}

// compileRef validates a ref's selection and returns its score. The error
// text continues a field path ("namePattern: ...").
func compileRef(ref *v1alpha1.ApplicationRef) (labels.Selector, int, error) {
	if ref.NamePattern == "" {
		return nil, 0, errors.New("namePattern: must not be empty")
	}
	if _, err := path.Match(ref.NamePattern, ""); err != nil {
		return nil, 0, fmt.Errorf("namePattern: invalid glob %q: %w", ref.NamePattern, err)
	}
	score := literalChars(ref.NamePattern)
	if !hasGlobMeta(ref.NamePattern) {
		score = exactNameScore
	}
	sel := labels.Everything()
	if ref.LabelSelectors != nil {
		s, err := metav1.LabelSelectorAsSelector(ref.LabelSelectors)
		if err != nil {
			return nil, 0, fmt.Errorf("labelSelectors: %w", err)
		}
		sel = s
		reqs, _ := s.Requirements()
		score += selectorWeight * len(reqs)
	}
	return sel, score, nil
}

func refMatches(ref *v1alpha1.ApplicationRef, sel labels.Selector, app *argocd.Application) bool {
	ok, err := path.Match(ref.NamePattern, app.Name)
	return err == nil && ok && sel.Matches(labels.Set(app.Labels))
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// literalChars counts a glob's characters outside wildcards and classes;
// an escaped character (`\*`) is a literal one.
func literalChars(p string) int {
	n, inClass, escaped := 0, false, false
	for _, c := range p {
		switch {
		case escaped:
			escaped = false
			n++
		case inClass:
			inClass = c != ']'
		case c == '\\':
			escaped = true
		case c == '[':
			inClass = true
		case c != '*' && c != '?':
			n++
		}
	}
	return n
}

// FromImageUpdater builds the targets of every application an ImageUpdater
// selects. Each target's Source is chosen from the application (see
// ChooseSource). It returns every valid target and one error per invalid
// item, naming the field path (spec.applicationRefs[0].images[1]...). An
// invalid applicationRef (bad glob or label selector) leaves every
// application of the ImageUpdater alone: which one the broken ref would have
// won cannot be known, and another ref's settings must not stand in.
func FromImageUpdater(iu *v1alpha1.ImageUpdater, apps []argocd.Application) ([]Target, []error) {
	matches, errs := MatchApplications(&iu.Spec, apps)
	if len(errs) > 0 {
		return nil, append(errs, RefsBlocked(matches, errs)...)
	}
	var targets []Target
	for _, m := range matches {
		ts, terrs := TargetsFor(&iu.Spec, m.RefIndex, m.App)
		targets = append(targets, ts...)
		errs = append(errs, terrs...)
	}
	return targets, errs
}

// RefsBlocked returns, for each match, the error saying it is left alone
// because of the ImageUpdater's invalid applicationRefs (refErrs).
func RefsBlocked(matches []Match, refErrs []error) []error {
	msgs := make([]string, len(refErrs))
	for i, err := range refErrs {
		msgs[i] = err.Error()
	}
	out := make([]error, 0, len(matches))
	for _, m := range matches {
		out = append(out, fmt.Errorf("%w: application %s/%s: not updated while the ImageUpdater has an invalid applicationRef (%s)",
			ErrConfig, m.App.Namespace, m.App.Name, strings.Join(msgs, "; ")))
	}
	return out
}

// Selected returns the applications an ImageUpdater selects, whether or not
// their settings are valid: callers treat them as claimed, so a broken
// selection never falls back to another configuration (annotations). A ref
// whose label selector is invalid claims every application its name
// pattern matches.
func Selected(iu *v1alpha1.ImageUpdater, apps []argocd.Application) []AppRef {
	matches, _ := MatchApplications(&iu.Spec, apps)
	seen := map[AppRef]bool{}
	var out []AppRef
	add := func(a *argocd.Application) {
		ref := AppRef{Namespace: a.Namespace, Name: a.Name}
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	for _, m := range matches {
		add(m.App)
	}
	for i := range iu.Spec.ApplicationRefs {
		ref := &iu.Spec.ApplicationRefs[i]
		if _, _, err := compileRef(ref); err == nil || ref.NamePattern == "" {
			continue
		}
		for a := range apps {
			if ok, err := path.Match(ref.NamePattern, apps[a].Name); err == nil && ok {
				add(&apps[a])
			}
		}
	}
	return out
}

// TargetsFor builds the targets applicationRefs[refIndex] describes for one
// application. A selection with any error (a bad setting at any level, a
// setting imagepilot cannot honour yet) yields no targets at all: the
// application is left alone, never updated with other settings.
func TargetsFor(spec *v1alpha1.ImageUpdaterSpec, refIndex int, app *argocd.Application) ([]Target, []error) {
	ref := &spec.ApplicationRefs[refIndex]
	appRef := AppRef{Namespace: app.Namespace, Name: app.Name}
	var targets []Target
	var errs []error
	if ref.UseAnnotations {
		ts, aerrs := FromAnnotations(appRef, app.Annotations)
		for _, e := range aerrs {
			errs = append(errs, fmt.Errorf("spec.applicationRefs[%d] (useAnnotations): %w", refIndex, e))
		}
		// Annotations have no verification form: the object's and the
		// reference's blocks apply to every annotated image.
		v, err := verificationFor(spec, ref, nil, fmt.Sprintf("spec.applicationRefs[%d]", refIndex), "")
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: application %s: %w", ErrConfig, appRef, err))
		}
		for i := range ts {
			ts[i].Verification = v
		}
		targets = ts
	} else {
		targets, errs = imageTargets(spec, refIndex, appRef)
	}
	errs = append(errs, checkServiceAccounts(appRef, targets)...)
	placed, perrs := Place(app, targets)
	errs = append(errs, perrs...)
	if len(errs) > 0 {
		return nil, errs
	}
	return placed, nil
}

func imageTargets(spec *v1alpha1.ImageUpdaterSpec, refIndex int, app AppRef) ([]Target, []error) {
	ref := &spec.ApplicationRefs[refIndex]
	refPath := fmt.Sprintf("spec.applicationRefs[%d]", refIndex)
	wb, err := writeBackFor(spec, ref, refPath)
	if err != nil {
		return nil, []error{fmt.Errorf("application %s: %w", app, err)}
	}
	if len(ref.Images) == 0 {
		return nil, []error{fmt.Errorf("%w: application %s: %s.images: required unless useAnnotations is true", ErrConfig, app, refPath)}
	}
	var targets []Target
	var errs []error
	seen := map[string]int{}
	for j := range ref.Images {
		img := &ref.Images[j]
		imgPath := fmt.Sprintf("%s.images[%d]", refPath, j)
		if prev, dup := seen[img.Alias]; dup {
			errs = append(errs, fmt.Errorf("%w: application %s: %s.alias: %q is already used by images[%d]", ErrConfig, app, imgPath, img.Alias, prev))
			continue
		}
		seen[img.Alias] = j
		t, err := imageTarget(spec, ref, img, imgPath, app, wb)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: application %s: %w", ErrConfig, app, err))
			continue
		}
		targets = append(targets, t)
	}
	return targets, errs
}

func writeBackFor(spec *v1alpha1.ImageUpdaterSpec, ref *v1alpha1.ApplicationRef, refPath string) (WriteBack, error) {
	cfg := spec.WriteBackFor(ref)
	field := "spec.writeBackConfig.method"
	if ref.WriteBackConfig != nil && ref.WriteBackConfig.Method != "" {
		field = refPath + ".writeBackConfig.method"
	}
	wb, err := ParseMethod(cfg.Method)
	if err != nil {
		return WriteBack{}, fmt.Errorf("%s: %w", field, err)
	}
	if g := cfg.GitConfig; g != nil {
		wb.Repository, wb.Branch, wb.Target = g.Repository, g.Branch, g.WriteBackTarget
	}
	if err := ValidateBranch(wb.Branch); err != nil && wb.Method == MethodGit {
		field := "spec.writeBackConfig.gitConfig.branch"
		if g := ref.WriteBackConfig; g != nil && g.GitConfig != nil && g.GitConfig.Branch != "" {
			field = refPath + ".writeBackConfig.gitConfig.branch"
		}
		return WriteBack{}, fmt.Errorf("%s: %w", field, err)
	}
	pr, err := pullRequestFor(spec, ref, refPath, cfg, wb)
	if err != nil {
		return WriteBack{}, err
	}
	wb.PullRequest = pr
	return wb, nil
}

func imageTarget(spec *v1alpha1.ImageUpdaterSpec, ref *v1alpha1.ApplicationRef, img *v1alpha1.ImageConfig, imgPath string, app AppRef, wb WriteBack) (Target, error) {
	if img.Alias == "" {
		return Target{}, fmt.Errorf("%s.alias: must not be empty", imgPath)
	}
	is, err := imagespec.Parse(img.Alias + "=" + img.ImageName)
	if err != nil {
		return Target{}, fmt.Errorf("%s.imageName: %w", imgPath, err)
	}
	s := spec.SettingsFor(ref, img)
	t := Target{App: app, Image: is, WriteBack: wb, ForceUpdate: s.ForceUpdateOrDefault(), PullSecret: s.PullSecretOrDefault()}
	t.Policy = policy.Settings{
		Strategy:   s.StrategyOrDefault(),
		Constraint: is.Constraint,
		AllowTags:  s.AllowTagsOrDefault(),
		IgnoreTags: s.IgnoreTagsOrDefault(),
		Platforms:  s.PlatformsOrDefault(),
	}
	if _, err := policy.Compile(t.Policy); err != nil {
		return Target{}, fmt.Errorf("%s: %w", settingPath(spec, ref, img, imgPath, err), err)
	}
	if t.Manifest, err = manifestOf(img.ManifestTargets); err != nil {
		return Target{}, fmt.Errorf("%s.manifestTargets: %w", imgPath, err)
	}
	refPath := imgPath[:strings.LastIndex(imgPath, ".images[")]
	if t.Verification, err = verificationFor(spec, ref, img, refPath, imgPath); err != nil {
		return Target{}, err
	}
	return t, nil
}

// crdField maps policy setting names to commonUpdateSettings fields.
var crdField = map[string]string{
	"update-strategy": "updateStrategy",
	"allow-tags":      "allowTags",
	"ignore-tags":     "ignoreTags",
	"platforms":       "platforms",
}

// settingPath names the field a policy error comes from: the most specific
// level that sets it.
func settingPath(spec *v1alpha1.ImageUpdaterSpec, ref *v1alpha1.ApplicationRef, img *v1alpha1.ImageConfig, imgPath string, err error) string {
	var se *policy.SettingsError
	if !errors.As(err, &se) {
		return imgPath
	}
	field, ok := crdField[se.Field]
	if !ok {
		return imgPath + ".imageName"
	}
	refPath := imgPath[:strings.LastIndex(imgPath, ".images[")]
	switch {
	case setsField(img.CommonUpdateSettings, field):
		return imgPath + ".commonUpdateSettings." + field
	case setsField(ref.CommonUpdateSettings, field):
		return refPath + ".commonUpdateSettings." + field
	case setsField(spec.CommonUpdateSettings, field):
		return "spec.commonUpdateSettings." + field
	}
	return imgPath
}

func setsField(s *v1alpha1.CommonUpdateSettings, field string) bool {
	if s == nil {
		return false
	}
	switch field {
	case "updateStrategy":
		return s.UpdateStrategy != nil
	case "allowTags":
		return s.AllowTags != nil
	case "ignoreTags":
		return s.IgnoreTags != nil
	case "platforms":
		return s.Platforms != nil
	}
	return false
}

func manifestOf(mt *v1alpha1.ManifestTarget) (Manifest, error) {
	if mt == nil {
		return Manifest{}, nil
	}
	var set []string
	var m Manifest
	if h := mt.Helm; h != nil {
		set = append(set, "helm")
		m = Manifest{Kind: KindHelm, HelmName: h.Name, HelmTag: h.Tag, HelmSpec: h.Spec}
	}
	if k := mt.Kustomize; k != nil {
		set = append(set, "kustomize")
		m = Manifest{Kind: KindKustomize, KustomizeName: k.Name}
	}
	if p := mt.Plugin; p != nil {
		set = append(set, "plugin")
		m = Manifest{Kind: KindPlugin, PluginName: p.Name, PluginTag: p.Tag, PluginSpec: p.Spec}
	}
	if len(set) > 1 {
		return Manifest{}, fmt.Errorf("exactly one of helm, kustomize, plugin may be set, got %s", strings.Join(set, " and "))
	}
	return m, nil
}

// SourceKind returns the manifest kind of an application source: from its
// helm/kustomize/plugin block or chart, else from Argo CD's detected type
// (detected may be empty), else "directory".
func SourceKind(s argocd.ApplicationSource, detected string) string {
	switch {
	case s.Helm != nil || s.Chart != "":
		return KindHelm
	case s.Kustomize != nil:
		return KindKustomize
	case s.Plugin != nil:
		return KindPlugin
	}
	switch detected {
	case argocd.SourceTypeHelm:
		return KindHelm
	case argocd.SourceTypeKustomize:
		return KindKustomize
	case argocd.SourceTypePlugin:
		return KindPlugin
	}
	return "directory"
}

// ChooseSource sets t.Source to the application source that holds the
// image: the first source (of the target's manifest kind, when set) whose
// Helm parameters, Helm values, Kustomize images or plugin environment name
// the image (default Helm parameter names count last); else the first source of the target's
// manifest kind; else the first source that is not a pure values reference.
// When the target has no manifest kind, it takes the chosen source's.
func ChooseSource(app *argocd.Application, t *Target) {
	sources, index := appSources(app)
	if len(sources) == 0 {
		return
	}
	pick := -1
	for _, loose := range []bool{false, true} {
		for i := range sources {
			kind := sourceKindAt(app, sources, i)
			if pick < 0 && (t.Manifest.Kind == "" || t.Manifest.Kind == kind) && namesImage(sources[i], kind, t, loose) {
				pick = i
			}
		}
	}
	for i := range sources {
		if pick < 0 && t.Manifest.Kind != "" && sourceKindAt(app, sources, i) == t.Manifest.Kind {
			pick = i
		}
	}
	for i := range sources {
		if pick < 0 && !(sources[i].Ref != "" && sources[i].Path == "" && sources[i].Chart == "") {
			pick = i
		}
	}
	if pick < 0 {
		pick = 0
	}
	s := sources[pick]
	t.Source = Source{RepoURL: s.RepoURL, Path: s.Path, TargetRevision: s.TargetRevision, Chart: s.Chart, Kind: sourceKindAt(app, sources, pick), Index: index[pick]}
	if s.Helm != nil {
		t.Source.ValueFiles = s.Helm.ValueFiles
	}
	if t.Manifest.Kind == "" && t.Source.Kind != "directory" {
		t.Manifest.Kind = t.Source.Kind
	}
}

// appSources lists the application's sources with their index (see
// Source.Index): spec.sources, else the source hydrator's dry source, else
// spec.source (upstream's order).
func appSources(app *argocd.Application) ([]argocd.ApplicationSource, []int) {
	if app.Spec.HasMultipleSources() {
		idx := make([]int, len(app.Spec.Sources))
		for i := range idx {
			idx[i] = i
		}
		return app.Spec.Sources, idx
	}
	if h := app.Spec.SourceHydrator; h != nil {
		return []argocd.ApplicationSource{h.DrySource.Source()}, []int{IndexDrySource}
	}
	if app.Spec.Source != nil {
		return []argocd.ApplicationSource{*app.Spec.Source}, []int{-1}
	}
	return nil, nil
}

func sourceKindAt(app *argocd.Application, sources []argocd.ApplicationSource, i int) string {
	detected := app.Status.SourceType
	if app.Spec.HasMultipleSources() {
		detected = ""
		if i < len(app.Status.SourceTypes) {
			detected = app.Status.SourceTypes[i]
		}
	}
	return SourceKind(sources[i], detected)
}

// namesImage reports whether a source's overrides mention the target.
// Helm parameters with the default names (image.name, image.tag) count only
// when loose is set, so that explicit matches elsewhere win.
func namesImage(s argocd.ApplicationSource, kind string, t *Target, loose bool) bool {
	switch kind {
	case KindHelm:
		if s.Helm == nil {
			return false
		}
		m := t.Manifest
		for _, p := range s.Helm.Parameters {
			explicit := (m.HelmName != "" && p.Name == m.HelmName) || (m.HelmTag != "" && p.Name == m.HelmTag) || (m.HelmSpec != "" && p.Name == m.HelmSpec)
			byDefault := loose && m.HelmSpec == "" && (p.Name == m.HelmNameParam() || p.Name == m.HelmTagParam())
			if explicit || byDefault {
				return true
			}
		}
		return t.Image.Name != "" && strings.Contains(s.Helm.Values, t.Image.Name)
	case KindKustomize:
		_, ok := kustomizeEntry(s, t)
		return ok
	case KindPlugin:
		_, ok := pluginValue(s, t)
		return ok
	}
	return false
}

// kustomizeEntry returns the source's kustomize images entry for the target.
func kustomizeEntry(s argocd.ApplicationSource, t *Target) (string, bool) {
	if s.Kustomize == nil {
		return "", false
	}
	want := t.Manifest.KustomizeImageName(t.Image)
	for _, e := range s.Kustomize.Images {
		if KustomizeEntryName(e) == want {
			return e, true
		}
	}
	return "", false
}

// KustomizeEntryName returns the image name a kustomize images entry
// ("[old=]name[:tag][@digest]") replaces.
func KustomizeEntryName(entry string) string {
	if old, _, ok := strings.Cut(entry, "="); ok {
		return old
	}
	name, _, _ := imagespec.SplitReference(entry)
	return name
}

func pluginValue(s argocd.ApplicationSource, t *Target) (string, bool) {
	if s.Plugin == nil {
		return "", false
	}
	names := []string{t.Manifest.PluginSpec, t.Manifest.PluginTag}
	for _, n := range names {
		for _, e := range s.Plugin.Env {
			if n != "" && e.Name == n {
				return e.Value, true
			}
		}
	}
	return "", false
}

// Deployed is an image's state in an application.
type Deployed struct {
	// Tag and Digest are the version set in the application ("" when
	// unknown).
	Tag, Digest string
	// Live reports whether status.summary.images lists the image.
	Live bool
}

// DeployedState reads the target's current version from the chosen
// source's overrides (Helm parameters, Kustomize images, plugin env), then
// from the running images in status.summary.images (same registry and
// repository), which also decide liveness.
func DeployedState(app *argocd.Application, t Target) Deployed {
	var d Deployed
	for _, img := range app.Status.Summary.Images {
		spec, err := imagespec.Parse(img)
		if err != nil || !spec.SameImage(t.Image) {
			continue
		}
		d.Live = true
		if d.Tag == "" {
			d.Tag, d.Digest = spec.Constraint, spec.Digest
		}
	}
	if tag, digest, ok := specValue(app, t); ok {
		d.Tag, d.Digest = tag, digest
	}
	return d
}

// specValue reads the version the application's spec overrides set.
func specValue(app *argocd.Application, t Target) (tag, digest string, ok bool) {
	sources, index := appSources(app)
	var s *argocd.ApplicationSource
	for i := range sources {
		if index[i] == t.Source.Index {
			s = &sources[i]
		}
	}
	if s == nil {
		return "", "", false
	}
	switch t.Manifest.Kind {
	case KindHelm:
		return helmValue(s, t)
	case KindKustomize:
		if e, found := kustomizeEntry(*s, &t); found {
			_, ref, _ := strings.Cut(e, "=")
			if ref == "" {
				ref = e
			}
			_, tag, digest := imagespec.SplitReference(ref)
			return tag, digest, tag != "" || digest != ""
		}
	case KindPlugin:
		if v, found := pluginValue(*s, &t); found {
			if t.Manifest.PluginSpec != "" {
				_, tag, digest := imagespec.SplitReference(v)
				return tag, digest, true
			}
			tag, digest := imagespec.SplitTagValue(v)
			return tag, digest, true
		}
	}
	return "", "", false
}

func helmValue(s *argocd.ApplicationSource, t Target) (string, string, bool) {
	if s.Helm == nil {
		return "", "", false
	}
	for _, p := range s.Helm.Parameters {
		if t.Manifest.HelmSpec != "" && p.Name == t.Manifest.HelmSpec {
			_, tag, digest := imagespec.SplitReference(p.Value)
			return tag, digest, true
		}
		if t.Manifest.HelmSpec == "" && p.Name == t.Manifest.HelmTagParam() {
			tag, digest := imagespec.SplitTagValue(p.Value)
			return tag, digest, true
		}
	}
	return "", "", false
}
