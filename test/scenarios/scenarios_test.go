package scenarios_test

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// push is one repository's tags, pushed in this order.
type push struct {
	repo string
	tags []string
}

// application is an Argo CD Application of a scenario. Repo mode writes it
// as a manifest into the repository; the controller creates it in the API
// server (see repoDriver and controllerDriver).
type application struct {
	name, path string
	// source is "helm", "kustomize" or "directory": the Application's
	// source type (the controller reads status.sourceType; repo mode tells
	// it from the files at path).
	source string
	// annotations are argocd-image-updater.argoproj.io/ annotations
	// without the prefix; values may use $REG. write-back-method is the
	// mode's git method unless set here.
	annotations map[string]string
	labels      map[string]string
	// live are the images Argo CD reports running (status.summary.images):
	// the controller's deployed versions; repo mode reads the repository.
	live []string
}

func (a application) applicationSource(w *world) *argocd.ApplicationSource {
	s := &argocd.ApplicationSource{RepoURL: w.repoURL, Path: a.path, TargetRevision: "main"}
	switch a.source {
	case "helm":
		s.Helm = &argocd.ApplicationSourceHelm{}
	case "kustomize":
		s.Kustomize = &argocd.ApplicationSourceKustomize{}
	}
	return s
}

func (a application) sourceType() string {
	return map[string]string{"helm": argocd.SourceTypeHelm, "kustomize": argocd.SourceTypeKustomize, "directory": argocd.SourceTypeDirectory}[a.source]
}

// registryState is how the registry answers during the cycles.
type registryState int

const (
	registryUp registryState = iota
	// registryUnauthorised: the credentials registries.conf names are wrong.
	registryUnauthorised
	// registryDown: every request gets 503 Service Unavailable.
	registryDown
)

// hold is a hold placed before the first cycle, through the mode's holds
// service (repo mode: `imagepilot hold`, a commit of .imagepilot/holds.yaml;
// the controller: the application's imagepilot.io/holds annotation).
type hold struct{ app, image string }

// between is what happens between the two cycles.
type between struct {
	push []push
	// files are committed by a person (not imagepilot).
	files map[string]string
}

// expect is what must be true after a cycle, in both modes. Files may use
// $REG, $REPO and $DIGEST{repo:tag}.
type expect struct {
	updated, skipped, errors int
	// commits counts imagepilot's commits on main since the scenario
	// started (after its hold), subject is a part of the newest one's.
	commits int
	subject string
	// files are exact contents of the pushed main branch; absent must not
	// exist there.
	files  map[string]string
	absent []string
	// logs must appear in the cycle's log.
	logs []string
}

// scenario is one end-to-end case.
type scenario struct {
	name string
	// modes it runs in (nil: both); why says why not both.
	modes []mode
	why   string
	// gaps skips a mode, naming a disagreement between the modes not yet
	// fixed.
	gaps  map[mode]string
	push  []push
	files map[string]string
	apps  []application
	// updaters, by name, are ImageUpdater objects (repo mode: manifests in
	// the repository; the controller: objects, run by RunOnce); without
	// them the applications' annotations select them (the controller's
	// legacy selection, RunLegacy).
	updaters map[string]func(w *world) v1alpha1.ImageUpdaterSpec
	hold     *hold
	registry registryState
	between  between
	first    expect
	second   expect
}

const kustomizationTemplate = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
images:
# the web image
- name: web
  newName: $REG/team/web
  newTag: %s # bumped by imagepilot
`

// kustomizationDigest is the kustomization of an overlay deploying
// team/web at tag@digest.
func kustomizationDigest(tag, digest string) string {
	return strings.Replace(kustomization(tag), "# bumped by imagepilot\n", "# bumped by imagepilot\n  digest: "+digest+"\n", 1)
}

// kustomization is the kustomization of an overlay deploying team/web at
// tag.
func kustomization(tag string) string { return fmt.Sprintf(kustomizationTemplate, tag) }

// overlay returns the files of a kustomize overlay at dir.
func overlay(dir, tag string) map[string]string {
	return map[string]string{
		dir + "/kustomization.yaml": kustomization(tag),
		dir + "/deployment.yaml":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
	}
}

// webApp is an annotated kustomize Application of team/web at dir,
// running tag, the image list entry web=$REG/team/web<constraint> and extra
// annotations.
func webApp(name, dir, tag, constraint string, extra map[string]string) application {
	ann := map[string]string{
		"image-list":               "web=$REG/team/web" + constraint,
		"web.kustomize.image-name": "web",
		"write-back-target":        "kustomization",
	}
	for k, v := range extra {
		ann[k] = v
	}
	return application{name: name, path: dir, source: "kustomize", annotations: ann, live: []string{"$REG/team/web:" + tag}}
}

const valuesTemplate = `# front end
image:
  repository: $REG/team/guestbook
  tag: %s   # managed by imagepilot
replicas: 2
`

func values(tag string) string { return fmt.Sprintf(valuesTemplate, tag) }

// chart returns the files of the guestbook Helm chart at dir, values at tag.
func chart(dir, tag string) map[string]string {
	return map[string]string{
		dir + "/Chart.yaml":  "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n",
		dir + "/values.yaml": values(tag),
	}
}

// guestbookApp is the annotated Helm Application of team/guestbook.
func guestbookApp(name, dir, tag string, extra map[string]string) application {
	ann := map[string]string{
		"image-list":                "guestbook=$REG/team/guestbook",
		"guestbook.helm.image-name": "image.repository",
		"guestbook.helm.image-tag":  "image.tag",
	}
	for k, v := range extra {
		ann[k] = v
	}
	return application{name: name, path: dir, source: "helm", annotations: ann, live: []string{"$REG/team/guestbook:" + tag}}
}

// argocdSource is the .argocd-source-<app>.yaml imagepilot writes for the
// guestbook chart at tag.
func argocdSource(tag string) string {
	return "helm:\n  parameters:\n  - name: image.repository\n    value: $REG/team/guestbook\n    forcestring: true\n  - name: image.tag\n    value: " + tag + "\n    forcestring: true\n"
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func strp(s string) *string { return &s }

// kustomizeUpdater is an ImageUpdater updating team/web in the
// kustomization of the application named app, with allowTags when set.
func kustomizeUpdater(w *world, app, allowTags string) v1alpha1.ImageUpdaterSpec {
	settings := &v1alpha1.CommonUpdateSettings{UpdateStrategy: strp("semver")}
	if allowTags != "" {
		settings.AllowTags = strp(allowTags)
	}
	return v1alpha1.ImageUpdaterSpec{
		CommonUpdateSettings: settings,
		WriteBackConfig:      &v1alpha1.WriteBackConfig{Method: w.writeBack, GitConfig: &v1alpha1.GitConfig{WriteBackTarget: "kustomization"}},
		ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: app, Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: w.reg.Host + "/team/web",
			ManifestTargets: &v1alpha1.ManifestTarget{Kustomize: &v1alpha1.KustomizeTarget{Name: "web"}}}}}},
	}
}

// scenarios is the table. Every row runs as TestScenarios/<name>/repo and
// TestScenarios/<name>/controller unless its modes say otherwise.
var scenarios = []scenario{
	{
		name:  "semver update of a kustomize image",
		push:  []push{{"team/web", []string{"1.0.0", "1.4.0", "2.0.0"}}},
		files: overlay("overlays/prod", "1.0.0"),
		apps:  []application{webApp("web-prod", "overlays/prod", "1.0.0", ":~1", nil)},
		first: expect{updated: 1, commits: 1, subject: "automatic update of web-prod",
			files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.4.0")}},
		// Nothing new: no commit on the second cycle.
		second: expect{skipped: 1, commits: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.4.0")}},
	},
	{
		name:    "a new tag between cycles moves the image again",
		push:    []push{{"team/web", []string{"1.0.0", "1.1.0"}}},
		files:   overlay("overlays/prod", "1.0.0"),
		apps:    []application{webApp("web-prod", "overlays/prod", "1.0.0", "", nil)},
		first:   expect{updated: 1, commits: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.1.0")}},
		between: between{push: []push{{"team/web", []string{"1.2.0"}}}},
		second:  expect{updated: 1, commits: 2, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.2.0")}},
	},
	{
		name:  "helm image.tag in .argocd-source-<app>.yaml",
		push:  []push{{"team/guestbook", []string{"v1", "v2", "v3"}}},
		files: chart("helm", "v1"),
		apps:  []application{guestbookApp("guestbook", "helm", "v1", nil)},
		first: expect{updated: 1, commits: 1, subject: "automatic update of guestbook",
			files: map[string]string{"helm/.argocd-source-guestbook.yaml": argocdSource("v3"), "helm/values.yaml": values("v1")}},
		second: expect{skipped: 1, commits: 1, files: map[string]string{"helm/.argocd-source-guestbook.yaml": argocdSource("v3")}},
	},
	{
		name:  "helmvalues write-back edits only the tag of values.yaml",
		push:  []push{{"team/guestbook", []string{"v1", "v2"}}},
		files: chart("helm", "v1"),
		apps:  []application{guestbookApp("guestbook", "helm", "v1", map[string]string{"write-back-target": "helmvalues"})},
		first: expect{updated: 1, commits: 1, files: map[string]string{"helm/values.yaml": values("v2")},
			absent: []string{"helm/.argocd-source-guestbook.yaml"}},
		second: expect{skipped: 1, commits: 1, files: map[string]string{"helm/values.yaml": values("v2")}},
	},
	{
		name:  "helmvalues:<file> writes the named values file",
		push:  []push{{"team/guestbook", []string{"v1", "v2"}}},
		files: merge(chart("helm", "v1"), map[string]string{"helm/values-prod.yaml": values("v1")}),
		apps:  []application{guestbookApp("guestbook", "helm", "v1", map[string]string{"write-back-target": "helmvalues:values-prod.yaml"})},
		first: expect{updated: 1, commits: 1, files: map[string]string{"helm/values-prod.yaml": values("v2"), "helm/values.yaml": values("v1")},
			absent: []string{"helm/.argocd-source-guestbook.yaml"}},
		second: expect{skipped: 1, commits: 1},
	},
	{
		name: "helm image-spec writes name and tag in one value",
		push: []push{{"team/guestbook", []string{"v1", "v2"}}},
		files: map[string]string{
			"spec/Chart.yaml":  "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n",
			"spec/values.yaml": "image:\n  full: $REG/team/guestbook:v1\n",
		},
		apps: []application{{name: "guestbook", path: "spec", source: "helm", annotations: map[string]string{
			"image-list":                "guestbook=$REG/team/guestbook",
			"guestbook.helm.image-spec": "image.full",
			"write-back-target":         "helmvalues",
		}, live: []string{"$REG/team/guestbook:v1"}}},
		first:  expect{updated: 1, commits: 1, files: map[string]string{"spec/values.yaml": "image:\n  full: $REG/team/guestbook:v2\n"}},
		second: expect{skipped: 1, commits: 1},
	},
	{
		// worker is in the image list but nothing runs it: repo mode finds
		// no file naming it, the controller no running image.
		name:  "an image the application does not run is skipped",
		push:  []push{{"team/guestbook", []string{"v1", "v2"}}, {"team/worker", []string{"1.0.0", "1.1.0"}}},
		files: chart("helm", "v1"),
		apps: []application{guestbookApp("guestbook", "helm", "v1", map[string]string{
			"image-list":             "guestbook=$REG/team/guestbook, worker=$REG/team/worker",
			"worker.helm.image-name": "worker.repository",
			"worker.helm.image-tag":  "worker.tag",
		})},
		first: expect{updated: 1, skipped: 1, commits: 1, files: map[string]string{"helm/.argocd-source-guestbook.yaml": argocdSource("v2")},
			logs: []string{"is not live in application"}},
		second: expect{skipped: 2, commits: 1},
	},
	{
		name:  "force-update writes an image the application does not run",
		push:  []push{{"team/guestbook", []string{"v1", "v2"}}, {"team/worker", []string{"1.0.0", "1.1.0"}}},
		files: chart("helm", "v2"),
		apps: []application{guestbookApp("guestbook", "helm", "v2", map[string]string{
			"image-list":             "guestbook=$REG/team/guestbook, worker=$REG/team/worker",
			"worker.helm.image-name": "worker.repository",
			"worker.helm.image-tag":  "worker.tag",
			"worker.force-update":    "true",
		})},
		first: expect{updated: 1, skipped: 1, commits: 1, files: map[string]string{"helm/.argocd-source-guestbook.yaml": "helm:\n  parameters:\n" +
			"  - name: worker.repository\n    value: $REG/team/worker\n    forcestring: true\n" +
			"  - name: worker.tag\n    value: 1.1.0\n    forcestring: true\n"}},
		second: expect{skipped: 2, commits: 1},
	},
	{
		name:  "allow-tags regexp narrows the candidates",
		push:  []push{{"team/web", []string{"1.0.0", "1.1.0", "1.1.5", "1.2.0", "2.0.0"}}},
		files: overlay("overlays/prod", "1.0.0"),
		apps: []application{webApp("web-prod", "overlays/prod", "1.0.0", "", map[string]string{
			"web.allow-tags": `regexp:^1\.1\.[0-9]+$`})},
		first:  expect{updated: 1, commits: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.1.5")}},
		second: expect{skipped: 1, commits: 1},
	},
	{
		name:  "ignore-tags globs drop tags",
		push:  []push{{"team/web", []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0"}}},
		files: overlay("overlays/prod", "1.0.0"),
		apps: []application{webApp("web-prod", "overlays/prod", "1.0.0", "", map[string]string{
			"web.ignore-tags": "2.*, 1.2.0"})},
		first:  expect{updated: 1, commits: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.1.0")}},
		second: expect{skipped: 1, commits: 1},
	},
	{
		name:  "digest strategy follows a moving tag",
		push:  []push{{"team/web", []string{"latest"}}},
		files: overlay("overlays/prod", "latest"),
		apps: []application{webApp("web-prod", "overlays/prod", "latest", ":latest", map[string]string{
			"web.update-strategy": "digest"})},
		first: expect{updated: 1, commits: 1,
			files: map[string]string{"overlays/prod/kustomization.yaml": kustomizationDigest("latest", "$DIGEST{team/web:latest}")}},
		between: between{push: []push{{"team/web", []string{"latest"}}}},
		second: expect{updated: 1, commits: 2,
			files: map[string]string{"overlays/prod/kustomization.yaml": kustomizationDigest("latest", "$DIGEST{team/web:latest}")}},
	},
	{
		// Tags pushed in this order: build-a is the newest build although it
		// sorts first.
		name:  "newest-build picks the most recently built tag",
		push:  []push{{"team/web", []string{"build-b", "build-c", "build-a"}}},
		files: overlay("overlays/prod", "build-b"),
		apps: []application{webApp("web-prod", "overlays/prod", "build-b", "", map[string]string{
			"web.update-strategy": "newest-build"})},
		first:  expect{updated: 1, commits: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("build-a")}},
		second: expect{skipped: 1, commits: 1},
	},
	{
		name:   "a held image stays where it is",
		push:   []push{{"team/web", []string{"1.0.0", "1.4.0"}}},
		files:  overlay("overlays/prod", "1.0.0"),
		apps:   []application{webApp("web-prod", "overlays/prod", "1.0.0", "", nil)},
		hold:   &hold{app: "web-prod", image: "web"},
		first:  expect{skipped: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.0.0")}, logs: []string{"freeze"}},
		second: expect{skipped: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.0.0")}},
	},
	{
		name:  "a malformed annotation blocks only its application",
		push:  []push{{"team/guestbook", []string{"v1", "v2"}}},
		files: merge(chart("helm", "v1"), chart("broken", "v1")),
		apps: []application{
			guestbookApp("guestbook", "helm", "v1", nil),
			guestbookApp("broken", "broken", "v1", map[string]string{"image-list": "Bad Image=$REG/team/guestbook"}),
		},
		first: expect{updated: 1, errors: 1, commits: 1, subject: "automatic update of guestbook",
			files:  map[string]string{"helm/.argocd-source-guestbook.yaml": argocdSource("v2")},
			absent: []string{"broken/.argocd-source-broken.yaml"}, logs: []string{"broken"}},
		second: expect{skipped: 1, errors: 1, commits: 1, absent: []string{"broken/.argocd-source-broken.yaml"}},
	},
	{
		name:     "an unauthorised tag listing never updates",
		push:     []push{{"team/web", []string{"1.0.0", "1.4.0", "1.5.0"}}},
		files:    overlay("overlays/prod", "1.4.0"),
		apps:     []application{webApp("web-prod", "overlays/prod", "1.4.0", "", nil)},
		registry: registryUnauthorised,
		first:    expect{errors: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.4.0")}},
		second:   expect{errors: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.4.0")}},
	},
	{
		name:     "a registry that is down never updates or downgrades",
		push:     []push{{"team/web", []string{"1.0.0", "1.4.0", "1.5.0"}}},
		files:    overlay("overlays/prod", "1.4.0"),
		apps:     []application{webApp("web-prod", "overlays/prod", "1.4.0", "", nil)},
		registry: registryDown,
		first:    expect{errors: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.4.0")}},
		second:   expect{errors: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.4.0")}},
	},
	{
		name:   "only older tags in the registry: no downgrade",
		push:   []push{{"team/web", []string{"1.0.0", "1.4.0"}}},
		files:  overlay("overlays/prod", "1.5.0"),
		apps:   []application{webApp("web-prod", "overlays/prod", "1.5.0", "", nil)},
		first:  expect{skipped: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.5.0")}},
		second: expect{skipped: 1},
	},
	{
		name:   "already up to date",
		push:   []push{{"team/web", []string{"1.0.0", "1.4.0"}}},
		files:  overlay("overlays/prod", "1.4.0"),
		apps:   []application{webApp("web-prod", "overlays/prod", "1.4.0", "", nil)},
		first:  expect{skipped: 1, files: map[string]string{"overlays/prod/kustomization.yaml": kustomization("1.4.0")}},
		second: expect{skipped: 1},
	},
	{
		name:  "two applications in one repository give one commit",
		push:  []push{{"team/web", []string{"1.0.0", "1.3.0"}}},
		files: merge(overlay("overlays/staging", "1.0.0"), overlay("overlays/prod", "1.0.0")),
		apps: []application{
			webApp("web-staging", "overlays/staging", "1.0.0", "", nil),
			webApp("web-prod", "overlays/prod", "1.0.0", "", nil),
		},
		first: expect{updated: 2, commits: 1, files: map[string]string{
			"overlays/staging/kustomization.yaml": kustomization("1.3.0"), "overlays/prod/kustomization.yaml": kustomization("1.3.0")}},
		second: expect{skipped: 2, commits: 1},
	},
	{
		name:  "an ImageUpdater object selects by name and label",
		push:  []push{{"team/web", []string{"1.0.0", "1.0.3", "1.1.0", "2.0.0"}}},
		files: merge(overlay("overlays/prod", "1.0.0"), overlay("overlays/other", "1.0.0")),
		apps: []application{
			{name: "web-prod", path: "overlays/prod", source: "kustomize", labels: map[string]string{"team": "web"}, live: []string{"$REG/team/web:1.0.0"}},
			{name: "web-other", path: "overlays/other", source: "kustomize", live: []string{"$REG/team/web:1.0.0"}},
		},
		updaters: map[string]func(w *world) v1alpha1.ImageUpdaterSpec{"updater": func(w *world) v1alpha1.ImageUpdaterSpec {
			return v1alpha1.ImageUpdaterSpec{
				CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{UpdateStrategy: strp("semver")},
				WriteBackConfig:      &v1alpha1.WriteBackConfig{Method: w.writeBack, GitConfig: &v1alpha1.GitConfig{WriteBackTarget: "kustomization"}},
				ApplicationRefs: []v1alpha1.ApplicationRef{{
					NamePattern:    "web-*",
					LabelSelectors: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "web"}},
					Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: w.reg.Host + "/team/web:~1",
						ManifestTargets: &v1alpha1.ManifestTarget{Kustomize: &v1alpha1.KustomizeTarget{Name: "web"}}}},
				}},
			}
		}},
		first: expect{updated: 1, commits: 1, files: map[string]string{
			"overlays/prod/kustomization.yaml": kustomization("1.1.0"), "overlays/other/kustomization.yaml": kustomization("1.0.0")}},
		second: expect{skipped: 1, commits: 1},
	},
	{
		name: "two images of one application: one commit, both counted",
		push: []push{{"team/web", []string{"1.0.0", "1.2.0"}}, {"team/worker", []string{"2.0.0", "2.1.0"}}},
		files: map[string]string{
			"overlays/prod/kustomization.yaml": kustomization("1.0.0") + "- name: worker\n  newName: $REG/team/worker\n  newTag: 2.0.0\n",
			"overlays/prod/deployment.yaml":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
		},
		apps: []application{{name: "shop", path: "overlays/prod", source: "kustomize", annotations: map[string]string{
			"image-list":                  "web=$REG/team/web, worker=$REG/team/worker",
			"web.kustomize.image-name":    "web",
			"worker.kustomize.image-name": "worker",
			"write-back-target":           "kustomization",
		}, live: []string{"$REG/team/web:1.0.0", "$REG/team/worker:2.0.0"}}},
		first: expect{updated: 2, commits: 1, subject: "automatic update of shop", files: map[string]string{
			"overlays/prod/kustomization.yaml": kustomization("1.2.0") + "- name: worker\n  newName: $REG/team/worker\n  newTag: 2.1.0\n"}},
		second: expect{skipped: 2, commits: 1},
	},
	{
		name:  "an ImageUpdater with a Helm target writes .argocd-source-<app>.yaml",
		push:  []push{{"team/guestbook", []string{"v1", "v2", "v3"}}},
		files: chart("helm", "v1"),
		apps:  []application{{name: "guestbook", path: "helm", source: "helm", live: []string{"$REG/team/guestbook:v1"}}},
		updaters: map[string]func(w *world) v1alpha1.ImageUpdaterSpec{"updater": func(w *world) v1alpha1.ImageUpdaterSpec {
			return v1alpha1.ImageUpdaterSpec{
				WriteBackConfig: &v1alpha1.WriteBackConfig{Method: w.writeBack},
				ApplicationRefs: []v1alpha1.ApplicationRef{{
					NamePattern: "guestbook",
					Images: []v1alpha1.ImageConfig{{Alias: "guestbook", ImageName: w.reg.Host + "/team/guestbook",
						ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "image.repository", Tag: "image.tag"}}}},
				}},
			}
		}},
		first:  expect{updated: 1, commits: 1, files: map[string]string{"helm/.argocd-source-guestbook.yaml": argocdSource("v3")}},
		second: expect{skipped: 1, commits: 1},
	},
	{
		name:  "a directory source is skipped, saying why",
		push:  []push{{"team/web", []string{"1.0.0", "1.1.0"}}},
		files: map[string]string{"plain/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"},
		apps: []application{{name: "plain", path: "plain", source: "directory", annotations: map[string]string{
			"image-list": "web=$REG/team/web",
		}, live: []string{"$REG/team/web:1.0.0"}}},
		// Argo CD Image Updater ignores such applications. The controller
		// used to write Helm parameters into .argocd-source-plain.yaml
		// (which Argo CD never applies to a directory) and count an update,
		// while repo mode skipped the image as "not live": both now skip it
		// and say why (internal/updater).
		first: expect{skipped: 1, absent: []string{"plain/.argocd-source-plain.yaml"},
			logs: []string{`plain directory source (path \"plain\")`}},
		second: expect{skipped: 1},
	},
	{
		name:  "a broken ImageUpdater blocks only its applications",
		push:  []push{{"team/web", []string{"1.0.0", "1.1.0"}}},
		files: merge(overlay("overlays/prod", "1.0.0"), overlay("overlays/broken", "1.0.0")),
		apps: []application{
			{name: "web-prod", path: "overlays/prod", source: "kustomize", live: []string{"$REG/team/web:1.0.0"}},
			{name: "web-broken", path: "overlays/broken", source: "kustomize", live: []string{"$REG/team/web:1.0.0"}},
		},
		updaters: map[string]func(w *world) v1alpha1.ImageUpdaterSpec{
			"good":   func(w *world) v1alpha1.ImageUpdaterSpec { return kustomizeUpdater(w, "web-prod", "") },
			"broken": func(w *world) v1alpha1.ImageUpdaterSpec { return kustomizeUpdater(w, "web-broken", "regexp:([") },
		},
		first: expect{updated: 1, errors: 1, commits: 1, subject: "automatic update of web-prod", files: map[string]string{
			"overlays/prod/kustomization.yaml": kustomization("1.1.0"), "overlays/broken/kustomization.yaml": kustomization("1.0.0")},
			logs: []string{"allowTags"}},
		second: expect{skipped: 1, errors: 1, commits: 1},
	},
	{
		// Rollback detection reads the repository's history: a value
		// imagepilot wrote that someone else changed is held. Only repo mode
		// has that history as its source of truth; the controller reads the
		// deployed version from the Application Argo CD reports, so a
		// rollback there is just the deployed version.
		name:    "a rollback by a person is held",
		modes:   []mode{repoMode},
		why:     "rollback detection reads the repository's history, which only repo mode plans from",
		push:    []push{{"team/guestbook", []string{"v1", "v2", "v3"}}},
		files:   chart("helm", "v1"),
		apps:    []application{guestbookApp("guestbook", "helm", "v1", nil)},
		first:   expect{updated: 1, commits: 1, files: map[string]string{"helm/.argocd-source-guestbook.yaml": argocdSource("v3")}},
		between: between{files: map[string]string{"helm/.argocd-source-guestbook.yaml": argocdSource("v2")}},
		second:  expect{skipped: 1, commits: 1, files: map[string]string{"helm/.argocd-source-guestbook.yaml": argocdSource("v2")}},
	},
}

// TestScenarios runs every scenario in each of its modes, one at a time
// (the controller's RunOnce reconciles every ImageUpdater of the shared API
// server, and the registry credentials are an environment variable).
func TestScenarios(t *testing.T) {
	names := map[string]bool{}
	for i := range scenarios {
		sc := &scenarios[i]
		if names[sc.name] {
			t.Fatalf("two scenarios named %q", sc.name)
		}
		names[sc.name] = true
		modes := sc.modes
		if modes == nil {
			modes = bothModes
		} else if sc.why == "" {
			t.Fatalf("%s runs in %v only and does not say why", sc.name, modes)
		}
		t.Run(strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) {
			for _, m := range modes {
				t.Run(string(m), func(t *testing.T) { run(t, sc, m) })
			}
		})
	}
}
