package target

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
)

// AnnotationPrefix is the annotation prefix users already have.
const AnnotationPrefix = "argocd-image-updater.argoproj.io/"

// Annotation keys (without prefix).
const (
	KeyImageList       = "image-list"
	KeyWriteBackMethod = "write-back-method"
	KeyWriteBackTarget = "write-back-target"
	KeyGitBranch       = "git-branch"
	KeyGitRepository   = "git-repository"
	KeyUpdateStrategy  = "update-strategy"
	KeyAllowTags       = "allow-tags"
	KeyIgnoreTags      = "ignore-tags"
	KeyForceUpdate     = "force-update"
	KeyPullSecret      = "pull-secret"
	KeyPlatforms       = "platforms"
	KeyHelmImageName   = "helm.image-name"
	KeyHelmImageTag    = "helm.image-tag"
	KeyHelmImageSpec   = "helm.image-spec"
	KeyKustomizeImage  = "kustomize.image-name"
)

// HasImageList reports whether annotations carry an image list (the v0.x
// marker of a managed application).
func HasImageList(annotations map[string]string) bool {
	_, ok := annotations[AnnotationPrefix+KeyImageList]
	return ok
}

// FromAnnotations builds the targets an application's annotations describe.
// It returns every valid target, and one error per invalid item (naming the
// annotation); an error in an application-wide key fails every image.
func FromAnnotations(app AppRef, annotations map[string]string) ([]Target, []error) {
	a := annotationReader(annotations)
	list, ok := a.get(KeyImageList)
	if !ok {
		return nil, []error{fmt.Errorf("%w: application %s: annotation %s%s is missing", ErrConfig, app, AnnotationPrefix, KeyImageList)}
	}
	specs, err := imagespec.ParseList(list)
	if err != nil {
		return nil, []error{fmt.Errorf("%w: application %s: annotation %s%s: %w", ErrConfig, app, AnnotationPrefix, KeyImageList, err)}
	}
	wb, err := a.writeBack()
	if err != nil {
		return nil, []error{fmt.Errorf("application %s: %w", app, err)}
	}
	var targets []Target
	var errs []error
	for _, spec := range specs {
		t, err := a.target(app, spec, wb)
		if err != nil {
			errs = append(errs, fmt.Errorf("application %s: image %q: %w", app, spec.Key(), err))
			continue
		}
		targets = append(targets, t)
	}
	return targets, errs
}

type annotationReader map[string]string

func (a annotationReader) get(key string) (string, bool) {
	v, ok := a[AnnotationPrefix+key]
	return strings.TrimSpace(v), ok
}

// forImage returns the alias-specific value of key, falling back to the
// application-wide one. Aliases with '/' are looked up as written and with
// '_' (the v0.x rule).
func (a annotationReader) forImage(spec imagespec.Spec, key string, appWide bool) (string, bool) {
	if spec.Alias != "" {
		for _, alias := range []string{spec.Alias, spec.AnnotationAlias()} {
			if v, ok := a.get(alias + "." + key); ok {
				return v, true
			}
		}
	}
	if appWide {
		return a.get(key)
	}
	return "", false
}

func (a annotationReader) writeBack() (WriteBack, error) {
	method, _ := a.get(KeyWriteBackMethod)
	wb, err := ParseMethod(method)
	if err != nil {
		return WriteBack{}, fmt.Errorf("annotation %s%s: %w", AnnotationPrefix, KeyWriteBackMethod, err)
	}
	wb.Target, _ = a.get(KeyWriteBackTarget)
	wb.Branch, _ = a.get(KeyGitBranch)
	if err := ValidateBranch(wb.Branch); err != nil && wb.Method == MethodGit {
		return WriteBack{}, fmt.Errorf("annotation %s%s: %w", AnnotationPrefix, KeyGitBranch, err)
	}
	wb.Repository, _ = a.get(KeyGitRepository)
	return wb, nil
}

func (a annotationReader) target(app AppRef, spec imagespec.Spec, wb WriteBack) (Target, error) {
	t := Target{App: app, Image: spec, WriteBack: wb}
	t.Policy.Constraint = spec.Constraint
	t.Policy.Strategy, _ = a.forImage(spec, KeyUpdateStrategy, true)
	t.Policy.AllowTags, _ = a.forImage(spec, KeyAllowTags, true)
	if v, ok := a.forImage(spec, KeyIgnoreTags, true); ok {
		t.Policy.IgnoreTags = splitList(v)
	}
	if v, ok := a.forImage(spec, KeyPlatforms, true); ok {
		t.Policy.Platforms = splitList(v)
	}
	if v, ok := a.forImage(spec, KeyForceUpdate, true); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Target{}, fmt.Errorf("%w: annotation %s: %q is not a boolean", ErrConfig, KeyForceUpdate, v)
		}
		t.ForceUpdate = b
	}
	t.PullSecret, _ = a.forImage(spec, KeyPullSecret, true)
	t.Manifest.HelmName, _ = a.forImage(spec, KeyHelmImageName, false)
	t.Manifest.HelmTag, _ = a.forImage(spec, KeyHelmImageTag, false)
	t.Manifest.HelmSpec, _ = a.forImage(spec, KeyHelmImageSpec, false)
	t.Manifest.KustomizeName, _ = a.forImage(spec, KeyKustomizeImage, false)
	if _, err := policy.Compile(t.Policy); err != nil {
		return Target{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return t, nil
}

// splitList splits a comma-separated annotation value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
