package infra

import "fmt"

// GuestbookApplication returns the annotated guestbook Application of the
// Argo CD Image Updater guides, as repo-mode tests keep it in a repository:
// the Helm chart at helm/ of repoURL, the image registry/team/guestbook, git
// write-back, and the image's name and tag in the Helm values
// valuesPrefix+"image.repository" and valuesPrefix+"image.tag".
// extraAnnotations (whole indented lines) are added to the annotations.
func GuestbookApplication(repoURL, registry, valuesPrefix, extraAnnotations string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: guestbook=%[2]s/team/guestbook
    argocd-image-updater.argoproj.io/guestbook.helm.image-name: %[3]simage.repository
    argocd-image-updater.argoproj.io/guestbook.helm.image-tag: %[3]simage.tag
    argocd-image-updater.argoproj.io/write-back-method: git
%[4]sspec:
  project: default
  source:
    repoURL: %[1]s
    targetRevision: main
    path: helm
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`, repoURL, registry, valuesPrefix, extraAnnotations)
}
