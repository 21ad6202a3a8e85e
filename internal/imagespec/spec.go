package imagespec

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// DockerHub is the registry host images without a host resolve to.
const DockerHub = "docker.io"

// ErrInvalid marks a malformed image specification.
var ErrInvalid = errors.New("invalid image spec")

var (
	aliasPattern     = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-._/]*$`)
	componentPattern = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	hostPattern      = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$`)
	digestPattern    = regexp.MustCompile(`^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$`)
)

// Spec is one parsed image specification.
type Spec struct {
	// Alias names the image in annotations and status; empty when not given.
	Alias string
	// Name is the image as the user wrote it, without constraint or digest
	// (what a Helm image-name parameter receives).
	Name string
	// Registry is the registry host, docker.io for Docker Hub images.
	Registry string
	// Repository is the repository path within the registry, with Docker
	// Hub's library/ namespace added to one-part names.
	Repository string
	// Constraint is the text after the image name's colon: a semver
	// constraint, a followed tag, or the current tag.
	Constraint string
	// Digest is the @algorithm:hex part, when given.
	Digest string
}

// Parse parses one image specification.
func Parse(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Spec{}, fmt.Errorf("%w: empty", ErrInvalid)
	}
	var spec Spec
	rest := s
	if alias, image, ok := splitAlias(s); ok {
		if !aliasPattern.MatchString(alias) {
			return Spec{}, fmt.Errorf("%w %q: alias %q must start with a letter or digit and contain only letters, digits, '-', '.', '_' and '/'", ErrInvalid, s, alias)
		}
		spec.Alias, rest = alias, image
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		spec.Digest = rest[i+1:]
		rest = rest[:i]
		if !digestPattern.MatchString(spec.Digest) {
			return Spec{}, fmt.Errorf("%w %q: malformed digest %q", ErrInvalid, s, spec.Digest)
		}
	}
	image, constraint, hasColon := splitConstraint(rest)
	spec.Name, spec.Constraint = strings.TrimSpace(image), strings.TrimSpace(constraint)
	if hasColon && spec.Constraint == "" {
		return Spec{}, fmt.Errorf("%w %q: empty constraint after ':'", ErrInvalid, s)
	}
	if strings.Contains(spec.Constraint, "/") {
		// Neither a tag nor a semver constraint holds a slash; accepting
		// one would print a spec that reads back as another image name.
		return Spec{}, fmt.Errorf("%w %q: constraint %q must not contain '/'", ErrInvalid, s, spec.Constraint)
	}
	if err := spec.normalise(); err != nil {
		return Spec{}, fmt.Errorf("%w %q: %v", ErrInvalid, s, err)
	}
	return spec, nil
}

// ParseList parses a comma-separated list of image specifications, as in the
// image-list annotation. Empty items are ignored; an error names the item.
func ParseList(s string) ([]Spec, error) {
	var specs []Spec
	seen := map[string]bool{}
	for i, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		spec, err := Parse(item)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i+1, err)
		}
		key := spec.Key()
		if seen[key] {
			return nil, fmt.Errorf("item %d: %w: %q appears twice", i+1, ErrInvalid, key)
		}
		seen[key] = true
		specs = append(specs, spec)
	}
	return specs, nil
}

// splitAlias splits "alias=image" when the '=' comes before anything that
// can only belong to an image or constraint ('=' may occur in constraints
// such as ">=1.2").
func splitAlias(s string) (alias, image string, ok bool) {
	i := strings.Index(s, "=")
	if i <= 0 {
		return "", s, false
	}
	if strings.ContainsAny(strings.TrimSpace(s[:i]), ":<>~^!@ ") {
		return "", s, false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
}

// splitConstraint splits the image name from the constraint: the first ':'
// after the last '/' of the name part. A constraint may itself contain '/'
// only in theory; semver constraints never do, so the last '/' before the
// first constraint-only character bounds the name.
func splitConstraint(s string) (image, constraint string, found bool) {
	nameEnd := len(s)
	if i := strings.IndexAny(s, " <>=~^*|!,"); i >= 0 {
		nameEnd = i
	}
	slash := strings.LastIndex(s[:nameEnd], "/")
	// The separating colon belongs to the name part: a colon after a
	// character names cannot hold (a space, say) does not split.
	colon := strings.Index(s[slash+1:nameEnd], ":")
	if colon < 0 {
		return s, "", false
	}
	colon += slash + 1
	return s[:colon], s[colon+1:], true
}

func (s *Spec) normalise() error {
	if s.Name == "" {
		return errors.New("missing image name")
	}
	host, path := SplitHost(s.Name)
	if host == "" {
		host = DockerHub
	} else if !hostPattern.MatchString(host) {
		return fmt.Errorf("invalid registry host %q", host)
	}
	host = strings.ToLower(host) // host names are case-insensitive; webhooks and registries.conf compare lower case
	if host == "index.docker.io" || host == "registry-1.docker.io" {
		host = DockerHub
	}
	if path == "" {
		return errors.New("missing repository")
	}
	for _, part := range strings.Split(path, "/") {
		if !componentPattern.MatchString(part) {
			return fmt.Errorf("invalid repository path component %q (lower-case letters, digits and separators only)", part)
		}
	}
	if host == DockerHub && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	s.Registry, s.Repository = host, path
	return nil
}

// SplitHost splits an image name into its registry host (empty when the name
// has none) and repository path.
func SplitHost(image string) (host, path string) {
	first, rest, found := strings.Cut(image, "/")
	if !found {
		return "", image
	}
	if strings.ContainsAny(first, ".:") || first == "localhost" || strings.HasPrefix(first, "[") {
		return first, rest
	}
	return "", image
}

// String prints the spec in the form Parse accepts.
func (s Spec) String() string {
	var b strings.Builder
	if s.Alias != "" {
		b.WriteString(s.Alias)
		b.WriteByte('=')
	}
	b.WriteString(s.Name)
	if s.Constraint != "" {
		b.WriteByte(':')
		b.WriteString(s.Constraint)
	}
	if s.Digest != "" {
		b.WriteByte('@')
		b.WriteString(s.Digest)
	}
	return b.String()
}

// FullName is the normalised registry/repository, e.g. docker.io/library/nginx.
func (s Spec) FullName() string { return s.Registry + "/" + s.Repository }

// Key identifies the image within a list: its alias, or its full name.
func (s Spec) Key() string {
	if s.Alias != "" {
		return s.Alias
	}
	return s.FullName()
}

// AnnotationAlias is the alias as used in annotation keys: '/' written as
// '_' (the v0.x rule).
func (s Spec) AnnotationAlias() string { return strings.ReplaceAll(s.Alias, "/", "_") }

// SameImage reports whether two specs name the same registry and repository.
func (s Spec) SameImage(o Spec) bool {
	return s.Registry == o.Registry && s.Repository == o.Repository
}

// Repo returns the go-containerregistry repository for registry API calls.
// insecure selects plain HTTP.
func (s Spec) Repo(insecure bool) (name.Repository, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(s.FullName(), opts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("image %q: %w", s.Name, err)
	}
	return repo, nil
}

// WithTag returns the image reference Name:tag (without alias).
func (s Spec) WithTag(tag string) string { return s.Name + ":" + tag }
