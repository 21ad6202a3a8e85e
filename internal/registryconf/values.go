package registryconf

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/imagepilot/imagepilot/internal/credentials"
)

// str returns a scalar's text ("" for null); lists and mappings are errors.
func str(v *yaml.Node) (string, error) {
	if isNull(v) {
		return "", nil
	}
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a single value, got %s", kindName(v))
	}
	return v.Value, nil
}

func nonBlankString(v *yaml.Node) (string, error) {
	s, err := str(v)
	if err == nil && strings.TrimSpace(s) == "" {
		err = errors.New("must not be empty")
	}
	return s, err
}

// boolean accepts YAML 1.2 booleans and the YAML 1.1 words (yes, no, on,
// off, y, n) that upstream configurations use; null is false.
func boolean(v *yaml.Node) (bool, error) {
	s, err := str(v)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "", "false", "no", "n", "off":
		return false, nil
	case "true", "yes", "y", "on":
		return true, nil
	}
	return false, fmt.Errorf("want true or false, got %q", s)
}

func apiURL(v *yaml.Node) (string, error) {
	s, err := nonBlankString(v)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("not a valid URL") // the URL may hold credentials: never quote it
	}
	switch {
	case u.User != nil:
		return "", errors.New("must not contain credentials (use the credentials key)")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("want an http:// or https:// URL, got scheme %q", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return "", errors.New("URL has no host")
	case u.RawQuery != "" || u.Fragment != "":
		return "", errors.New("URL must not have a query or fragment")
	}
	return strings.TrimRight(s, "/"), nil
}

var (
	prefixHost    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$`)
	prefixSegment = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// prefix validates host[:port][/path] and normalises it (see doc.go).
func prefix(v *yaml.Node) (string, error) {
	s, err := nonBlankString(v)
	if err != nil {
		return "", err
	}
	if strings.Contains(s, "://") {
		return "", fmt.Errorf("%q: write host[/path] without a scheme", s)
	}
	host, path, _ := strings.Cut(strings.TrimRight(s, "/"), "/")
	if !prefixHost.MatchString(host) {
		return "", fmt.Errorf("%q: want host[:port][/path]", s)
	}
	if path != "" {
		for _, seg := range strings.Split(path, "/") {
			if !prefixSegment.MatchString(seg) {
				return "", fmt.Errorf("%q: invalid path segment %q", s, seg)
			}
		}
		return normalizeHost(host) + "/" + path, nil
	}
	return normalizeHost(host), nil
}

func credentialRef(v *yaml.Node) (string, error) {
	s, err := str(v)
	if err != nil || s == "" {
		return "", err
	}
	if err := credentials.CheckRef(s); err != nil {
		return "", err
	}
	return s, nil
}

// maxSeconds keeps a bare number of seconds within time.Duration.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// duration accepts Go durations and bare seconds; null or 0 is forever.
func duration(v *yaml.Node) (time.Duration, error) {
	s, err := str(v)
	if err != nil || s == "" {
		return 0, err
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		if secs < 0 || secs > maxSeconds {
			return 0, fmt.Errorf("%q: out of range", s)
		}
		return time.Duration(secs) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration such as 12h or 30m, or seconds", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: must not be negative", s)
	}
	return d, nil
}

func defaultNamespace(v *yaml.Node) (string, error) {
	s, err := str(v)
	if err != nil || s == "" {
		return "", err
	}
	for _, seg := range strings.Split(s, "/") {
		if !prefixSegment.MatchString(seg) {
			return "", fmt.Errorf("%q: want a namespace such as library", s)
		}
	}
	return s, nil
}

func caFile(v *yaml.Node) (string, error) {
	path, err := str(v)
	if err != nil || path == "" {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read: %w", err)
	}
	if !hasCertificate(data) {
		return "", fmt.Errorf("%s holds no PEM certificate", path)
	}
	return path, nil
}

func caData(v *yaml.Node) (string, error) {
	s, err := str(v)
	if err != nil || s == "" {
		return "", err
	}
	if !hasCertificate([]byte(s)) {
		return "", errors.New("holds no PEM certificate")
	}
	return s, nil
}

func hasCertificate(pem []byte) bool {
	return x509.NewCertPool().AppendCertsFromPEM(pem)
}

func limit(v *yaml.Node) (float64, error) {
	s, err := str(v)
	if err != nil || s == "" {
		return 0, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q: want a number of requests per second", s)
	}
	if f < 0 {
		return 0, fmt.Errorf("%q: must not be negative", s)
	}
	return f, nil
}

func tagSortMode(v *yaml.Node) (string, error) {
	s, err := str(v)
	if err != nil {
		return "", err
	}
	switch s {
	case "", TagSortNone:
		return TagSortNone, nil
	case TagSortLatestFirst, TagSortLatestLast:
		return s, nil
	}
	return "", fmt.Errorf("%q: want none, latest-first or latest-last", s)
}
