package verify

import (
	"encoding/json"
	"errors"
	"fmt"
)

// simpleSigningType is the critical.type of a cosign image signature.
const simpleSigningType = "cosign container image signature"

// errBadPayload marks a payload that is not a cosign simple-signing
// document.
var errBadPayload = errors.New("not a cosign simple-signing payload")

// payload is the part of a simple-signing document verification reads.
type payload struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

// ParsePayload returns the image digest a simple-signing payload names.
// It refuses anything but one JSON object of the cosign type with a
// digest.
func ParsePayload(b []byte) (string, error) {
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("%w: %w", errBadPayload, err)
	}
	if p.Critical.Type != simpleSigningType {
		return "", fmt.Errorf("%w: type %q", errBadPayload, p.Critical.Type)
	}
	if p.Critical.Image.DockerManifestDigest == "" {
		return "", fmt.Errorf("%w: no docker-manifest-digest", errBadPayload)
	}
	return p.Critical.Image.DockerManifestDigest, nil
}
