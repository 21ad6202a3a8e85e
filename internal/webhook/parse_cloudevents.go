package webhook

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/imagepilot/imagepilot/internal/imagespec"
)

// CloudEventsParser reads CloudEvents 1.0 over HTTP in structured mode
// (a JSON event; Content-Type application/cloudevents+json or JSON with a
// "specversion" member), batch mode (application/cloudevents-batch+json, a
// JSON array of events) and binary mode (ce-* headers, the body is the
// data). It also takes a bare Amazon EventBridge event posted as is.
//
// The event data may take one of these shapes:
//
//   - ECR through an EventBridge input transformer (upstream's documented
//     template): {"repositoryName","imageTag","imageDigest","registryId"} with
//     the CloudEvent source "urn:aws:ecr:<region>:<account>:repository/<repo>";
//     optional "region"/"awsRegion" in data win over the source.
//   - An EventBridge "ECR Image Action" event: {"account","region","detail":
//     {"action-type":"PUSH","result":"SUCCESS","repository-name","image-tag",
//     "image-digest"}}; other actions and failed results are skipped.
//   - Generic: {"registry":"host","repository":"path","tag","digest"}, or
//     "repository"/"image" holding a full reference ("host/path[:tag]"); a
//     name without a host is a Docker Hub name.
//
// ECR events give the registry <account>.dkr.ecr.<region>.amazonaws.com.
// Events without a tag, and events whose type mentions "delete", yield
// nothing. Authentication: ?secret= or X-Webhook-Secret.
type CloudEventsParser struct{}

// Type returns "cloudevents".
func (CloudEventsParser) Type() string { return "cloudevents" }

type cloudEvent struct {
	SpecVersion string          `json:"specversion"`
	ID          string          `json:"id"`
	Source      string          `json:"source"`
	Type        string          `json:"type"`
	Data        json.RawMessage `json:"data"`
	DataBase64  string          `json:"data_base64"`
}

// Parse returns the events described by the CloudEvent(s).
func (p CloudEventsParser) Parse(body []byte, r *http.Request) ([]Event, error) {
	if r != nil && r.Header.Get("Ce-Specversion") != "" {
		return p.fromData(r.Header.Get("Ce-Type"), r.Header.Get("Ce-Source"), body)
	}
	if isBatch(body, r) {
		var batch []cloudEvent
		if err := decodeJSON(body, &batch); err != nil {
			return nil, err
		}
		var events []Event
		for _, ce := range batch {
			evs, err := p.fromStructured(ce)
			if err != nil {
				return nil, err
			}
			events = append(events, evs...)
		}
		return events, nil
	}
	var ce cloudEvent
	if err := decodeJSON(body, &ce); err != nil {
		return nil, err
	}
	if ce.SpecVersion == "" {
		return p.fromData("", "", body) // a bare EventBridge event or data
	}
	return p.fromStructured(ce)
}

// DeliveryID returns source and id of the event (joined for a batch).
func (CloudEventsParser) DeliveryID(body []byte, r *http.Request) string {
	if r != nil && r.Header.Get("Ce-Specversion") != "" {
		return eventKey(r.Header.Get("Ce-Source"), r.Header.Get("Ce-Id"))
	}
	if isBatch(body, r) {
		var batch []cloudEvent
		if decodeJSON(body, &batch) != nil {
			return ""
		}
		ids := make([]string, 0, len(batch))
		for _, ce := range batch {
			if ce.ID == "" {
				return ""
			}
			ids = append(ids, eventKey(ce.Source, ce.ID))
		}
		return strings.Join(ids, ",")
	}
	var ce cloudEvent
	if decodeJSON(body, &ce) != nil {
		return ""
	}
	return eventKey(ce.Source, ce.ID)
}

func eventKey(source, id string) string {
	if id == "" {
		return ""
	}
	return source + "#" + id
}

func isBatch(body []byte, r *http.Request) bool {
	if r != nil {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "application/cloudevents-batch+json" {
			return true
		}
	}
	trimmed := strings.TrimLeft(string(body[:min(len(body), 64)]), " \t\r\n")
	return strings.HasPrefix(trimmed, "[")
}

func (p CloudEventsParser) fromStructured(ce cloudEvent) ([]Event, error) {
	data := []byte(ce.Data)
	if len(data) == 0 && ce.DataBase64 != "" {
		decoded, err := base64.StdEncoding.DecodeString(ce.DataBase64)
		if err != nil {
			return nil, fmt.Errorf("%w: data_base64: %w", ErrInvalidPayload, err)
		}
		data = decoded
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: cloudevent %q has no data", ErrInvalidPayload, truncate(ce.ID))
	}
	return p.fromData(ce.Type, ce.Source, data)
}

// ceData holds every field of the accepted data shapes.
type ceData struct {
	// ECR via input transformer.
	RepositoryName string `json:"repositoryName"`
	ImageTag       string `json:"imageTag"`
	ImageDigest    string `json:"imageDigest"`
	RegistryID     string `json:"registryId"`
	Region         string `json:"region"`
	AWSRegion      string `json:"awsRegion"`
	// EventBridge event.
	Account    string `json:"account"`
	DetailType string `json:"detail-type"`
	Detail     *struct {
		ActionType     string `json:"action-type"`
		Result         string `json:"result"`
		RepositoryName string `json:"repository-name"`
		ImageTag       string `json:"image-tag"`
		ImageDigest    string `json:"image-digest"`
	} `json:"detail"`
	// Generic.
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Image      string `json:"image"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"`
}

func (p CloudEventsParser) fromData(ceType, ceSource string, data []byte) ([]Event, error) {
	if strings.Contains(strings.ToLower(ceType), "delete") {
		return nil, nil
	}
	var d ceData
	if err := decodeJSON(data, &d); err != nil {
		return nil, err
	}
	host, repo, tag, digest, err := d.locate(ceSource)
	if err != nil {
		return nil, err
	}
	if repo == "" || tag == "" {
		return nil, nil
	}
	ev, err := newEvent(p.Type(), host, repo, tag, digest)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

// locate picks the shape the data has. An empty repository means "skip".
func (d ceData) locate(ceSource string) (host, repo, tag, digest string, err error) {
	switch {
	case d.Detail != nil:
		det := d.Detail
		if !strings.EqualFold(det.ActionType, "PUSH") || (det.Result != "" && !strings.EqualFold(det.Result, "SUCCESS")) {
			return "", "", "", "", nil
		}
		host, err = ecrHost(d.Account, d.Region)
		return host, det.RepositoryName, det.ImageTag, det.ImageDigest, err
	case d.RepositoryName != "":
		region, account := ecrSourceParts(ceSource)
		region = firstNonEmpty(d.Region, d.AWSRegion, region)
		account = firstNonEmpty(d.RegistryID, account)
		host, err = ecrHost(account, region)
		return host, d.RepositoryName, d.ImageTag, d.ImageDigest, err
	}
	ref := firstNonEmpty(d.Repository, d.Image)
	if ref == "" {
		return "", "", "", "", fmt.Errorf("%w: cloudevent data names no repository", ErrInvalidPayload)
	}
	if d.Registry != "" {
		return d.Registry, ref, d.Tag, d.Digest, nil
	}
	host, repo, refTag, refDigest := splitImageName(ref)
	return host, repo, firstNonEmpty(d.Tag, refTag), firstNonEmpty(d.Digest, refDigest), nil
}

// ecrSourceParts reads region and account from
// "urn:aws:ecr:<region>:<account>:repository/<name>" (or an ARN).
func ecrSourceParts(source string) (region, account string) {
	parts := strings.Split(source, ":")
	for i := 1; i+2 < len(parts); i++ {
		if parts[i] == "ecr" && parts[i-1] == "aws" {
			return parts[i+1], parts[i+2]
		}
	}
	return "", ""
}

func ecrHost(account, region string) (string, error) {
	if account == "" || region == "" {
		return "", fmt.Errorf("%w: ECR event lacks account or region", ErrInvalidPayload)
	}
	return account + ".dkr.ecr." + region + ".amazonaws.com", nil
}

// splitImageName applies the image-name rule of imagespec.SplitHost: the
// first path part is a host when it contains "." or ":" (which a leading
// "scheme://" always does) or is "localhost"; otherwise it is Docker Hub.
func splitImageName(name string) (host, repo, tag, digest string) {
	if h, _ := imagespec.SplitHost(name); h != "" {
		return imagespec.SplitHostedReference(name)
	}
	_, repo, tag, digest = imagespec.SplitHostedReference(dockerHubHost + "/" + name)
	return dockerHubHost, repo, tag, digest
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
