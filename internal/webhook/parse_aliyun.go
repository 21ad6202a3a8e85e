package webhook

import (
	"fmt"
	"net/http"
)

// AliyunACRParser reads Alibaba Cloud Container Registry push webhooks:
// repository.namespace, repository.name (or repo_full_name), push_data.tag,
// push_data.digest and repository.region, which gives the host
// registry.<region>.aliyuncs.com. Enterprise instances use other hosts that
// the payload does not name: the URL parameter ?registry_url=<host> (as
// upstream accepts) or the server's host overrides supply it.
// Authentication: ?secret=.
type AliyunACRParser struct{}

// Type returns "aliyun-acr".
func (AliyunACRParser) Type() string { return "aliyun-acr" }

type aliyunPayload struct {
	PushData struct {
		Digest string `json:"digest"`
		Tag    string `json:"tag"`
	} `json:"push_data"`
	Repository struct {
		Name         string `json:"name"`
		Namespace    string `json:"namespace"`
		Region       string `json:"region"`
		RepoFullName string `json:"repo_full_name"`
	} `json:"repository"`
}

// Parse returns one event for the pushed tag.
func (p AliyunACRParser) Parse(body []byte, r *http.Request) ([]Event, error) {
	var pl aliyunPayload
	if err := decodeJSON(body, &pl); err != nil {
		return nil, err
	}
	repo := pl.Repository.RepoFullName
	if pl.Repository.Namespace != "" && pl.Repository.Name != "" {
		repo = pl.Repository.Namespace + "/" + pl.Repository.Name
	}
	host := ""
	if r != nil {
		host = r.URL.Query().Get("registry_url")
	}
	if host == "" && pl.Repository.Region != "" {
		host = "registry." + pl.Repository.Region + ".aliyuncs.com"
	}
	if repo == "" || host == "" {
		return nil, fmt.Errorf("%w: aliyun payload lacks repository namespace/name or region", ErrInvalidPayload)
	}
	ev, err := newEvent(p.Type(), host, repo, pl.PushData.Tag, pl.PushData.Digest)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}
