package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// editor collects byte splices against the original text while changing
// the parsed tree into the intended result, then applies and verifies them.
type editor struct {
	t       *text
	docs    []*yaml.Node
	splices []splice
	// edited holds the scalars with a pending splice; structural is set
	// once text was inserted (new keys or entries whose nodes carry no
	// position). A Doc applies the splices before touching either again.
	edited     map[*yaml.Node]bool
	structural bool
}

// errNeedsFlush asks a Doc to apply the pending splices and retry: the
// edit touches a scalar that already has one.
var errNeedsFlush = errors.New("yamledit: pending edit on the same value")

type splice struct {
	start, end int
	text       string
	seq        int
}

func newEditor(src []byte) (*editor, error) {
	docs, err := parseDocs(src)
	if err != nil {
		return nil, err
	}
	return &editor{t: newText(src), docs: docs, edited: map[*yaml.Node]bool{}}, nil
}

func (e *editor) add(start, end int, s string) {
	if start == end {
		e.structural = true
	}
	e.splices = append(e.splices, splice{start: start, end: end, text: s, seq: len(e.splices)})
}

// setScalar replaces the scalar n with value, keeping its quote style when
// possible. key is the mapping key owning n (nil in a sequence); it locates
// an empty value such as "tag:".
func (e *editor) setScalar(key, n *yaml.Node, value string, inFlow bool) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: line %d", ErrNotScalar, n.Line)
	}
	if n.Value == value && n.ShortTag() == "!!str" {
		return nil
	}
	if e.edited[n] {
		return errNeedsFlush
	}
	rendered, err := renderScalar(value, n.Style, inFlow)
	if err != nil {
		return err
	}
	if n.Value == "" && n.Style == 0 && key != nil {
		err = e.fillEmptyValue(key, n, rendered, inFlow)
	} else {
		err = e.replaceScalar(n, rendered, inFlow)
	}
	if err != nil {
		return err
	}
	n.Value, n.Tag, n.Style = value, "!!str", 0
	e.edited[n] = true
	return nil
}

func (e *editor) replaceScalar(n *yaml.Node, rendered string, inFlow bool) error {
	start, end, err := e.t.scalarSpan(n, inFlow)
	if err != nil {
		return err
	}
	e.add(start, end, rendered)
	return nil
}

// fillEmptyValue writes a value after "key:" whose value is empty (null).
func (e *editor) fillEmptyValue(key, n *yaml.Node, rendered string, inFlow bool) error {
	if n.Anchor != "" || n.Tag != "!!null" {
		return fmt.Errorf("%w: empty value with properties at line %d", ErrUnsupported, key.Line)
	}
	_, keyEnd, err := e.t.scalarSpan(key, inFlow)
	if err != nil {
		return err
	}
	i := keyEnd
	for i < len(e.t.src) && (e.t.src[i] == ' ' || e.t.src[i] == '\t') {
		i++
	}
	if i >= len(e.t.src) || e.t.src[i] != ':' {
		return fmt.Errorf("%w: no ':' after key at line %d", ErrUnsupported, key.Line)
	}
	e.add(i+1, i+1, " "+rendered)
	return nil
}

// finish applies the splices and checks that the result parses to the
// intended tree.
func (e *editor) finish() ([]byte, bool, error) {
	out, changed, _, err := e.finishDocs()
	return out, changed, err
}

// finishDocs is finish that also returns the parsed result (nil when
// nothing changed), so the next edit needs no parse of its own.
func (e *editor) finishDocs() ([]byte, bool, []*yaml.Node, error) {
	if len(e.splices) == 0 {
		return e.t.src, false, nil, nil
	}
	out, err := applySplices(e.t.src, e.splices)
	if err != nil {
		return nil, false, nil, err
	}
	if bytes.Equal(out, e.t.src) {
		return e.t.src, false, nil, nil
	}
	got, err := parseDocs(out)
	if err != nil {
		return nil, false, nil, fmt.Errorf("%w: edited output does not parse: %w", ErrVerify, err)
	}
	if !equalDocs(got, e.docs) {
		return nil, false, nil, fmt.Errorf("%w: edited output differs from the intended document", ErrVerify)
	}
	return out, true, got, nil
}

// applySplices builds the edited text in one pass. Splices sharing a start
// keep the order they were added in; overlapping splices are an error.
func applySplices(src []byte, splices []splice) ([]byte, error) {
	sorted := append([]splice(nil), splices...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].start != sorted[j].start {
			return sorted[i].start < sorted[j].start
		}
		return sorted[i].seq < sorted[j].seq
	})
	var b bytes.Buffer
	b.Grow(len(src))
	prev := 0
	for _, s := range sorted {
		if s.start < prev {
			return nil, fmt.Errorf("%w: overlapping edits at byte %d", ErrVerify, s.start)
		}
		b.Write(src[prev:s.start])
		b.WriteString(s.text)
		prev = s.end
	}
	b.Write(src[prev:])
	return b.Bytes(), nil
}

// mappingEnd returns the offset after the content of the last line that
// belongs to the block mapping m; new entries are inserted there.
func (e *editor) mappingEnd(m *yaml.Node) (int, error) {
	if m.Style&yaml.FlowStyle != 0 || len(m.Content) < 2 {
		return 0, fmt.Errorf("%w: cannot add a key to the flow mapping at line %d", ErrUnsupported, m.Line)
	}
	lastKey, lastValue := m.Content[len(m.Content)-2], m.Content[len(m.Content)-1]
	return e.blockEnd(lastKey.Line-1, m.Content[0].Column-1, lastValue.Kind == yaml.SequenceNode), nil
}

// sequenceEnd returns the offset after the last line of the block sequence s.
func (e *editor) sequenceEnd(s *yaml.Node) (int, error) {
	if s.Style&yaml.FlowStyle != 0 || len(s.Content) == 0 {
		return 0, fmt.Errorf("%w: cannot add an entry to the flow sequence at line %d", ErrUnsupported, s.Line)
	}
	last := s.Content[len(s.Content)-1]
	return e.blockEnd(last.Line-1, s.Column-1, false), nil
}

// blockEnd finds the last line of a block entry starting on line first at
// the given indentation: the following lines indented deeper (or, with
// seqAtIndent, sequence entries at the same indentation) belong to it;
// blank and comment lines only when content follows.
func (e *editor) blockEnd(first, indent int, seqAtIndent bool) int {
	last := first
	for i := first + 1; i < len(e.t.lineStarts); i++ {
		line := e.t.lineContent(i)
		if isDocumentMarker(line) {
			break
		}
		if isBlankOrComment(line) {
			continue
		}
		ind := indentOf(line)
		if ind > indent || (ind == indent && seqAtIndent && isSeqEntry(line[ind:])) {
			last = i
			continue
		}
		break
	}
	return e.t.lineEnd(last)
}

func isSeqEntry(rest []byte) bool {
	return len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t')
}

// insertLines inserts lines (without line breaks) after the content at off.
func (e *editor) insertLines(off int, lines []string) {
	eol := e.t.eol()
	e.add(off, off, eol+strings.Join(lines, eol))
}

// renderKey presents a new mapping key.
func renderKey(key string) (string, error) {
	return renderScalar(key, 0, false)
}

// indentStep detects the file's mapping indentation (2 by default).
func indentStep(docs []*yaml.Node) int {
	best := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				v := n.Content[i+1]
				if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 {
					if d := v.Content[0].Column - n.Content[i].Column; d > 0 && (best == 0 || d < best) {
						best = d
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for _, d := range docs {
		walk(d)
	}
	if best == 0 {
		return 2
	}
	return best
}
