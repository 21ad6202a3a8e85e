package webhook

import (
	"fmt"
	"net/http"
)

// ACRParser reads Azure Container Registry webhooks. Only action "push"
// with a tag produces an event (chart pushes, deletes and quarantine events
// yield nothing): target.repository, target.tag, target.digest, and the
// registry host from request.host ("myregistry.azurecr.io").
// Authentication: the Authorization custom header configured on the webhook.
type ACRParser struct{}

// Type returns "acr".
func (ACRParser) Type() string { return "acr" }

type acrPayload struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	Target struct {
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
		Digest     string `json:"digest"`
	} `json:"target"`
	Request struct {
		Host string `json:"host"`
	} `json:"request"`
}

// Parse returns one event for a tagged image push.
func (p ACRParser) Parse(body []byte, _ *http.Request) ([]Event, error) {
	var pl acrPayload
	if err := decodeJSON(body, &pl); err != nil {
		return nil, err
	}
	if pl.Action != "push" {
		return nil, nil
	}
	if pl.Target.Repository == "" || pl.Request.Host == "" {
		return nil, fmt.Errorf("%w: acr push has no target.repository or request.host", ErrInvalidPayload)
	}
	if pl.Target.Tag == "" {
		return nil, nil
	}
	ev, err := newEvent(p.Type(), pl.Request.Host, pl.Target.Repository, pl.Target.Tag, pl.Target.Digest)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

// DeliveryID returns the event id.
func (ACRParser) DeliveryID(body []byte, _ *http.Request) string {
	var pl acrPayload
	if decodeJSON(body, &pl) != nil {
		return ""
	}
	return pl.ID
}
