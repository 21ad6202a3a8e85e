package yamledit

import (
	"fmt"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// KustomizationImage is one entry of a kustomization's images: list.
type KustomizationImage struct {
	Name    string
	NewName string
	NewTag  string
	Digest  string
}

// SetKustomizeImage updates the images: entry whose name is name in a
// kustomization file, in place. Empty newName, newTag or digest leave that
// field alone; newName equal to name is not added when absent. A missing
// entry is appended at the end of images:, and a missing images: list is
// appended to the file. Setting newTag on an entry pinned by a digest,
// without a new digest, is an error: the digest would win.
func SetKustomizeImage(data []byte, name string, newName, newTag, digest string) (out []byte, changed bool, err error) {
	fields, err := kustomizeFields(name, newName, newTag, digest)
	if err != nil {
		return nil, false, err
	}
	e, err := newEditor(data)
	if err != nil {
		return nil, false, err
	}
	if err := e.setKustomizeImage(name, fields); err != nil {
		return nil, false, fmt.Errorf("kustomization image %q: %w", name, err)
	}
	return e.finish()
}

// GetKustomizeImage returns the images: entry whose name is name.
func GetKustomizeImage(data []byte, name string) (KustomizationImage, bool, error) {
	docs, err := parseDocs(data)
	if err != nil {
		return KustomizationImage{}, false, err
	}
	return kustomizeImage(docs, name)
}

func kustomizeImage(docs []*yaml.Node, name string) (KustomizationImage, bool, error) {
	if len(docs) == 0 || len(docs[0].Content) == 0 {
		return KustomizationImage{}, false, nil
	}
	root := deref(docs[0].Content[0])
	if root.Kind != yaml.MappingNode {
		return KustomizationImage{}, false, fmt.Errorf("%w: kustomization is not a mapping", ErrNotMapping)
	}
	images := lookupKey(root, "images")
	item := findImageEntry(deref(images), name)
	if item == nil {
		return KustomizationImage{}, false, nil
	}
	get := func(k string) string {
		if v := deref(lookupKey(item, k)); v != nil && v.Kind == yaml.ScalarNode {
			return v.Value
		}
		return ""
	}
	return KustomizationImage{Name: name, NewName: get("newName"), NewTag: get("newTag"), Digest: get("digest")}, true, nil
}

// field is one key/value of an images: entry, in the order Kustomize
// writes them.
type field struct{ key, value string }

func kustomizeFields(name, newName, newTag, digest string) ([]field, error) {
	for _, v := range []string{name, newName, newTag, digest} {
		if !utf8.ValidString(v) || strings.ContainsFunc(v, isSpaceOrControl) {
			return nil, fmt.Errorf("%w: %q is not UTF-8 or has spaces or control characters", ErrInvalidImage, v)
		}
	}
	if name == "" {
		return nil, fmt.Errorf("%w: empty image name", ErrInvalidImage)
	}
	var fields []field
	for _, f := range []field{{"newName", newName}, {"newTag", newTag}, {"digest", digest}} {
		if f.value != "" {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: nothing to set for %q", ErrInvalidImage, name)
	}
	return fields, nil
}

// findImageEntry returns the mapping in images whose name is name.
func findImageEntry(images *yaml.Node, name string) *yaml.Node {
	if images == nil || images.Kind != yaml.SequenceNode {
		return nil
	}
	for _, item := range images.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		if i := mappingValue(item, "name"); i >= 0 && item.Content[i].Value == name {
			return item
		}
	}
	return nil
}

func (e *editor) setKustomizeImage(name string, fields []field) error {
	if len(e.docs) == 0 {
		return e.createImagesInEmptyFile(name, fields)
	}
	if len(e.docs[0].Content) == 0 || e.docs[0].Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%w: kustomization is not a mapping", ErrNotMapping)
	}
	root := e.docs[0].Content[0]
	refs := map[string]bool{}
	referencedAnchors(e.docs[0], refs)
	i := mappingValue(root, "images")
	if i < 0 {
		return e.appendImagesKey(root, name, fields)
	}
	images := root.Content[i]
	if images.Kind != yaml.SequenceNode {
		return fmt.Errorf("%w: images at line %d is a %s, not a list", ErrUnsupported, images.Line, kindName(images))
	}
	item := findImageEntry(images, name)
	if item == nil {
		return e.appendImageEntry(images, name, fields)
	}
	for _, n := range []*yaml.Node{root, images, item} {
		if n.Anchor != "" && refs[n.Anchor] {
			return fmt.Errorf("%w: the entry is inside anchor &%s that aliases refer to", ErrAlias, n.Anchor)
		}
	}
	return e.updateImageEntry(item, name, fields)
}

func (e *editor) updateImageEntry(item *yaml.Node, name string, fields []field) error {
	if err := checkStaleDigest(item, name, fields); err != nil {
		return err
	}
	inFlow := item.Style&yaml.FlowStyle != 0
	var missing []field
	for _, f := range fields {
		i := mappingValue(item, f.key)
		switch {
		case i >= 0 && item.Content[i].Kind == yaml.AliasNode:
			return fmt.Errorf("%w: %s is alias *%s", ErrAlias, f.key, item.Content[i].Value)
		case i >= 0:
			if err := e.setScalar(item.Content[i-1], item.Content[i], f.value, inFlow); err != nil {
				return err
			}
		case f.key == "newName" && f.value == name:
			// redundant: the image keeps its name
		default:
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	off, err := e.mappingEnd(item)
	if err != nil {
		return err
	}
	lines, nodes, err := renderFields(missing, spaces(item.Content[0].Column-1))
	if err != nil {
		return err
	}
	e.insertLines(off, lines)
	item.Content = append(item.Content, nodes...)
	return nil
}

func checkStaleDigest(item *yaml.Node, name string, fields []field) error {
	setsTag, setsDigest := false, false
	for _, f := range fields {
		setsTag = setsTag || f.key == "newTag"
		setsDigest = setsDigest || f.key == "digest"
	}
	if i := mappingValue(item, "digest"); setsTag && !setsDigest && i >= 0 && item.Content[i].Value != "" {
		return fmt.Errorf("%w: entry %q pins digest %s, which takes precedence over newTag; set the digest too",
			ErrInvalidImage, name, item.Content[i].Value)
	}
	return nil
}

// renderFields renders "key: value" lines with the given indentation.
func renderFields(fields []field, indent string) ([]string, []*yaml.Node, error) {
	var lines []string
	var nodes []*yaml.Node
	for _, f := range fields {
		v, err := renderScalar(f.value, 0, false)
		if err != nil {
			return nil, nil, err
		}
		lines = append(lines, indent+f.key+": "+v)
		nodes = append(nodes, strNode(f.key), strNode(f.value))
	}
	return lines, nodes, nil
}

// entryLines renders a new images: entry with its dash at indent.
func entryLines(name string, fields []field, indent int) ([]string, *yaml.Node, error) {
	all := append([]field{{"name", name}}, withoutRedundantName(name, fields)...)
	lines, nodes, err := renderFields(all, spaces(indent+2))
	if err != nil {
		return nil, nil, err
	}
	lines[0] = spaces(indent) + "- " + lines[0][indent+2:]
	return lines, mapNode(nodes...), nil
}

func withoutRedundantName(name string, fields []field) []field {
	var out []field
	for _, f := range fields {
		if f.key != "newName" || f.value != name {
			out = append(out, f)
		}
	}
	return out
}

func (e *editor) appendImageEntry(images *yaml.Node, name string, fields []field) error {
	off, err := e.sequenceEnd(images)
	if err != nil {
		return err
	}
	lines, node, err := entryLines(name, fields, images.Column-1)
	if err != nil {
		return err
	}
	e.insertLines(off, lines)
	images.Content = append(images.Content, node)
	return nil
}

func (e *editor) appendImagesKey(root *yaml.Node, name string, fields []field) error {
	off, err := e.mappingEnd(root)
	if err != nil {
		return err
	}
	keyIndent := root.Content[0].Column - 1
	lines, node, err := entryLines(name, fields, keyIndent+sequenceIndent(root))
	if err != nil {
		return err
	}
	e.insertLines(off, append([]string{spaces(keyIndent) + "images:"}, lines...))
	root.Content = append(root.Content, strNode("images"), &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{node}})
	return nil
}

// sequenceIndent detects how far block sequences under the keys of m are
// indented relative to their key (0 for "key:\n- item", Kustomize's style).
func sequenceIndent(m *yaml.Node) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		v := m.Content[i+1]
		if v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Line > m.Content[i].Line {
			if d := v.Column - m.Content[i].Column; d >= 0 {
				return d
			}
		}
	}
	return 0
}

func (e *editor) createImagesInEmptyFile(name string, fields []field) error {
	lines, node, err := entryLines(name, fields, 0)
	if err != nil {
		return err
	}
	eol := e.t.eol()
	prefix := ""
	if n := len(e.t.src); n > 0 && lineBreakLen(e.t.src, n-1) == 0 {
		prefix = eol
	}
	e.add(len(e.t.src), len(e.t.src), prefix+joinLines(append([]string{"images:"}, lines...), eol)+eol)
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{node}}
	e.docs = []*yaml.Node{{Kind: yaml.DocumentNode, Content: []*yaml.Node{mapNode(strNode("images"), seq)}}}
	return nil
}
