// Package kube holds integration tests of imagepilot's Kubernetes API
// surface against a real kube-apiserver and etcd: the ImageUpdater CRD
// (compatibility with upstream objects, no defaults inside
// commonUpdateSettings, status subresource), the minimal Argo CD Application
// types, and the manifests under config/. The server comes from test/infra.
package kube
