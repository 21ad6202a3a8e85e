// Package controller_test runs imagepilot's in-cluster pieces (argocd
// write-back, the ImageUpdater controller) against a real kube-apiserver.
package controller_test

import (
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

func TestMain(m *testing.M) { infra.KubeMain(m) }
