package target

import (
	"fmt"
	"strings"

	"github.com/imagepilot/imagepilot/internal/credentials"
)

// checkServiceAccounts refuses a target whose pull secret federates a
// service account (provider:...?serviceAccount=NS/NAME) of another
// namespace than the Application's: an ImageUpdater (or an annotated
// Application) may use the cloud identities of its own namespace only,
// as Flux's spec.serviceAccountName does. registries.conf, written by the
// administrator, may name any namespace.
func checkServiceAccounts(app AppRef, targets []Target) []error {
	var errs []error
	for _, t := range targets {
		spec, ok := credentials.ProviderSpec(t.PullSecret)
		if !ok || spec.ServiceAccount == "" {
			continue
		}
		ns, _, _ := strings.Cut(spec.ServiceAccount, "/")
		if ns != app.Namespace {
			errs = append(errs, fmt.Errorf("%w: application %s: image %s: pullSecret: serviceAccount=%s is in namespace %q; an ImageUpdater may use service accounts of its own namespace %q only",
				ErrConfig, app, t.Image.Alias, spec.ServiceAccount, ns, app.Namespace))
		}
	}
	return errs
}
