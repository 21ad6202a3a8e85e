package scenarios_test

import (
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

func TestMain(m *testing.M) { infra.KubeMain(m) }
