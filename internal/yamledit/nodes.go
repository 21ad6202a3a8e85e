package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"
)

// parseDocs parses every document of a YAML stream into nodes. Each
// document is also decoded once, so duplicate keys and other errors a
// consumer such as Helm would hit are reported here.
func parseDocs(src []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrParse, err)
		}
		if err := validateDoc(&doc); err != nil {
			return nil, fmt.Errorf("%w: document %d: %w", ErrParse, len(docs)+1, err)
		}
		docs = append(docs, &doc)
	}
}

// equalNodes compares two trees by meaning: kinds, resolved tags, scalar
// values, anchors and alias names. Positions, comments and styles are
// ignored.
func equalNodes(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return false
	}
	switch a.Kind {
	case yaml.ScalarNode:
		if a.ShortTag() != b.ShortTag() || a.Value != b.Value {
			return false
		}
	case yaml.AliasNode:
		return a.Value == b.Value
	case yaml.MappingNode, yaml.SequenceNode:
		if a.ShortTag() != b.ShortTag() {
			return false
		}
	}
	for i := range a.Content {
		if !equalNodes(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

func equalDocs(a, b []*yaml.Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equalNodes(a[i], b[i]) {
			return false
		}
	}
	return true
}

// mappingValue returns the index in m.Content of the value for key, or -1.
func mappingValue(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind == yaml.ScalarNode && k.Value == key && k.ShortTag() != "!!merge" {
			return i + 1
		}
	}
	return -1
}

// referencedAnchors lists the anchor names some alias in the tree uses.
func referencedAnchors(n *yaml.Node, into map[string]bool) {
	if n == nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		into[n.Value] = true
	}
	for _, c := range n.Content {
		referencedAnchors(c, into)
	}
}

func strNode(value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
}

func mapNode(content ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: content}
}
