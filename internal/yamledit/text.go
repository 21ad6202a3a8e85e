package yamledit

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// text is the original file with the line starts yaml.v3 counts, so node
// positions (1-based line, 1-based column in characters) map to byte offsets.
type text struct {
	src        []byte
	lineStarts []int
}

func newText(src []byte) *text {
	starts := []int{0}
	for i := 0; i < len(src); {
		n := lineBreakLen(src, i)
		if n == 0 {
			i++
			continue
		}
		i += n
		starts = append(starts, i)
	}
	return &text{src: src, lineStarts: starts}
}

// lineBreakLen reports the length of the line break at i (0 if none), using
// the same set of breaks as yaml.v3: CRLF, CR, LF, NEL, LS, PS.
func lineBreakLen(src []byte, i int) int {
	switch {
	case src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n':
		return 2
	case src[i] == '\r' || src[i] == '\n':
		return 1
	case bytes.HasPrefix(src[i:], []byte("\u0085")),
		bytes.HasPrefix(src[i:], []byte("\u2028")),
		bytes.HasPrefix(src[i:], []byte("\u2029")):
		if src[i] == 0xC2 {
			return 2
		}
		return 3
	}
	return 0
}

// offset converts a yaml.v3 line/column to a byte offset.
func (t *text) offset(line, column int) (int, error) {
	if line < 1 || line > len(t.lineStarts) || column < 1 {
		return 0, fmt.Errorf("%w: position %d:%d outside the file", ErrVerify, line, column)
	}
	off := t.lineStarts[line-1]
	if line == 1 && bytes.HasPrefix(t.src, []byte("\ufeff")) {
		off += len("\ufeff") // yaml.v3 does not count a leading byte order mark as a column
	}
	for c := 1; c < column; c++ {
		if off >= len(t.src) {
			return 0, fmt.Errorf("%w: position %d:%d outside the file", ErrVerify, line, column)
		}
		_, size := utf8.DecodeRune(t.src[off:])
		off += size
	}
	return off, nil
}

// lineOf returns the 0-based line index holding byte offset off.
func (t *text) lineOf(off int) int {
	lo, hi := 0, len(t.lineStarts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t.lineStarts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// lineContent returns the bytes of 0-based line i without its line break.
func (t *text) lineContent(i int) []byte {
	start := t.lineStarts[i]
	end := len(t.src)
	if i+1 < len(t.lineStarts) {
		end = t.lineStarts[i+1]
	}
	line := t.src[start:end]
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	return line
}

// lineEnd returns the offset just after the content of 0-based line i,
// before its line break.
func (t *text) lineEnd(i int) int {
	return t.lineStarts[i] + len(t.lineContent(i))
}

// indentOf counts the leading spaces of a line.
func indentOf(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

// isBlankOrComment reports whether a line holds no YAML content.
func isBlankOrComment(line []byte) bool {
	trimmed := bytes.TrimLeft(line, " \t")
	return len(trimmed) == 0 || trimmed[0] == '#'
}

// isDocumentMarker reports whether a line starts or ends a YAML document.
func isDocumentMarker(line []byte) bool {
	for _, m := range []string{"---", "..."} {
		if bytes.HasPrefix(line, []byte(m)) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t') {
			return true
		}
	}
	return false
}

// eol returns the file's line ending: CRLF when its first line break is
// CRLF, LF otherwise.
func (t *text) eol() string {
	if i := bytes.IndexByte(t.src, '\n'); i > 0 && t.src[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}
