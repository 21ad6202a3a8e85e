package webhook

import "net/http"

// GitLabParser reads the notifications of GitLab's container registry.
// GitLab has no project webhook for registry pushes; its registry (a fork of
// CNCF distribution) sends the distribution notification envelope to the
// endpoints listed under notifications.endpoints in its config (on Omnibus,
// registry['notifications']), with the headers configured there. The payload
// is therefore read exactly like DistributionParser's; target.repository is
// the full project path ("group/project/image") and request.host the
// registry host (registry.gitlab.example.com).
// Authentication: X-Gitlab-Token header (set in the endpoint's headers).
type GitLabParser struct{}

// Type returns "gitlab".
func (GitLabParser) Type() string { return "gitlab" }

// Parse returns one event per tagged manifest push in the envelope.
func (p GitLabParser) Parse(body []byte, r *http.Request) ([]Event, error) {
	return parseDistributionEnvelope(p.Type(), body, r)
}

// DeliveryID joins the ids of the envelope's events.
func (GitLabParser) DeliveryID(body []byte, _ *http.Request) string {
	return distributionDeliveryID(body)
}
