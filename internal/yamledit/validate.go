package yamledit

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// validateDoc checks, in time linear in the size of the tree, what decoding
// the document into Go values would refuse: duplicate mapping keys, keys
// that are mappings or lists, merge keys ("<<") whose value is not a
// mapping or a list of mappings, explicitly tagged values their tag cannot
// carry (a "!!int abc"), and aliases to a node that contains them.
//
// yaml.v3 itself compares every key of a mapping with every other one, so
// decoding a values file with one large mapping took minutes; this walk
// replaces that decode.
func validateDoc(doc *yaml.Node) error {
	v := validator{open: map[*yaml.Node]bool{}}
	return v.node(doc)
}

type validator struct {
	// open holds the nodes being walked (the ancestors of the current one).
	open map[*yaml.Node]bool
}

type keyID struct {
	kind  yaml.Kind
	value string
}

func (v *validator) node(n *yaml.Node) error {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || v.open[n.Alias] {
			return fmt.Errorf("line %d: alias *%s refers to a node that contains it", n.Line, n.Value)
		}
		return nil
	}
	if err := checkTag(n); err != nil {
		return err
	}
	v.open[n] = true
	defer delete(v.open, n)
	if n.Kind == yaml.MappingNode {
		if err := v.mapping(n); err != nil {
			return err
		}
	}
	for _, c := range n.Content {
		if err := v.node(c); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) mapping(m *yaml.Node) error {
	seen := make(map[keyID]int, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, val := m.Content[i], m.Content[i+1]
		if dk := deref(k); dk != nil && (dk.Kind == yaml.MappingNode || dk.Kind == yaml.SequenceNode) {
			return fmt.Errorf("line %d: a %s as a mapping key is not supported", k.Line, kindName(dk))
		}
		id := keyID{k.Kind, k.Value}
		if first, dup := seen[id]; dup {
			return fmt.Errorf("line %d: mapping key %q already defined at line %d", k.Line, k.Value, first)
		}
		seen[id] = k.Line
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			if err := checkMerge(val); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkMerge accepts a mapping, an alias of one, or a list of those (what
// yaml.v3 merges; an alias of a list is not merged).
func checkMerge(val *yaml.Node) error {
	mapping := func(n *yaml.Node) bool {
		return n.Kind == yaml.MappingNode || (n.Kind == yaml.AliasNode && n.Alias != nil && n.Alias.Kind == yaml.MappingNode)
	}
	if mapping(val) {
		return nil
	}
	if val.Kind == yaml.SequenceNode {
		for _, c := range val.Content {
			if !mapping(c) {
				return fmt.Errorf("line %d: map merge requires a mapping or a list of mappings", c.Line)
			}
		}
		return nil
	}
	return fmt.Errorf("line %d: map merge requires a mapping or a list of mappings", val.Line)
}

// checkTag decodes an explicitly tagged node on its own (without its
// children, so the cost stays linear) to see that the tag accepts it.
func checkTag(n *yaml.Node) error {
	if n.Style&yaml.TaggedStyle == 0 || n.Kind == yaml.DocumentNode {
		return nil
	}
	c := *n
	c.Content = nil
	var probe any
	if err := c.Decode(&probe); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}
