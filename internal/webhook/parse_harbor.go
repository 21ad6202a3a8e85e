package webhook

import (
	"fmt"
	"net/http"

	"github.com/imagepilot/imagepilot/internal/imagespec"
)

// HarborParser reads Harbor webhooks of type PUSH_ARTIFACT, in Harbor's
// default payload format ({"type","event_data":{...}}) and in its CloudEvents
// format ({"specversion","type":"harbor.artifact.pushed","data":{...}}).
// The repository is event_data.repository.repo_full_name; each
// event_data.resources[] entry gives a tag and digest, and its resource_url
// ("harbor.example.com/project/repo:tag") the registry host.
// Authentication: the Authorization header Harbor sends ("Auth Header").
type HarborParser struct{}

// Type returns "harbor".
func (HarborParser) Type() string { return "harbor" }

type harborPayload struct {
	Type        string          `json:"type"`
	SpecVersion string          `json:"specversion"`
	EventData   harborEventData `json:"event_data"`
	Data        harborEventData `json:"data"`
}

type harborEventData struct {
	Resources []struct {
		Digest      string `json:"digest"`
		Tag         string `json:"tag"`
		ResourceURL string `json:"resource_url"`
	} `json:"resources"`
	Repository struct {
		Name         string `json:"name"`
		Namespace    string `json:"namespace"`
		RepoFullName string `json:"repo_full_name"`
	} `json:"repository"`
}

// Parse returns one event per pushed resource.
func (p HarborParser) Parse(body []byte, _ *http.Request) ([]Event, error) {
	var pl harborPayload
	if err := decodeJSON(body, &pl); err != nil {
		return nil, err
	}
	data := pl.EventData
	if pl.SpecVersion != "" {
		data = pl.Data
	}
	if pl.Type != "PUSH_ARTIFACT" && pl.Type != "harbor.artifact.pushed" {
		return nil, nil
	}
	repo := data.Repository.RepoFullName
	if repo == "" {
		repo = joinPath(data.Repository.Namespace, data.Repository.Name)
	}
	if repo == "" || len(data.Resources) == 0 {
		return nil, fmt.Errorf("%w: harbor push has no repository or resources", ErrInvalidPayload)
	}
	events := make([]Event, 0, len(data.Resources))
	for _, res := range data.Resources {
		host, _, _, _ := imagespec.SplitHostedReference(res.ResourceURL)
		ev, err := newEvent(p.Type(), host, repo, res.Tag, res.Digest)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}
