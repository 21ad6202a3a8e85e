package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

// Reasons of the Warning Events recorded on an Application that an
// ImageUpdater selects but leaves alone.
const (
	// WarningInvalidConfiguration: a setting of the selection is malformed
	// or cannot be honoured (an unreadable cosign key, say).
	WarningInvalidConfiguration = "InvalidConfiguration"
)

// maxEventNote bounds Event messages (the Events API takes at most 1 kB).
const maxEventNote = 1000

// warnBlocked logs and records a Warning Event on every application the
// selection leaves alone because of its configuration.
func (e *Engine) warnBlocked(ctx context.Context, iu *v1alpha1.ImageUpdater, sel selection) {
	refs := make([]target.AppRef, 0, len(sel.blocked))
	for ref := range sel.blocked {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	for _, ref := range refs {
		errs := sel.blocked[ref]
		reason := WarningInvalidConfiguration
		msgs := make([]string, len(errs))
		for i, err := range errs {
			msgs[i] = err.Error()
		}
		msg := fmt.Sprintf("ImageUpdater %s leaves this application alone: %s", key(iu.Namespace, iu.Name), strings.Join(msgs, "; "))
		if len(msg) > maxEventNote {
			msg = strings.ToValidUTF8(msg[:maxEventNote-3], "") + "..."
		}
		e.Logger.WarnContext(ctx, "application not updated: "+reason, "imageupdater", key(iu.Namespace, iu.Name), "application", ref.String(), "reason", msg)
		if e.Warnings != nil && sel.apps[ref] != nil {
			e.Warnings(sel.apps[ref], reason, msg)
		}
	}
}
