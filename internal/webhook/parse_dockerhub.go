package webhook

import (
	"fmt"
	"net/http"
)

// DockerHubParser reads Docker Hub repository webhooks:
// repository.repo_name ("nginx" or "owner/name") and push_data.tag.
// Authentication: ?secret=.
type DockerHubParser struct{}

// Type returns "docker.io".
func (DockerHubParser) Type() string { return "docker.io" }

type dockerHubPayload struct {
	PushData struct {
		Tag string `json:"tag"`
	} `json:"push_data"`
	Repository struct {
		RepoName  string `json:"repo_name"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"repository"`
}

// Parse returns one event for the pushed repository.
func (p DockerHubParser) Parse(body []byte, _ *http.Request) ([]Event, error) {
	var pl dockerHubPayload
	if err := decodeJSON(body, &pl); err != nil {
		return nil, err
	}
	repo := pl.Repository.RepoName
	if repo == "" && pl.Repository.Name != "" {
		repo = joinPath(pl.Repository.Namespace, pl.Repository.Name)
	}
	if repo == "" {
		return nil, fmt.Errorf("%w: docker hub payload has no repository.repo_name", ErrInvalidPayload)
	}
	ev, err := newEvent(p.Type(), dockerHubHost, repo, pl.PushData.Tag, "")
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

// joinPath joins non-empty path parts with "/".
func joinPath(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += "/"
		}
		out += p
	}
	return out
}
