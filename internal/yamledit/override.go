package yamledit

import (
	"bytes"
	"fmt"
	"sort"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// HelmParam is one entry of helm.parameters in an .argocd-source file.
type HelmParam struct {
	Name        string
	Value       string
	ForceString bool
}

// SourceOverride is what an .argocd-source file says about images.
type SourceOverride struct {
	HelmParams []HelmParam
	Images     []KustomizeImage
}

// overrideIndent is the indentation Argo CD Image Updater writes with.
const overrideIndent = 2

type overrideFile struct {
	Helm      *helmSection      `yaml:"helm,omitempty"`
	Kustomize *kustomizeSection `yaml:"kustomize,omitempty"`
}

type helmSection struct {
	Parameters []helmParamYAML `yaml:"parameters"`
}

type helmParamYAML struct {
	Name        string `yaml:"name"`
	Value       string `yaml:"value"`
	ForceString bool   `yaml:"forcestring"`
	// ForceStringCamel accepts the spelling of Argo CD's API when reading.
	ForceStringCamel bool `yaml:"forceString,omitempty"`
}

type kustomizeSection struct {
	Images []string `yaml:"images"`
}

// MergeSourceOverride merges Helm parameters (by name) and Kustomize image
// overrides (by KustomizeImage.Key) into an .argocd-source file. An empty
// existing file yields a new file in Argo CD Image Updater's layout. An
// existing file keeps everything it holds besides the merged entries; when
// something changes it is re-encoded in that layout (indent 2, sequences
// not indented, CRLF line breaks kept when the file has them) with
// helm.parameters sorted by name. When the merge changes
// nothing, changed is false and out is existing.
func MergeSourceOverride(existing []byte, params []HelmParam, images []KustomizeImage) (out []byte, changed bool, err error) {
	return keepLineEnding(existing, func(existing []byte) ([]byte, bool, error) {
		return mergeSourceOverride(existing, params, images)
	})
}

func mergeSourceOverride(existing []byte, params []HelmParam, images []KustomizeImage) (out []byte, changed bool, err error) {
	if err := validateOverrideInput(params, images); err != nil {
		return nil, false, err
	}
	docs, err := parseDocs(existing)
	if err != nil {
		return nil, false, fmt.Errorf("source override: %w", err)
	}
	if len(docs) > 1 {
		return nil, false, fmt.Errorf("%w: source override has %d documents", ErrUnsupported, len(docs))
	}
	if len(params) == 0 && len(images) == 0 {
		return existing, false, nil
	}
	if len(docs) == 0 || len(docs[0].Content) == 0 || isNullNode(docs[0].Content[0]) {
		out, err := newSourceOverride(params, images)
		return out, err == nil, err
	}
	return mergeExistingOverride(existing, docs[0], params, images)
}

func validateOverrideInput(params []HelmParam, images []KustomizeImage) error {
	for _, p := range params {
		if !utf8.ValidString(p.Name) || !utf8.ValidString(p.Value) {
			return fmt.Errorf("%w: helm parameter %q is not valid UTF-8", ErrInvalidValue, p.Name)
		}
	}
	for _, img := range images {
		if _, err := ParseKustomizeImage(img.String()); err != nil {
			return err
		}
	}
	return nil
}

func isNullNode(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func newSourceOverride(params []HelmParam, images []KustomizeImage) ([]byte, error) {
	var f overrideFile
	if len(params) > 0 {
		f.Helm = &helmSection{}
		for _, p := range sortedParams(params) {
			f.Helm.Parameters = append(f.Helm.Parameters, helmParamYAML{Name: p.Name, Value: p.Value, ForceString: p.ForceString})
		}
	}
	if len(images) > 0 {
		f.Kustomize = &kustomizeSection{}
		for _, img := range dedupImages(images) {
			f.Kustomize.Images = append(f.Kustomize.Images, img.String())
		}
	}
	return encodeOverride(&f)
}

// sortedParams sorts by name; for repeated names the last one wins.
func sortedParams(params []HelmParam) []HelmParam {
	byName := map[string]HelmParam{}
	for _, p := range params {
		byName[p.Name] = p
	}
	out := make([]HelmParam, 0, len(byName))
	for _, p := range byName {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// dedupImages keeps the last override per key, in first-seen order.
func dedupImages(images []KustomizeImage) []KustomizeImage {
	var out []KustomizeImage
	pos := map[string]int{}
	for _, img := range images {
		if i, ok := pos[img.Key()]; ok {
			out[i] = img
			continue
		}
		pos[img.Key()] = len(out)
		out = append(out, img)
	}
	return out
}

func encodeOverride(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(overrideIndent)
	enc.CompactSeqIndent()
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode source override: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode source override: %w", err)
	}
	return b.Bytes(), nil
}

func mergeExistingOverride(existing []byte, doc *yaml.Node, params []HelmParam, images []KustomizeImage) ([]byte, bool, error) {
	before, err := parseDocs(existing)
	if err != nil {
		return nil, false, err
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, false, fmt.Errorf("%w: source override is not a mapping", ErrNotMapping)
	}
	var list *yaml.Node
	if len(params) > 0 {
		if list, err = ensureList(root, "helm", "parameters"); err != nil {
			return nil, false, err
		}
		if err := mergeParams(list, params); err != nil {
			return nil, false, err
		}
	}
	if len(images) > 0 {
		imgList, err := ensureList(root, "kustomize", "images")
		if err != nil {
			return nil, false, err
		}
		mergeImages(imgList, images)
	}
	if equalNodes(before[0], doc) {
		return existing, false, nil
	}
	if list != nil {
		sort.SliceStable(list.Content, func(i, j int) bool { return paramName(list.Content[i]) < paramName(list.Content[j]) })
	}
	out, err := encodeOverride(doc)
	return out, err == nil, err
}

// keepLineEnding runs merge on existing with LF line breaks and gives its
// output the line ending of existing (see text.eol): yaml.v3 encodes with
// LF, and reads comments of CRLF text differently, so a CRLF file is
// merged as LF and written back as CRLF.
func keepLineEnding(existing []byte, merge func([]byte) ([]byte, bool, error)) ([]byte, bool, error) {
	if newText(existing).eol() != "\r\n" {
		return merge(existing)
	}
	out, changed, err := merge(bytes.ReplaceAll(existing, []byte("\r\n"), []byte("\n")))
	if err != nil {
		return nil, false, err
	}
	if !changed {
		return existing, false, nil
	}
	return bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n")), true, nil
}

// ensureList returns the sequence at section.key, creating what is missing.
func ensureList(root *yaml.Node, section, key string) (*yaml.Node, error) {
	sec, err := ensureChild(root, section, yaml.MappingNode, "!!map")
	if err != nil {
		return nil, err
	}
	return ensureChild(sec, key, yaml.SequenceNode, "!!seq")
}

func ensureChild(m *yaml.Node, key string, kind yaml.Kind, tag string) (*yaml.Node, error) {
	i := mappingValue(m, key)
	if i < 0 {
		child := &yaml.Node{Kind: kind, Tag: tag}
		m.Content = append(m.Content, strNode(key), child)
		return child, nil
	}
	child := m.Content[i]
	switch {
	case child.Kind == kind:
		if len(child.Content) == 0 {
			// An empty "[]" or "{}" placeholder gets entries: write them
			// in block layout, not as one flow line.
			child.Style &^= yaml.FlowStyle
		}
		return child, nil
	case isNullNode(child):
		*child = yaml.Node{Kind: kind, Tag: tag}
		return child, nil
	}
	return nil, fmt.Errorf("%w: %s at line %d is a %s", ErrNotMapping, key, child.Line, kindName(child))
}

func paramName(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	if i := mappingValue(n, "name"); i >= 0 {
		return n.Content[i].Value
	}
	return ""
}

func mergeParams(list *yaml.Node, params []HelmParam) error {
	for _, p := range sortedParams(params) {
		item := findParam(list, p.Name)
		if item == nil {
			list.Content = append(list.Content, mapNode(
				strNode("name"), strNode(p.Name),
				strNode("value"), strNode(p.Value),
				strNode("forcestring"), boolNode(p.ForceString)))
			continue
		}
		if err := setParamField(item, "value", strNode(p.Value)); err != nil {
			return err
		}
		if err := setForceString(item, p.ForceString); err != nil {
			return err
		}
	}
	return nil
}

func findParam(list *yaml.Node, name string) *yaml.Node {
	for _, item := range list.Content {
		if item.Kind == yaml.MappingNode && paramName(item) == name {
			return item
		}
	}
	return nil
}

// setForceString sets forcestring (or Argo CD's forceString spelling when
// that is what the entry uses); an absent false stays absent.
func setForceString(item *yaml.Node, force bool) error {
	key := "forcestring"
	if mappingValue(item, key) < 0 && mappingValue(item, "forceString") >= 0 {
		key = "forceString"
	}
	if mappingValue(item, key) < 0 && !force {
		return nil
	}
	return setParamField(item, key, boolNode(force))
}

func setParamField(item *yaml.Node, key string, value *yaml.Node) error {
	i := mappingValue(item, key)
	if i < 0 {
		item.Content = append(item.Content, strNode(key), value)
		return nil
	}
	old := item.Content[i]
	if old.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: %s at line %d is a %s", ErrNotScalar, key, old.Line, kindName(old))
	}
	if old.Value == value.Value && old.ShortTag() == value.Tag {
		return nil
	}
	if old.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 && value.Tag == "!!str" {
		value.Style = old.Style
	}
	value.HeadComment, value.LineComment, value.FootComment = old.HeadComment, old.LineComment, old.FootComment
	item.Content[i] = value
	return nil
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(b)}
}

func mergeImages(list *yaml.Node, images []KustomizeImage) {
	for _, img := range dedupImages(images) {
		replaced := false
		for _, item := range list.Content {
			if item.Kind != yaml.ScalarNode {
				continue
			}
			old, err := ParseKustomizeImage(item.Value)
			if err != nil || old.Key() != img.Key() {
				continue
			}
			if item.Value != img.String() {
				item.Value, item.Tag = img.String(), "!!str"
			}
			replaced = true
			break
		}
		if !replaced {
			list.Content = append(list.Content, strNode(img.String()))
		}
	}
}

// ReadSourceOverride reads the Helm parameters and Kustomize images of an
// .argocd-source file. An empty file yields an empty SourceOverride.
func ReadSourceOverride(data []byte) (SourceOverride, error) {
	var f overrideFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return SourceOverride{}, fmt.Errorf("%w: source override: %w", ErrParse, err)
	}
	var so SourceOverride
	if f.Helm != nil {
		for _, p := range f.Helm.Parameters {
			so.HelmParams = append(so.HelmParams, HelmParam{Name: p.Name, Value: p.Value, ForceString: p.ForceString || p.ForceStringCamel})
		}
	}
	if f.Kustomize != nil {
		for _, s := range f.Kustomize.Images {
			img, err := ParseKustomizeImage(s)
			if err != nil {
				return SourceOverride{}, fmt.Errorf("source override: %w", err)
			}
			so.Images = append(so.Images, img)
		}
	}
	return so, nil
}
