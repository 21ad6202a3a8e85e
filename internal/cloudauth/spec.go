package cloudauth

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Provider names a cloud whose workload identity logs in to its registry.
type Provider string

// The providers of "provider:NAME" credentials.
const (
	// AWS is Amazon ECR (private registries).
	AWS Provider = "aws"
	// GCP is Google Artifact Registry and Container Registry.
	GCP Provider = "gcp"
	// Azure is Azure Container Registry.
	Azure Provider = "azure"
	// Alibaba is Alibaba Cloud Container Registry (personal and enterprise).
	Alibaba Provider = "alibaba"
	// Auto picks the provider from the registry host.
	Auto Provider = "auto"
)

// ErrInvalidSpec marks a malformed provider reference; it is a
// configuration error.
var ErrInvalidSpec = errors.New("invalid provider credentials")

// Spec is a parsed provider reference: the part of
// "provider:NAME[?key=value&...]" after "provider:".
type Spec struct {
	// Provider is the cloud, or Auto.
	Provider Provider
	// Region overrides the region read from the registry host (aws, alibaba).
	Region string
	// Account overrides the AWS account id read from the host (aws).
	Account string
	// Instance is the Alibaba Cloud ACR instance id (cri-..., crpi-...),
	// required for enterprise and new personal instances (alibaba).
	Instance string
	// ClientID selects a user-assigned managed identity (azure).
	ClientID string
	// Tenant is the Entra tenant sent with the registry exchange when the
	// token does not name one (azure).
	Tenant string
	// ServiceAccount is "NAMESPACE/NAME" of a Kubernetes service account
	// whose TokenRequest token is federated instead of the controller's
	// own identity (aws, azure; in the cluster only).
	ServiceAccount string
}

// keysByProvider lists the option keys each provider accepts.
var keysByProvider = map[Provider][]string{
	AWS:     {"region", "account", "serviceAccount"},
	GCP:     {},
	Azure:   {"clientId", "tenant", "serviceAccount"},
	Alibaba: {"region", "instance"},
	Auto:    {},
}

var (
	regionPattern   = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+$`)
	accountPattern  = regexp.MustCompile(`^[0-9]{12}$`)
	instancePattern = regexp.MustCompile(`^(cri|crpi)-[a-z0-9]+$`)
	guidPattern     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	tenantPattern   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$`)
)

// ParseSpec parses "NAME[?key=value&...]", the text after "provider:".
// Unknown providers, unknown or repeated keys and malformed values are
// errors wrapping [ErrInvalidSpec]. Nothing in a spec is secret.
func ParseSpec(s string) (Spec, error) {
	name, query, hasQuery := strings.Cut(s, "?")
	p := Provider(name)
	allowed, ok := keysByProvider[p]
	if !ok {
		return Spec{}, fmt.Errorf("%w: unknown provider %q, want one of %s", ErrInvalidSpec, name, providerList())
	}
	spec := Spec{Provider: p}
	if !hasQuery {
		return spec, nil
	}
	if query == "" {
		return Spec{}, fmt.Errorf("%w: provider:%s: empty option list after '?'", ErrInvalidSpec, name)
	}
	seen := map[string]bool{}
	for _, pair := range strings.Split(query, "&") {
		key, raw, ok := strings.Cut(pair, "=")
		if !ok || key == "" {
			return Spec{}, fmt.Errorf("%w: provider:%s: option %q is not key=value", ErrInvalidSpec, name, pair)
		}
		if !contains(allowed, key) {
			return Spec{}, fmt.Errorf("%w: provider:%s: unknown option %q (%s)", ErrInvalidSpec, name, key, optionList(allowed))
		}
		if seen[key] {
			return Spec{}, fmt.Errorf("%w: provider:%s: option %q given twice", ErrInvalidSpec, name, key)
		}
		seen[key] = true
		value, err := url.QueryUnescape(raw)
		if err != nil {
			return Spec{}, fmt.Errorf("%w: provider:%s: option %s: bad escape", ErrInvalidSpec, name, key)
		}
		if err := spec.set(key, value); err != nil {
			return Spec{}, fmt.Errorf("%w: provider:%s: option %s: %w", ErrInvalidSpec, name, key, err)
		}
	}
	return spec, nil
}

func (s *Spec) set(key, value string) error {
	check := func(re *regexp.Regexp, want string) error {
		if !re.MatchString(value) {
			return fmt.Errorf("%q is not %s", value, want)
		}
		return nil
	}
	switch key {
	case "region":
		s.Region = value
		return check(regionPattern, "a region such as us-east-1 or cn-hangzhou")
	case "account":
		s.Account = value
		return check(accountPattern, "a 12-digit AWS account id")
	case "instance":
		s.Instance = value
		return check(instancePattern, "an ACR instance id such as cri-abc123")
	case "serviceAccount":
		s.ServiceAccount = value
		if _, _, err := splitServiceAccount(value); err != nil {
			return err
		}
		return nil
	case "clientId":
		s.ClientID = value
		return check(guidPattern, "a client id (GUID)")
	default: // tenant
		s.Tenant = value
		return check(tenantPattern, "a tenant id or domain")
	}
}

// String renders the spec as written after "provider:", options sorted.
func (s Spec) String() string {
	var opts []string
	add := func(k, v string) {
		if v != "" {
			opts = append(opts, k+"="+url.QueryEscape(v))
		}
	}
	add("account", s.Account)
	add("clientId", s.ClientID)
	add("instance", s.Instance)
	add("region", s.Region)
	add("serviceAccount", s.ServiceAccount)
	add("tenant", s.Tenant)
	if len(opts) == 0 {
		return string(s.Provider)
	}
	return string(s.Provider) + "?" + strings.Join(opts, "&")
}

// Bind checks the spec against the registry host the credentials are for
// and returns the resolved registry: provider:auto becomes the host's
// cloud, options fill in what the host does not say. It fails when the
// host belongs to another cloud, when auto meets an unknown host, or when
// the host lacks what the provider needs (an AWS account and region, an
// Alibaba region).
func (s Spec) Bind(host string) (Registry, error) {
	reg, known := Recognize(host)
	switch {
	case s.Provider == Auto && !known:
		return Registry{}, fmt.Errorf("%w: provider:auto: %q is not a registry host of a known cloud (ECR, Artifact Registry/GCR, ACR, Alibaba Cloud ACR); name the provider", ErrInvalidSpec, host)
	case s.Provider == Auto:
		// take the host's provider
	case known && reg.Provider != s.Provider:
		return Registry{}, fmt.Errorf("%w: provider:%s: %q is a %s registry host", ErrInvalidSpec, s.Provider, host, reg.Provider)
	case !known:
		reg = Registry{Provider: s.Provider, Host: strings.ToLower(host)}
	}
	if s.Region != "" {
		reg.Region = s.Region
	}
	if s.Account != "" {
		reg.Account = s.Account
	}
	if s.Instance != "" {
		reg.Instance = s.Instance
	}
	reg.ClientID, reg.Tenant = s.ClientID, s.Tenant
	reg.ServiceAccount = s.ServiceAccount
	switch reg.Provider {
	case AWS:
		if reg.Account == "" || reg.Region == "" {
			return Registry{}, fmt.Errorf("%w: provider:aws: %q is not an ECR host (ACCOUNT.dkr.ecr.REGION.amazonaws.com); give ?account=...&region=...", ErrInvalidSpec, host)
		}
	case Alibaba:
		if reg.Region == "" {
			return Registry{}, fmt.Errorf("%w: provider:alibaba: cannot tell the region of %q; give ?region=...", ErrInvalidSpec, host)
		}
		if reg.needsInstance && reg.Instance == "" {
			return Registry{}, fmt.Errorf("%w: provider:alibaba: %q is an instance registry; give ?instance=cri-... (the instance id)", ErrInvalidSpec, host)
		}
	}
	return reg, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func providerList() string {
	names := make([]string, 0, len(keysByProvider))
	for p := range keysByProvider {
		names = append(names, string(p))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func optionList(allowed []string) string {
	if len(allowed) == 0 {
		return "this provider takes no options"
	}
	return "want " + strings.Join(allowed, ", ")
}
