package target

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
)

// ErrConfig marks a configuration error in annotations or ImageUpdater objects.
var ErrConfig = errors.New("configuration error")

// AppRef names an Argo CD Application.
type AppRef struct {
	Namespace string
	Name      string
}

// String prints namespace/name.
func (a AppRef) String() string {
	if a.Namespace == "" {
		return a.Name
	}
	return a.Namespace + "/" + a.Name
}

// Target is one image of one application to keep up to date.
type Target struct {
	// App is the application the image belongs to.
	App AppRef
	// Image is the image spec (alias, name, constraint).
	Image imagespec.Spec
	// Policy holds the update strategy and tag filters.
	Policy policy.Settings
	// ForceUpdate updates the image even when the application does not run it.
	ForceUpdate bool
	// PullSecret is a credential reference for this image's registry.
	PullSecret string
	// Manifest says where the image's name and tag live in the manifests.
	Manifest Manifest
	// WriteBack says how a change is written back.
	WriteBack WriteBack
	// Source is the application source whose manifests hold the image.
	Source Source
	// Verification is the signature policy an ImageUpdater's
	// imagesVerification blocks ask for; nil when verification is off.
	// The controller (or repo mode) turns it into Policy.Verify before
	// planning; a target whose Verification cannot be resolved is never
	// planned.
	Verification *Verification
}

// Source is the application source that holds an image's manifests.
type Source struct {
	// RepoURL, Path, TargetRevision and Chart are copied from the Application.
	RepoURL, Path, TargetRevision, Chart string
	// Kind is helm, kustomize, plugin or directory.
	Kind string
	// ValueFiles are the Helm value files, relative to Path.
	ValueFiles []string
	// Index is the position in spec.sources, -1 for spec.source or
	// IndexDrySource for spec.sourceHydrator.drySource.
	Index int
}

// IndexDrySource is the Source.Index of a Source Hydrator application's
// dry source.
const IndexDrySource = -2

// Manifest says which parameters carry the image in the application's
// manifests. Unset Helm parameter names default to image.name / image.tag.
type Manifest struct {
	// Kind is helm, kustomize or plugin; empty means decided by the source type.
	Kind string
	// HelmName, HelmTag and HelmSpec are Helm parameter names.
	HelmName, HelmTag, HelmSpec string
	// KustomizeName is the original image name in the kustomization.
	KustomizeName string
	// PluginName, PluginTag and PluginSpec are plugin environment variables.
	PluginName, PluginTag, PluginSpec string
}

// Manifest kinds.
const (
	KindHelm      = "helm"
	KindKustomize = "kustomize"
	KindPlugin    = "plugin"
)

// HelmNameParam returns the Helm parameter for the image name.
func (m Manifest) HelmNameParam() string { return orDefault(m.HelmName, "image.name") }

// HelmTagParam returns the Helm parameter for the image tag.
func (m Manifest) HelmTagParam() string { return orDefault(m.HelmTag, "image.tag") }

// KustomizeImageName returns the kustomization image to replace.
func (m Manifest) KustomizeImageName(img imagespec.Spec) string {
	return orDefault(m.KustomizeName, img.Name)
}

// Write-back methods.
const (
	MethodArgoCD = "argocd"
	MethodGit    = "git"
)

// WriteBack says how changes to an application are written back.
type WriteBack struct {
	// Method is argocd or git.
	Method string
	// Credentials for git: "" or "repocreds" (Argo CD's repository
	// secrets) or "secret:[ns/]name".
	Credentials string
	// Target is "" (the .argocd-source-<app>.yaml file),
	// "kustomization[:path]", "helmvalues[:path]" or a file path.
	Target string
	// Branch is "branch", "base:writeTemplate" or ":writeTemplate".
	Branch string
	// Repository overrides the source's repoURL.
	Repository string
	// PullRequest, when set, proposes the change as a pull (merge) request
	// instead of pushing to Branch, which is then the request's base.
	PullRequest *PullRequest
}

// Pull request providers.
const (
	ProviderGitHub = "github"
	ProviderGitLab = "gitlab"
	ProviderGitea  = "gitea"
)

// PullRequest says on which forge a change is proposed.
type PullRequest struct {
	// Provider is ProviderGitHub, ProviderGitLab or ProviderGitea.
	Provider string
	// APIURL overrides the API base URL derived from the repository URL.
	APIURL string
	// Labels are put on the request when it is opened.
	Labels []string
	// Field names the pullRequest block the setting came from, for errors.
	Field string
}

// ParseMethod parses a write-back-method value.
func ParseMethod(s string) (WriteBack, error) {
	switch {
	case s == "" || s == MethodArgoCD:
		return WriteBack{Method: MethodArgoCD}, nil
	case s == MethodGit || s == "git:repocreds":
		return WriteBack{Method: MethodGit, Credentials: "repocreds"}, nil
	case len(s) > len("git:secret:") && s[:len("git:secret:")] == "git:secret:":
		return WriteBack{Method: MethodGit, Credentials: s[len("git:"):]}, nil
	}
	return WriteBack{}, fmt.Errorf("%w: write-back-method %q: want argocd, git, git:repocreds or git:secret:[namespace/]name", ErrConfig, s)
}

// ValidateBranch checks a git-branch setting ("branch",
// "base:writeBranchTemplate" or ":writeBranchTemplate"): the write-branch
// template must parse as a Go text/template and render with the fields
// write-branch templates receive (upstream's: .Images[].Name/Alias/OldTag/
// NewTag, .SHA256, .TargetKey, .AppName, .AppNamespace), so an unknown
// field is reported before anything is planned.
func ValidateBranch(s string) error {
	_, tmpl, ok := strings.Cut(s, ":")
	if !ok {
		return nil
	}
	if strings.TrimSpace(tmpl) == "" {
		return fmt.Errorf("%w: write branch template is empty in %q", ErrConfig, s)
	}
	t, err := template.New("branch").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return fmt.Errorf("%w: write branch template %q: %w", ErrConfig, tmpl, err)
	}
	if err := t.Execute(io.Discard, sampleBranchData); err != nil {
		return fmt.Errorf("%w: write branch template %q: %w", ErrConfig, tmpl, err)
	}
	return nil
}

// branchData mirrors the fields write-branch templates receive, with sample
// values, to try templates on.
type branchData struct {
	Images                []branchImage
	SHA256, TargetKey     string
	AppName, AppNamespace string
}

type branchImage struct{ Name, Alias, OldTag, NewTag string }

var sampleBranchData = branchData{
	Images:    []branchImage{{Name: "team/app", Alias: "app", OldTag: "1.0.0", NewTag: "1.0.1"}},
	SHA256:    strings.Repeat("0123456789abcdef", 4),
	TargetKey: "0123abcd", AppName: "app", AppNamespace: "argocd",
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
