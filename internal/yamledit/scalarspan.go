package yamledit

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// scalarSpan returns the byte range [start, end) of a scalar's presentation
// in the source: the quotes of a quoted scalar, the header and content lines
// of a block scalar, the text of a plain scalar. Anchors and tags before the
// scalar are not part of the span, so a splice keeps them.
func (t *text) scalarSpan(n *yaml.Node, inFlow bool) (int, int, error) {
	off, err := t.offset(n.Line, n.Column)
	if err != nil {
		return 0, 0, err
	}
	off = t.skipProperties(off, inFlow)
	if off >= len(t.src) {
		return 0, 0, fmt.Errorf("%w: scalar at line %d not found", ErrUnsupported, n.Line)
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		return t.quotedSpan(off, '"', n.Line)
	case n.Style&yaml.SingleQuotedStyle != 0:
		return t.quotedSpan(off, '\'', n.Line)
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return t.blockSpan(off, n)
	default:
		return t.plainSpan(off, n, inFlow)
	}
}

// skipProperties moves past "&anchor" and "!tag" properties and the
// whitespace after them.
func (t *text) skipProperties(off int, inFlow bool) int {
	for off < len(t.src) && (t.src[off] == '&' || t.src[off] == '!') {
		for off < len(t.src) && !isSpaceOrBreak(t.src[off]) && !(inFlow && isFlowIndicator(t.src[off])) {
			off++
		}
		for off < len(t.src) && isSpaceOrBreak(t.src[off]) {
			off++
		}
	}
	return off
}

func isSpaceOrBreak(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func isFlowIndicator(c byte) bool {
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'
}

// quotedSpan scans a single- or double-quoted scalar starting at its
// opening quote.
func (t *text) quotedSpan(off int, quote byte, line int) (int, int, error) {
	if t.src[off] != quote {
		return 0, 0, fmt.Errorf("%w: expected %c at line %d", ErrUnsupported, quote, line)
	}
	for i := off + 1; i < len(t.src); i++ {
		switch {
		case quote == '"' && t.src[i] == '\\':
			i++
		case quote == '\'' && t.src[i] == '\'' && i+1 < len(t.src) && t.src[i+1] == '\'':
			i++
		case t.src[i] == quote:
			return off, i + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: unterminated quoted scalar at line %d", ErrUnsupported, line)
}

// plainSpan scans a single-line plain scalar and checks that the scanned
// text is the node's whole value.
func (t *text) plainSpan(off int, n *yaml.Node, inFlow bool) (int, int, error) {
	end := off
	for end < len(t.src) && lineBreakLen(t.src, end) == 0 {
		c := t.src[end]
		if c == '#' && end > off && (t.src[end-1] == ' ' || t.src[end-1] == '\t') {
			break
		}
		if c == ':' && (end+1 >= len(t.src) || isSpaceOrBreak(t.src[end+1]) || (inFlow && isFlowIndicator(t.src[end+1]))) {
			break
		}
		if inFlow && isFlowIndicator(c) {
			break
		}
		end++
	}
	for end > off && (t.src[end-1] == ' ' || t.src[end-1] == '\t') {
		end--
	}
	if string(t.src[off:end]) != n.Value {
		return 0, 0, fmt.Errorf("%w: plain scalar at line %d spans several lines", ErrUnsupported, n.Line)
	}
	return off, end, nil
}

// blockSpan covers a literal or folded block scalar: the header and every
// following line indented at least as much as its first content line, up
// to the last non-blank one.
func (t *text) blockSpan(off int, n *yaml.Node) (int, int, error) {
	if t.src[off] != '|' && t.src[off] != '>' {
		return 0, 0, fmt.Errorf("%w: expected a block scalar header at line %d", ErrUnsupported, n.Line)
	}
	header := t.lineOf(off)
	end := t.lineEnd(header)
	parentIndent := indentOf(t.lineContent(header))
	contentIndent := -1
	// An indentation indicator ("|2", ">-1") fixes the content's
	// indentation; its first line may be indented deeper.
	for i := off + 1; i < len(t.src) && i <= off+2; i++ {
		if c := t.src[i]; c >= '1' && c <= '9' {
			contentIndent = parentIndent + int(c-'0')
		} else if c != '+' && c != '-' {
			break
		}
	}
	for i := header + 1; i < len(t.lineStarts); i++ {
		line := t.lineContent(i)
		if len(bytesTrimSpace(line)) == 0 {
			continue
		}
		ind := indentOf(line)
		if contentIndent < 0 {
			if ind <= parentIndent {
				break
			}
			contentIndent = ind
		}
		if ind < contentIndent {
			break
		}
		end = t.lineEnd(i)
	}
	return off, end, nil
}

func bytesTrimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
