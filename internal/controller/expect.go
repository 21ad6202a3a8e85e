package controller

import (
	"context"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/updater"
)

var _ updater.Expecter = (*routedView)(nil)

// Expect announces the pass's images to the cycles that will serve them,
// so that each registry's repositories share a token.
func (v *routedView) Expect(ctx context.Context, images []updater.ExpectedImage) {
	byView := map[*access.View][]updater.ExpectedImage{}
	var order []*access.View
	for _, e := range images {
		view := v.pick(e.Image)
		if _, ok := byView[view]; !ok {
			order = append(order, view)
		}
		byView[view] = append(byView[view], e)
	}
	for _, view := range order {
		view.Expect(ctx, byView[view])
	}
}
