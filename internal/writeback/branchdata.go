package writeback

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// branchData is what the write-branch template of the application whose
// decisions are app receives.
func branchData(t target.Target, l Layout, app []updater.Decision) BranchData {
	d := BranchData{AppName: t.App.Name, AppNamespace: t.App.Namespace, TargetKey: l.TargetKey(t)}
	h := sha256.New()
	for _, dec := range app {
		img := BranchImage{
			Name:   upstreamImageName(dec.Target.Image),
			Alias:  dec.Target.Image.Alias,
			OldTag: versionString(dec.Current.Tag, dec.Current.Digest),
			NewTag: versionString(newValue(dec).Tag, newValue(dec).Digest),
		}
		d.Images = append(d.Images, img)
		fmt.Fprintf(h, "%s-%s-%s,", img.Name, img.OldTag, img.NewTag)
	}
	d.SHA256 = hex.EncodeToString(h.Sum(nil))
	return d
}

// versionString is a version as upstream prints one: its digest when it
// has one, else its tag.
func versionString(tag, digest string) string {
	if digest != "" {
		return digest
	}
	return tag
}

// upstreamImageName is the image name upstream's templates and hashes use:
// the repository path without the registry, Docker Hub's library/ removed
// unless the image was written with it.
func upstreamImageName(s imagespec.Spec) string {
	name := s.Repository
	if strings.HasPrefix(name, "library/") && !strings.HasPrefix(s.Name, "library/") {
		name = strings.TrimPrefix(name, "library/")
	}
	return name
}

// TargetKey identifies an application's write-back destination the way
// upstream's write-branch templates and pull-request de-duplication do:
// the first 8 hex digits of the SHA-256 of "<repository>|<base>|<target>",
// where repository is the git-repository setting or the source's repoURL
// as written, base the part of the git-branch setting before ':' as
// written, and target the path upstream derives from write-back-target.
func (l Layout) TargetKey(t target.Target) string {
	repo := t.WriteBack.Repository
	if repo == "" {
		repo = t.Source.RepoURL
	}
	base, _, _ := strings.Cut(strings.TrimSpace(t.WriteBack.Branch), ":")
	sum := sha256.Sum256([]byte(repo + "|" + base + "|" + l.upstreamTarget(t)))
	return hex.EncodeToString(sum[:])[:8]
}

// upstreamTarget is the target path upstream keys on: the default override
// file for no target and for kustomization targets (upstream keeps the
// default there), the values file of a helmvalues target, or the target as
// written.
func (l Layout) upstreamTarget(t target.Target) string {
	spec := t.WriteBack.Target
	switch {
	case spec == "" || strings.HasPrefix(spec, FileKustomization):
		return filepath.Join(t.Source.Path, l.overrideName(t.App))
	case spec == FileHelmValues:
		return filepath.Join(t.Source.Path, "./", "values.yaml")
	case strings.HasPrefix(spec, FileHelmValues):
		arg := spec[len(FileHelmValues)+1:]
		if strings.HasPrefix(arg, "/") {
			return arg[1:]
		}
		return filepath.Join(t.Source.Path, arg)
	default:
		return spec
	}
}
