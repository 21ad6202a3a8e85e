package repomode_test

import (
	"fmt"
	"strings"
	"testing"
)

// annotatedKustomizeRepo is kustomizeRepo with an Application that also
// carries annotations which, used instead of the ImageUpdater, would update
// the image.
func annotatedKustomizeRepo(e *env, updater func(string) string) map[string]string {
	files := kustomizeRepo(e)
	files["apps/web.yaml"] = strings.Replace(files["apps/web.yaml"], "  labels: {team: web}\n", fmt.Sprintf(`  labels: {team: web}
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=%s/team/web
    argocd-image-updater.argoproj.io/web.kustomize.image-name: web
    argocd-image-updater.argoproj.io/write-back-target: kustomization
`, e.reg.Host), 1)
	files["imagepilot/updater.yaml"] = updater(files["imagepilot/updater.yaml"])
	return files
}

// TestRepoModeUnresolvableAndBrokenSelectionsLeaveTheApplicationAlone: an
// ImageUpdater asking for signature verification with a key repo mode was
// not given (--cosign-secret), or with a broken setting, makes no commit:
// no unverified image, no fallback to the Application's annotations; plan
// says why and what to pass.
func TestRepoModeUnresolvableAndBrokenSelectionsLeaveTheApplicationAlone(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(string) string
		want string
	}{
		"verification without its key": {
			edit: func(s string) string {
				return strings.Replace(s, "  applicationRefs:\n", "  imagesVerification:\n    cosignKey: {secretName: cosign, key: cosign.pub}\n  applicationRefs:\n", 1)
			},
			want: "spec.imagesVerification.cosignKey: no key for Secret argocd/cosign key",
		},
		"strategy typo": {
			edit: func(s string) string {
				return strings.Replace(s, "updateStrategy: semver", "updateStrategy: semverr", 1)
			},
			want: "spec.commonUpdateSettings.updateStrategy",
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := setup(t, func(e *env) map[string]string { return annotatedKustomizeRepo(e, tc.edit) })
			e.push(t, "team/web", "1.0.0", "1.1.0")
			head := e.head(t)
			code, out, stderr := e.imagepilot(t, "plan")
			if !strings.Contains(out+stderr, tc.want) || strings.Contains(out, "1.1.0") {
				t.Errorf("plan exit %d does not say %q or plans the update:\n%s\n%s", code, tc.want, out, stderr)
			}
			code, out, stderr = e.imagepilot(t, "run", "--once")
			if code != 4 || e.head(t) != head || !strings.Contains(stderr, tc.want) {
				t.Fatalf("run exit %d, head moved %v\n%s\n%s", code, e.head(t) != head, out, stderr)
			}
		})
	}
}
