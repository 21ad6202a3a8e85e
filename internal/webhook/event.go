package webhook

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Event asks for one repository to be checked again.
type Event struct {
	// Registry is the registry host: docker.io, ghcr.io, quay.io, or the
	// host named by the payload (Harbor, ACR, Alibaba, ECR, distribution).
	Registry string
	// Repository is the repository path inside the registry, normalised the
	// way image names are (Docker Hub "nginx" becomes "library/nginx").
	Repository string
	// Tag is the pushed tag as the payload reports it; a hint only.
	Tag string
	// Digest is the pushed manifest digest if the payload has one; a hint only.
	Digest string
	// Source is the webhook type that produced the event (e.g. "harbor").
	Source string
}

// Key identifies the repository an event is about; events with the same key
// are debounced together.
func (e Event) Key() string { return e.Registry + "/" + e.Repository }

// ErrInvalidPayload is wrapped by every parse error caused by the request
// body: malformed JSON or a push event that lacks its repository.
var ErrInvalidPayload = errors.New("invalid webhook payload")

// ErrUnsupportedMediaType is returned when a request declares a content type
// the parser cannot read.
var ErrUnsupportedMediaType = errors.New("unsupported media type")

const dockerHubHost = "docker.io"

var (
	hostPattern   = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$`)
	repoPattern   = regexp.MustCompile(`^[A-Za-z0-9]+(?:(?:[._]|__|-+)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[._]|__|-+)[A-Za-z0-9]+)*)*$`)
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,}$`)
)

// newEvent validates and normalises the parts a parser found. Tag and digest
// are hints: malformed ones are dropped rather than failing the event.
func newEvent(source, host, repository, tag, digest string) (Event, error) {
	host = normaliseHost(host)
	if !hostPattern.MatchString(host) {
		return Event{}, fmt.Errorf("%w: registry host %q is not a host name", ErrInvalidPayload, truncate(redactUserinfo(host)))
	}
	repository = strings.Trim(repository, "/")
	if host == dockerHubHost && repository != "" && !strings.Contains(repository, "/") {
		repository = "library/" + repository
	}
	if len(repository) > 255 || !repoPattern.MatchString(repository) {
		return Event{}, fmt.Errorf("%w: repository %q is not a repository name", ErrInvalidPayload, truncate(repository))
	}
	if !tagPattern.MatchString(tag) {
		tag = ""
	}
	if !digestPattern.MatchString(digest) {
		digest = ""
	}
	return Event{Registry: host, Repository: repository, Tag: tag, Digest: digest, Source: source}, nil
}

// normaliseHost lower-cases a host, strips a scheme and any path, and folds
// Docker Hub's aliases into docker.io.
func normaliseHost(host string) string {
	host = strings.TrimSpace(host)
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	host = strings.ToLower(host)
	switch host {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "hub.docker.com":
		return dockerHubHost
	}
	return host
}

// redactUserinfo hides user information ("user:password@") a payload put in
// front of a host, so that error messages and logs never show it.
func redactUserinfo(host string) string {
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		return "xxxxx@" + host[i+1:]
	}
	return host
}

// truncate keeps error messages short when a payload carries huge values.
func truncate(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
