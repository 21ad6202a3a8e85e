package webhook

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/imagepilot/imagepilot/internal/imagespec"
)

// GHCRParser reads GitHub "package" webhooks (and the older
// "registry_package" form) for container packages published to ghcr.io.
// Only actions "published" and "updated" of packages whose package_type is
// CONTAINER (or the legacy "docker") produce an event. The repository comes
// from package_version.package_url ("ghcr.io/owner/name:tag"), else from
// package.namespace (the owner login) and package.name; it is lower-cased as
// ghcr.io does. The tag is package_version.container_metadata.tag.name.
// Requests whose X-GitHub-Event header names another event (e.g. "ping")
// yield nothing. Authentication: X-Hub-Signature-256.
type GHCRParser struct{}

// Type returns "ghcr.io".
func (GHCRParser) Type() string { return "ghcr.io" }

type ghcrPayload struct {
	Action          string       `json:"action"`
	Package         *ghcrPackage `json:"package"`
	RegistryPackage *ghcrPackage `json:"registry_package"`
}

type ghcrPackage struct {
	Name        string `json:"name"`
	Namespace   string `json:"namespace"`
	PackageType string `json:"package_type"`
	Owner       struct {
		Login string `json:"login"`
	} `json:"owner"`
	PackageVersion struct {
		Version           string `json:"version"`
		PackageURL        string `json:"package_url"`
		ContainerMetadata struct {
			Tag struct {
				Name   string `json:"name"`
				Digest string `json:"digest"`
			} `json:"tag"`
		} `json:"container_metadata"`
	} `json:"package_version"`
}

// Parse returns one event for a published container package version.
func (p GHCRParser) Parse(body []byte, r *http.Request) ([]Event, error) {
	if r != nil {
		switch r.Header.Get("X-GitHub-Event") {
		case "", "package", "registry_package":
		default:
			return nil, nil
		}
	}
	var pl ghcrPayload
	if err := decodeJSON(body, &pl); err != nil {
		return nil, err
	}
	pkg := pl.Package
	if pkg == nil {
		pkg = pl.RegistryPackage
	}
	if pkg == nil {
		return nil, fmt.Errorf("%w: github payload has no package", ErrInvalidPayload)
	}
	if !isGHCRPush(pl.Action, pkg.PackageType) {
		return nil, nil
	}
	host, repo := ghcrRepository(pkg)
	if repo == "" {
		return nil, fmt.Errorf("%w: github package has no name", ErrInvalidPayload)
	}
	meta := pkg.PackageVersion.ContainerMetadata.Tag
	digest := meta.Digest
	if digest == "" {
		digest = pkg.PackageVersion.Version
	}
	ev, err := newEvent(p.Type(), host, strings.ToLower(repo), meta.Name, digest)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

// DeliveryID returns the X-GitHub-Delivery header.
func (GHCRParser) DeliveryID(_ []byte, r *http.Request) string {
	if r == nil {
		return ""
	}
	return r.Header.Get("X-GitHub-Delivery")
}

func isGHCRPush(action, packageType string) bool {
	if action != "published" && action != "updated" {
		return false
	}
	switch strings.ToLower(packageType) {
	case "container", "docker":
		return true
	}
	return false
}

// ghcrRepository prefers the package URL, which names host and full path,
// and falls back to owner/name.
func ghcrRepository(pkg *ghcrPackage) (host, repo string) {
	if u := pkg.PackageVersion.PackageURL; u != "" {
		host, repo, _, _ = imagespec.SplitHostedReference(u)
		if host != "" && repo != "" {
			return host, repo
		}
	}
	owner := pkg.Namespace
	if owner == "" {
		owner = pkg.Owner.Login
	}
	if pkg.Name == "" || owner == "" {
		return "ghcr.io", ""
	}
	return "ghcr.io", owner + "/" + pkg.Name
}
