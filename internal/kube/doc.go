// Package kube holds the Kubernetes-backed helpers the in-cluster controller
// hands to the cluster-agnostic packages: a credentials.SecretGetter over a
// controller-runtime reader, and a writeback.CredentialResolver that finds
// Git credentials the way Argo CD does (repository secrets by exact URL,
// credential templates by longest URL prefix, CAs and SSH known hosts from
// Argo CD's ConfigMaps) or in a named secret.
//
// Readers passed here should be uncached (a manager's API reader), so that
// the controller needs no cluster-wide watch on Secrets.
package kube
