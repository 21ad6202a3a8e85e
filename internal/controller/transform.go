package controller

import (
	"strings"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

// keptAnnotationPrefixes are the annotations the controller reads:
// upstream's configuration annotations and imagepilot's own (holds).
var keptAnnotationPrefixes = []string{target.AnnotationPrefix, "imagepilot.io/"}

// StripApplication reduces an Application to what the controller reads,
// so that the informer cache (and each listed page) holds only that: no
// managedFields, only imagepilot's and argocd-image-updater's annotations
// (kubectl's last-applied-configuration and every other annotation go),
// and of the status only the live images and the detected source types.
// Spec, labels and the identity fields (name, namespace, uid,
// resourceVersion) stay: selection and write-back need them. Objects of
// other types are returned unchanged. It has the signature of a
// client-go cache TransformFunc.
func StripApplication(obj any) (any, error) {
	app, ok := obj.(*argocd.Application)
	if !ok {
		return obj, nil
	}
	stripApplication(app)
	return app, nil
}

func stripApplication(app *argocd.Application) {
	app.ManagedFields = nil
	app.Annotations = keptAnnotations(app.Annotations)
	app.Status = argocd.ApplicationStatus{
		Summary:     argocd.ApplicationSummary{Images: app.Status.Summary.Images},
		SourceType:  app.Status.SourceType,
		SourceTypes: app.Status.SourceTypes,
	}
}

// keptAnnotations returns the annotations with a kept prefix (nil when
// there are none).
func keptAnnotations(in map[string]string) map[string]string {
	var out map[string]string
	for k, v := range in {
		for _, p := range keptAnnotationPrefixes {
			if strings.HasPrefix(k, p) {
				if out == nil {
					out = make(map[string]string)
				}
				out[k] = v
				break
			}
		}
	}
	return out
}
