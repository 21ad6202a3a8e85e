package webhook

import (
	"fmt"
	"net/http"

	"github.com/imagepilot/imagepilot/internal/imagespec"
)

// QuayParser reads Quay "repository push" notifications: docker_url
// ("quay.io/ns/name", or the host of a self-hosted Quay) and updated_tags,
// one event per updated tag. Authentication: ?secret=.
type QuayParser struct{}

// Type returns "quay.io".
func (QuayParser) Type() string { return "quay.io" }

type quayPayload struct {
	DockerURL   string   `json:"docker_url"`
	Repository  string   `json:"repository"`
	UpdatedTags []string `json:"updated_tags"`
}

// Parse returns one event per updated tag (one without a tag if none is listed).
func (p QuayParser) Parse(body []byte, _ *http.Request) ([]Event, error) {
	var pl quayPayload
	if err := decodeJSON(body, &pl); err != nil {
		return nil, err
	}
	host, repo := "quay.io", pl.Repository
	if pl.DockerURL != "" {
		host, repo, _, _ = imagespec.SplitHostedReference(pl.DockerURL)
	}
	if repo == "" {
		return nil, fmt.Errorf("%w: quay payload has no docker_url", ErrInvalidPayload)
	}
	tags := pl.UpdatedTags
	if len(tags) == 0 {
		tags = []string{""}
	}
	events := make([]Event, 0, len(tags))
	for _, tag := range tags {
		ev, err := newEvent(p.Type(), host, repo, tag, "")
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}
