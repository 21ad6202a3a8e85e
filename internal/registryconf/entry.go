package registryconf

import (
	"fmt"
	"net/url"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/imagepilot/imagepilot/internal/credentials"
)

// TagSortMode values.
const (
	TagSortNone        = "none"
	TagSortLatestFirst = "latest-first"
	TagSortLatestLast  = "latest-last"
)

// entry is a registry with the positions cross-entry checks report.
type entry struct {
	reg         Registry
	label       string
	node        *yaml.Node
	prefixNode  *yaml.Node
	defaultNode *yaml.Node
	credNode    *yaml.Node
}

// entry parses one list item; ok is false when it is not a mapping.
func (p *parser) entry(index int, item *yaml.Node) (entry, bool) {
	e := entry{node: item, label: fmt.Sprintf("registry #%d", index+1)}
	if item.Kind != yaml.MappingNode {
		p.failAt(item, e.label, "want a mapping of registry settings, got %s", kindName(item))
		return e, false
	}
	if name := lookupScalar(item, "name"); name != "" {
		e.label = fmt.Sprintf("registry %q", name)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(item.Content); i += 2 {
		key, val := item.Content[i], resolve(item.Content[i+1])
		switch {
		case key.Kind != yaml.ScalarNode:
			p.failAt(key, e.label, "keys must be strings, got %s", kindName(key))
			continue
		case seen[key.Value]:
			p.failAt(key, e.label, "duplicate key %q", key.Value)
			continue
		}
		seen[key.Value] = true
		known, err := e.set(key.Value, val)
		switch {
		case !known:
			p.failAt(key, e.label, "unknown key %q", key.Value)
		case err != nil:
			p.failAt(val, e.label, "%s: %v", key.Value, err)
		}
	}
	p.requireFields(&e)
	p.checkProvider(&e)
	if e.reg.TagSortMode == "" {
		e.reg.TagSortMode = TagSortNone
	}
	return e, true
}

// lookupScalar returns the scalar value of key in mapping m, or "".
func lookupScalar(m *yaml.Node, key string) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if v := resolve(m.Content[i+1]); v != nil && v.Kind == yaml.ScalarNode && !isNull(v) {
				return v.Value
			}
		}
	}
	return ""
}

func (p *parser) requireFields(e *entry) {
	missing := func(key, hint string) {
		p.failAt(e.node, e.label, "%s is required%s", key, hint)
	}
	if e.reg.Name == "" {
		missing("name", "")
	}
	if e.reg.APIURL == "" {
		missing("api_url", "")
	}
	if e.reg.Prefix == "" {
		hint := ""
		if u, err := url.Parse(e.reg.APIURL); err == nil && u.Host != "" {
			hint = fmt.Sprintf(" (e.g. prefix: %s)", strings.ToLower(u.Host))
		}
		missing("prefix", hint)
	}
}

// set applies one key; known is false for keys registries.conf lacks.
func (e *entry) set(key string, v *yaml.Node) (known bool, err error) {
	r := &e.reg
	switch key {
	case "name":
		r.Name, err = nonBlankString(v)
	case "api_url":
		r.APIURL, err = apiURL(v)
	case "prefix":
		e.prefixNode = v
		r.Prefix, err = prefix(v)
	case "credentials":
		e.credNode = v
		r.Credentials, err = credentialRef(v)
	case "credsexpire":
		r.CredsExpire, err = duration(v)
	case "defaultns":
		r.DefaultNS, err = defaultNamespace(v)
	case "default":
		e.defaultNode = v
		r.Default, err = boolean(v)
	case "insecure":
		r.Insecure, err = boolean(v)
	case "ca_file":
		r.CAFile, err = caFile(v)
	case "ca_data":
		r.CAData, err = caData(v)
	case "limit":
		r.Limit, err = limit(v)
	case "tagsortmode":
		r.TagSortMode, err = tagSortMode(v)
	case "ping":
		_, err = boolean(v) // accepted for compatibility, no effect
	default:
		return false, nil
	}
	return true, err
}

// checkProvider binds provider: credentials to the entry's prefix host, so
// a provider that cannot serve the host (provider:auto on an unknown host,
// provider:aws on an Azure host, an ECR host without account and region)
// is reported at the credentials line, not at the first login.
func (p *parser) checkProvider(e *entry) {
	spec, ok := credentials.ProviderSpec(e.reg.Credentials)
	if !ok || e.reg.Prefix == "" {
		return
	}
	if _, err := spec.Bind(e.reg.Host()); err != nil {
		p.failAt(e.credNode, e.label, "credentials: %v", err)
	}
}

// crossCheck enforces one default and unique prefixes.
func (p *parser) crossCheck(entries []entry) {
	var firstDefault *entry
	byPrefix := map[string]*entry{}
	for i := range entries {
		e := &entries[i]
		if e.reg.Default {
			if firstDefault != nil {
				p.failAt(e.defaultNode, e.label, "only one registry may be the default; %s (line %d) already is", firstDefault.label, firstDefault.defaultNode.Line)
			} else {
				firstDefault = e
			}
		}
		if e.reg.Prefix == "" {
			continue
		}
		if prev, dup := byPrefix[e.reg.Prefix]; dup {
			p.failAt(e.prefixNode, e.label, "prefix %q is already used by %s (line %d)", e.reg.Prefix, prev.label, prev.prefixNode.Line)
			continue
		}
		byPrefix[e.reg.Prefix] = e
	}
}
