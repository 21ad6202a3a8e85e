package yamledit

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// SetHelmValue sets the value addressed by key (see the package
// documentation for the key syntax and the rules for documents, anchors and
// missing keys) to the string value. Only the bytes of that value change;
// missing mapping keys are appended with the file's indentation. changed is
// false, and out is data, when the value is already set.
func SetHelmValue(data []byte, key string, value string) (out []byte, changed bool, err error) {
	segs, err := parseKey(key)
	if err != nil {
		return nil, false, err
	}
	e, err := newEditor(data)
	if err != nil {
		return nil, false, err
	}
	if err := e.setHelmValue(segs, value); err != nil {
		return nil, false, fmt.Errorf("set %q: %w", key, err)
	}
	return e.finish()
}

// GetHelmValue returns the scalar value addressed by key in the first
// document that has it. Aliases and merge keys ("<<") are followed. found is
// false when no document has the key; a key that addresses a mapping or a
// sequence is an error (ErrNotScalar).
func GetHelmValue(data []byte, key string) (string, bool, error) {
	segs, err := parseKey(key)
	if err != nil {
		return "", false, err
	}
	docs, err := parseDocs(data)
	if err != nil {
		return "", false, err
	}
	return helmValue(docs, key, segs)
}

func helmValue(docs []*yaml.Node, key string, segs []segment) (string, bool, error) {
	for _, doc := range docs {
		n := lookup(doc, segs)
		if n == nil {
			continue
		}
		if n.Kind != yaml.ScalarNode {
			return "", false, fmt.Errorf("get %q: %w (line %d)", key, ErrNotScalar, n.Line)
		}
		return n.Value, true, nil
	}
	return "", false, nil
}

// lookup walks segs for reading, following aliases and merge keys.
func lookup(doc *yaml.Node, segs []segment) *yaml.Node {
	if len(doc.Content) == 0 {
		return nil
	}
	n := doc.Content[0]
	for _, s := range segs {
		n = deref(n)
		switch {
		case s.isIdx && n.Kind == yaml.SequenceNode && s.index < len(n.Content):
			n = n.Content[s.index]
		case !s.isIdx && n.Kind == yaml.MappingNode:
			n = lookupKey(n, s.key)
		default:
			return nil
		}
		if n == nil {
			return nil
		}
	}
	return deref(n)
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// lookupKey finds key in mapping m, then in the mappings merged with "<<"
// (each mapping is searched once, so merge cycles and fan-out stay linear).
func lookupKey(m *yaml.Node, key string) *yaml.Node {
	return lookupKeyVisited(m, key, map[*yaml.Node]bool{})
}

func lookupKeyVisited(m *yaml.Node, key string, seen map[*yaml.Node]bool) *yaml.Node {
	if seen[m] {
		return nil
	}
	seen[m] = true
	if i := mappingValue(m, key); i >= 0 {
		return m.Content[i]
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].ShortTag() != "!!merge" {
			continue
		}
		for _, src := range mergeSources(deref(m.Content[i+1])) {
			if src != nil && src.Kind == yaml.MappingNode {
				if v := lookupKeyVisited(src, key, seen); v != nil {
					return v
				}
			}
		}
	}
	return nil
}

func mergeSources(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		var out []*yaml.Node
		for _, c := range n.Content {
			out = append(out, deref(c))
		}
		return out
	}
	return []*yaml.Node{n}
}

// trail is where a key walk for editing ended.
type trail struct {
	doc      int
	nodes    []*yaml.Node // nodes walked, the last one is where the walk stopped
	keyNode  *yaml.Node   // the mapping key of the last node, if any
	resolved int          // number of segments resolved
	inFlow   bool
}

// walkForEdit resolves as many segments as exist in doc without following
// aliases.
func walkForEdit(doc *yaml.Node, segs []segment) (trail, error) {
	tr := trail{nodes: []*yaml.Node{doc.Content[0]}}
	n := doc.Content[0]
	for _, s := range segs {
		if n.Kind == yaml.AliasNode {
			return tr, fmt.Errorf("%w: the path goes through alias *%s at line %d", ErrAlias, n.Value, n.Line)
		}
		tr.inFlow = tr.inFlow || n.Style&yaml.FlowStyle != 0
		switch {
		case s.isIdx && n.Kind == yaml.SequenceNode:
			if s.index >= len(n.Content) {
				return tr, fmt.Errorf("%w: index %d past the end of the list at line %d", ErrKeyNotFound, s.index, n.Line)
			}
			n, tr.keyNode = n.Content[s.index], nil
		case !s.isIdx && n.Kind == yaml.MappingNode:
			i := mappingValue(n, s.key)
			if i < 0 {
				return tr, nil
			}
			n, tr.keyNode = n.Content[i], n.Content[i-1]
		default:
			return tr, fmt.Errorf("%w: %s at line %d is not a %s", ErrNotMapping, kindName(n), n.Line, wantKind(s))
		}
		tr.nodes = append(tr.nodes, n)
		tr.resolved++
	}
	if n.Kind == yaml.AliasNode {
		return tr, fmt.Errorf("%w: the value is alias *%s at line %d; edit the anchor &%s instead", ErrAlias, n.Value, n.Line, n.Value)
	}
	return tr, nil
}

func wantKind(s segment) string {
	if s.isIdx {
		return "list"
	}
	return "mapping"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar " + fmt.Sprintf("%q", n.Value)
}

func (e *editor) setHelmValue(segs []segment, value string) error {
	if len(e.docs) == 0 {
		return e.createInEmptyFile(segs, value)
	}
	best, err := e.bestTrail(segs)
	if err != nil {
		return err
	}
	if err := e.checkShared(best); err != nil {
		return err
	}
	if best.resolved == len(segs) {
		last := best.nodes[len(best.nodes)-1]
		return e.setScalar(best.keyNode, last, value, best.inFlow)
	}
	return e.createKeys(best, segs[best.resolved:], value)
}

// bestTrail picks the document to edit: the first one where the key can
// be read (GetHelmValue's document, merge keys included), else the one with
// the longest existing prefix.
func (e *editor) bestTrail(segs []segment) (trail, error) {
	for i, doc := range e.docs {
		if len(doc.Content) > 0 && lookup(doc, segs) != nil {
			tr, err := walkForEdit(doc, segs)
			tr.doc = i
			return tr, err
		}
	}
	best := trail{doc: -1, resolved: -1}
	var firstErr error
	for i, doc := range e.docs {
		if len(doc.Content) == 0 {
			continue
		}
		tr, err := walkForEdit(doc, segs)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		tr.doc = i
		if tr.resolved > best.resolved {
			best = tr
		}
	}
	if best.doc < 0 {
		if firstErr != nil {
			return best, firstErr
		}
		return best, fmt.Errorf("%w: no document to edit", ErrUnsupported)
	}
	return best, nil
}

// checkShared refuses edits inside anchored nodes that aliases refer to.
func (e *editor) checkShared(tr trail) error {
	refs := map[string]bool{}
	referencedAnchors(e.docs[tr.doc], refs)
	for _, n := range tr.nodes {
		if n.Anchor != "" && refs[n.Anchor] {
			return fmt.Errorf("%w: the value is inside anchor &%s (line %d) that aliases refer to", ErrAlias, n.Anchor, n.Line)
		}
	}
	return nil
}

// createKeys appends the missing mapping keys rest under the last node of tr.
func (e *editor) createKeys(tr trail, rest []segment, value string) error {
	m := tr.nodes[len(tr.nodes)-1]
	for _, s := range rest {
		if s.isIdx {
			return fmt.Errorf("%w: cannot create list index %d", ErrKeyNotFound, s.index)
		}
	}
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("%w: %s at line %d is not a mapping", ErrNotMapping, kindName(m), m.Line)
	}
	off, err := e.mappingEnd(m)
	if err != nil {
		return err
	}
	lines, node, err := renderNested(rest, value, m.Content[0].Column-1, indentStep(e.docs))
	if err != nil {
		return err
	}
	e.insertLines(off, lines)
	m.Content = append(m.Content, node.Content...)
	return nil
}

// renderNested renders keys as nested block mappings ending in value, and
// the mapping node they add.
func renderNested(keys []segment, value string, indent, step int) ([]string, *yaml.Node, error) {
	root := mapNode()
	cur := root
	var lines []string
	for i, s := range keys {
		k, err := renderKey(s.key)
		if err != nil {
			return nil, nil, err
		}
		prefix := spaces(indent+i*step) + k + ":"
		if i == len(keys)-1 {
			v, err := renderScalar(value, 0, false)
			if err != nil {
				return nil, nil, err
			}
			lines = append(lines, prefix+" "+v)
			cur.Content = append(cur.Content, strNode(s.key), strNode(value))
			break
		}
		lines = append(lines, prefix)
		child := mapNode()
		cur.Content = append(cur.Content, strNode(s.key), child)
		cur = child
	}
	return lines, root, nil
}

func spaces(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}

// createInEmptyFile writes the nested keys into a file without documents.
func (e *editor) createInEmptyFile(segs []segment, value string) error {
	for _, s := range segs {
		if s.isIdx {
			return fmt.Errorf("%w: cannot create list index %d", ErrKeyNotFound, s.index)
		}
	}
	lines, node, err := renderNested(segs, value, 0, 2)
	if err != nil {
		return err
	}
	eol := e.t.eol()
	prefix := ""
	if n := len(e.t.src); n > 0 && lineBreakLen(e.t.src, n-1) == 0 {
		prefix = eol
	}
	e.add(len(e.t.src), len(e.t.src), prefix+joinLines(lines, eol)+eol)
	e.docs = []*yaml.Node{{Kind: yaml.DocumentNode, Content: []*yaml.Node{node}}}
	return nil
}

func joinLines(lines []string, eol string) string {
	out := ""
	for i, l := range lines {
		if i > 0 {
			out += eol
		}
		out += l
	}
	return out
}
