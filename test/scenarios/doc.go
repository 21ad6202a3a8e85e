// Package scenarios holds one table of end-to-end scenarios that run in both
// of imagepilot's modes against the same real components: repo mode
// (`imagepilot run --repo --once`, the Applications as manifests in the Git
// repository) and the controller (controller.Engine against a real
// kube-apiserver, the same Applications as objects, git write-back into the
// same kind of repository). Both use the Debian docker-registry with Basic
// auth and git-http-backend started by test/infra, and both are checked by
// the same assertions: the files of the pushed branch, the commits, and the
// cycle's summary counts.
package scenarios
