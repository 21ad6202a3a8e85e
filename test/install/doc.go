// Package install tests imagepilot's install manifests: every kustomize
// overlay under config/ and the Helm chart under charts/imagepilot rendered
// with several value sets, through the kustomize and Helm Go libraries,
// checked for what they grant and ship, and sent to a real kube-apiserver
// (test/infra, envtest) with a server-side dry run; and an install over an
// Argo CD Image Updater v1.3 install that must keep its ConfigMap and
// Secret.
package install
