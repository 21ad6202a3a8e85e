// Package controller is imagepilot's in-cluster mode: a controller-runtime
// manager that reconciles ImageUpdater objects (and, in legacy mode, every
// Application carrying an image-list annotation).
//
// One reconcile of an ImageUpdater lists the Applications of its namespace
// (or of the watched namespaces), selects them (internal/target), reads
// each image's deployed state from the Application, plans with one registry
// cycle shared by every ImageUpdater reconciled within the same interval,
// writes changes back (argocd: a patch of only the managed entries; git:
// one commit per repository and branch across the ImageUpdater's
// applications), records Events and metrics, and patches the status.
//
// When two ImageUpdaters select the same Application, both report the
// conflict in their status and only the first by name updates it. An
// Application whose selection is broken or asks for something not supported
// yet is left alone as a whole (never handed to the legacy selection) and
// gets a Warning Event; the conditions use upstream v1.3's types and
// reasons (see api/v1alpha1).
//
// Pushes (webhooks) and the trigger API run filtered passes (RunFor) over
// the targets they name, across every ImageUpdater and the legacy
// selection, with fresh tag listings of those repositories; the rest of the
// interval's passes reuse the fresh listings. Holds live on the Application
// in the holds.Annotation and pin images before planning, as repo mode's
// holds file does. Passes and hold changes take turns on one mutex.
package controller
