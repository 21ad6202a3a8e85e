// Package metrics defines imagepilot's Prometheus metrics.
//
// A Metrics value is created by New against a prometheus.Registerer the
// caller owns; the package keeps no state of its own, so tests and several
// instances in one process never collide.
//
// Metrics kept from Argo CD Image Updater (same names, types and labels as its
// v1 releases, so existing dashboards keep working):
//
//   - argocd_image_updater_applications_watched_total (gauge;
//     image_updater_cr_name, image_updater_cr_namespace): applications an
//     ImageUpdater object currently selects.
//   - argocd_image_updater_images_watched_total (gauge;
//     image_updater_cr_name, image_updater_cr_namespace): images an
//     ImageUpdater object currently considers.
//   - argocd_image_updater_images_updated_total (counter;
//     image_updater_cr_name, image_updater_cr_namespace): images updated.
//   - argocd_image_updater_images_errors_total (counter;
//     image_updater_cr_name, image_updater_cr_namespace): errors while
//     updating images.
//   - argocd_image_updater_registry_requests_total (counter; registry): HTTP
//     requests sent to a registry. Upstream defines it but never counts; we do.
//   - argocd_image_updater_registry_requests_failed_total (counter; registry):
//     requests that failed (transport error or HTTP status >= 400).
//   - argocd_image_updater_k8s_api_requests_total (counter, no labels):
//     requests sent to the Kubernetes API server (see KubeAPI).
//   - argocd_image_updater_k8s_api_errors_total (counter, no labels): those
//     that got no response or an HTTP status >= 400.
//
// imagepilot's own:
//
//   - imagepilot_registry_requests_total (counter; registry, kind, code):
//     registry requests by kind (ping, token, tags, manifest, blob, other) and
//     HTTP status code ("error" when no response arrived).
//   - imagepilot_applications_watched and imagepilot_images_watched (gauges;
//     image_updater_cr_name, image_updater_cr_namespace): the values of the
//     two inherited *_watched_total gauges under names without the counter
//     suffix, for new dashboards.
//   - Ops (ops.go): imagepilot_cycle_duration_seconds,
//     imagepilot_cycles_total, imagepilot_last_successful_cycle_timestamp_seconds,
//     imagepilot_git_commits_total, imagepilot_git_pushes_total,
//     imagepilot_webhook_events_total, imagepilot_registry_request_duration_seconds
//     and imagepilot_build_info.
//
// Serve (serve.go) serves a registry's /metrics and the /healthz and
// /readyz probes over plain HTTP, for repo mode.
package metrics
