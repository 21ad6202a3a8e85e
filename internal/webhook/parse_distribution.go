package webhook

import (
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
)

// DistributionEventsMediaType is the content type of a CNCF distribution
// registry notification envelope.
const DistributionEventsMediaType = "application/vnd.docker.distribution.events.v1+json"

// DistributionParser reads the notification envelope a CNCF distribution
// registry (e.g. Debian's docker-registry 2.8) POSTs to each configured
// notifications endpoint: {"events":[{"id","timestamp","action","target":
// {"mediaType","digest","repository","tag",...},"request":{"host",...}}]}
// with Content-Type application/vnd.docker.distribution.events.v1+json and
// the endpoint's configured headers. Only "push" events with a tag (that is,
// manifests pushed by tag) produce events; blob pushes, pulls, mounts and
// deletes are skipped. The registry host is request.host, the Host header the
// pushing client used; map it with Config.HostAliases or HostOverrides when
// that differs from the name images are deployed by.
// Authentication: Authorization header (set via the endpoint's headers).
type DistributionParser struct{}

// Type returns "distribution".
func (DistributionParser) Type() string { return "distribution" }

// Parse returns one event per tagged manifest push in the envelope.
func (p DistributionParser) Parse(body []byte, r *http.Request) ([]Event, error) {
	return parseDistributionEnvelope(p.Type(), body, r)
}

// DeliveryID joins the ids of the envelope's events.
func (DistributionParser) DeliveryID(body []byte, _ *http.Request) string {
	return distributionDeliveryID(body)
}

type distributionEnvelope struct {
	Events []distributionEvent `json:"events"`
}

type distributionEvent struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	Target struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
	} `json:"target"`
	Request struct {
		Host string `json:"host"`
	} `json:"request"`
}

func parseDistributionEnvelope(source string, body []byte, r *http.Request) ([]Event, error) {
	if err := checkEnvelopeMediaType(r); err != nil {
		return nil, err
	}
	var env distributionEnvelope
	if err := decodeJSON(body, &env); err != nil {
		return nil, err
	}
	var events []Event
	for _, e := range env.Events {
		if e.Action != "push" || e.Target.Tag == "" || isBlobMediaType(e.Target.MediaType) {
			continue
		}
		if e.Target.Repository == "" || e.Request.Host == "" {
			return nil, fmt.Errorf("%w: push event %q has no target.repository or request.host", ErrInvalidPayload, truncate(e.ID))
		}
		ev, err := newEvent(source, e.Request.Host, e.Target.Repository, e.Target.Tag, e.Target.Digest)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// checkEnvelopeMediaType accepts the events media type, plain JSON, or no
// Content-Type at all.
func checkEnvelopeMediaType(r *http.Request) error {
	if r == nil || r.Header.Get("Content-Type") == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnsupportedMediaType, err)
	}
	switch mt {
	case DistributionEventsMediaType, "application/json":
		return nil
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedMediaType, truncate(mt))
}

// isBlobMediaType recognises layer and config blobs, which are never tagged
// but are skipped explicitly in case a sender fills the tag anyway.
func isBlobMediaType(mt string) bool {
	return strings.Contains(mt, "rootfs.diff") || strings.Contains(mt, ".layer.") ||
		strings.Contains(mt, "container.image.v1+json") || strings.Contains(mt, "image.config.")
}

func distributionDeliveryID(body []byte) string {
	var env distributionEnvelope
	if decodeJSON(body, &env) != nil {
		return ""
	}
	ids := make([]string, 0, len(env.Events))
	for _, e := range env.Events {
		if e.ID == "" {
			return "" // an envelope with an anonymous event cannot be recognised again
		}
		ids = append(ids, e.ID)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}
