// Package repomode runs imagepilot against a GitOps repository without a
// cluster: it reads Argo CD Application manifests from the repository's YAML
// files, keeps the images of the applications whose sources live in that same
// repository up to date, and writes every change as a commit (one per branch
// and cycle). The deployed version of each image is read from the manifests
// themselves (the .argocd-source file, the Helm values, the kustomization).
//
// Repository addresses are compared in the form NormalizeRepoURL gives them;
// an application configured for image updates whose sources all live
// elsewhere is reported (Report.Skipped), never silently dropped. Messages
// name the repository through RedactURL, so a password in it never shows.
package repomode
