package yamledit

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestLineBreaks(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		starts []int
		eol    string
	}{
		{"lf", "a\nb\n", []int{0, 2, 4}, "\n"},
		{"crlf", "a\r\nb\r\n", []int{0, 3, 6}, "\r\n"},
		{"lone cr", "a\rb", []int{0, 2}, "\n"},
		{"mixed, first break decides", "a\nb\r\nc", []int{0, 2, 5}, "\n"},
		{"crlf first", "a\r\nb\nc", []int{0, 3, 5}, "\r\n"},
		{"next line", "a\u0085b", []int{0, 3}, "\n"},
		{"line and paragraph separators", "a\u2028b\u2029c", []int{0, 4, 8}, "\n"},
		{"no break", "abc", []int{0}, "\n"},
		{"empty", "", []int{0}, "\n"},
		{"break first", "\r\nx", []int{0, 2}, "\r\n"},
		{"lf first", "\nx\r\n", []int{0, 1, 4}, "\n"},
	}
	for _, tt := range tests {
		tx := newText([]byte(tt.src))
		if !reflect.DeepEqual(tx.lineStarts, tt.starts) {
			t.Errorf("%s: line starts %v, want %v", tt.name, tx.lineStarts, tt.starts)
		}
		if got := tx.eol(); got != tt.eol {
			t.Errorf("%s: eol %q, want %q", tt.name, got, tt.eol)
		}
	}
}

func TestTextPositions(t *testing.T) {
	tx := newText([]byte("ab\r\ncafé: x\n\tz\n"))
	tests := []struct {
		line, col, off int
		ok             bool
	}{
		{1, 1, 0, true},
		{1, 3, 2, true},
		{2, 1, 4, true},
		{2, 5, 9, true},  // after the two-byte é
		{3, 2, 14, true}, // after the tab
		{0, 1, 0, false},
		{5, 1, 0, false},
		{1, 0, 0, false},
		{4, 3, 0, false}, // past the end of the text
	}
	for _, tt := range tests {
		off, err := tx.offset(tt.line, tt.col)
		if (err == nil) != tt.ok || (tt.ok && off != tt.off) {
			t.Errorf("offset(%d, %d) = %d, %v; want %d ok=%v", tt.line, tt.col, off, err, tt.off, tt.ok)
		}
		if !tt.ok && !errors.Is(err, ErrVerify) {
			t.Errorf("offset(%d, %d) error %v does not wrap ErrVerify", tt.line, tt.col, err)
		}
	}
	for off, line := range map[int]int{0: 0, 3: 0, 4: 1, 12: 1, 13: 2, 15: 2, 16: 3} {
		if got := tx.lineOf(off); got != line {
			t.Errorf("lineOf(%d) = %d, want %d", off, got, line)
		}
	}
	if got := string(tx.lineContent(0)); got != "ab" {
		t.Errorf("lineContent(0) = %q", got)
	}
	if got := tx.lineEnd(1); got != 12 {
		t.Errorf("lineEnd(1) = %d, want 12", got)
	}
}

func TestLineClassifiers(t *testing.T) {
	tests := []struct {
		line                   string
		indent                 int
		blank, marker, seqItem bool
	}{
		{"", 0, true, false, false},
		{"   ", 3, true, false, false},
		{"  # c", 2, true, false, false},
		{"\t# c", 0, true, false, false},
		{"a: 1", 0, false, false, false},
		{"---", 0, false, true, false},
		{"--- # doc", 0, false, true, false},
		{"...", 0, false, true, false},
		{"----", 0, false, false, false},
		{"- a", 0, false, false, true},
		{"-", 0, false, false, true},
		{"-a", 0, false, false, false},
		{"  - a", 2, false, false, false}, // isSeqEntry takes the text after the indentation
	}
	for _, tt := range tests {
		b := []byte(tt.line)
		if got := indentOf(b); got != tt.indent {
			t.Errorf("indentOf(%q) = %d, want %d", tt.line, got, tt.indent)
		}
		if got := isBlankOrComment(b); got != tt.blank {
			t.Errorf("isBlankOrComment(%q) = %v", tt.line, got)
		}
		if got := isDocumentMarker(b); got != tt.marker {
			t.Errorf("isDocumentMarker(%q) = %v", tt.line, got)
		}
		if got := isSeqEntry(b); got != tt.seqItem {
			t.Errorf("isSeqEntry(%q) = %v", tt.line, got)
		}
	}
}

func TestRenderScalar(t *testing.T) {
	tests := []struct {
		name, value string
		style       yaml.Style
		inFlow      bool
		want        string
	}{
		{"plain", "v1", 0, false, "v1"},
		{"plain with inner space", "a b", 0, false, "a b"},
		{"number", "1.10", 0, false, `"1.10"`},
		{"octal-like", "0o17", 0, false, `"0o17"`},
		{"bool words", "off", 0, false, "off"}, // yaml.v3 reads off as a string
		{"bool", "false", 0, false, `"false"`},
		{"null", "null", 0, false, `"null"`},
		{"empty", "", 0, false, `""`},
		{"leading indicator", "*x", 0, false, `"*x"`},
		{"leading space", " x", 0, false, `" x"`},
		{"trailing colon", "x:", 0, false, `"x:"`},
		{"colon space", "a: b", 0, false, `"a: b"`},
		{"space hash", "a #b", 0, false, `"a #b"`},
		{"url", "http://x/y#z", 0, false, "http://x/y#z"},
		{"digest", "sha256:ab", 0, false, "sha256:ab"},
		{"flow comma", "a,b", 0, true, `"a,b"`},
		{"flow colon", "a:b", 0, true, `"a:b"`},
		{"block comma", "a,b", 0, false, "a,b"},
		{"tab", "a\tb", 0, false, `"a\tb"`},
		{"newline", "a\nb", 0, false, `"a\nb"`},
		{"carriage return", "a\rb", 0, false, `"a\rb"`},
		{"backslash", `a\b`, yaml.DoubleQuotedStyle, false, `"a\\b"`},
		{"control character", "a\x01b", 0, false, `"a\x01b"`},
		{"DEL", "a\x7fb", 0, false, `"a\x7Fb"`},
		{"next line", "a\u0085b", 0, false, `"a\x85b"`},
		{"line separator", "a\u2028b", 0, false, `"a\u2028b"`},
		{"byte order mark", "\ufeffa", 0, false, `"\uFEFFa"`},
		{"non-BMP printable", "a😀", 0, false, "a😀"},
		{"single quoted kept", "v2", yaml.SingleQuotedStyle, false, "'v2'"},
		{"single quote doubled", "it's", yaml.SingleQuotedStyle, false, "'it''s'"},
		{"single quoted cannot hold a tab", "a\tb", yaml.SingleQuotedStyle, false, `"a\tb"`},
		{"single quoted cannot hold edge spaces", " a", yaml.SingleQuotedStyle, false, `" a"`},
		{"double quoted kept", "v2", yaml.DoubleQuotedStyle, false, `"v2"`},
		{"literal style becomes plain", "v2", yaml.LiteralStyle, false, "v2"},
	}
	for _, tt := range tests {
		got, err := renderScalar(tt.value, tt.style, tt.inFlow)
		if err != nil || got != tt.want {
			t.Errorf("%s: renderScalar(%q) = %s, %v; want %s", tt.name, tt.value, got, err, tt.want)
			continue
		}
		// Whatever the form, it must read back as the string.
		doc := "k: " + got + "\n"
		if tt.inFlow {
			doc = "k: [" + got + "]\n"
		}
		var v map[string]any
		if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
			t.Errorf("%s: %q does not parse: %v", tt.name, doc, err)
			continue
		}
		back := v["k"]
		if l, ok := back.([]any); ok && len(l) == 1 {
			back = l[0]
		}
		if back != tt.value {
			t.Errorf("%s: %q reads back as %#v", tt.name, doc, back)
		}
	}
	if _, err := renderScalar("\xff", 0, false); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

// scalarOf parses src and returns its first document's scalar at the
// dotted key, for span tests.
func scalarOf(t *testing.T, src, key string) *yaml.Node {
	t.Helper()
	docs, err := parseDocs([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	segs, err := parseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := walkForEdit(docs[0], segs)
	if err != nil {
		t.Fatal(err)
	}
	return tr.nodes[len(tr.nodes)-1]
}

func TestScalarSpan(t *testing.T) {
	tests := []struct {
		name, src, key string
		inFlow         bool
		want           string // the text the span covers; "" when it must fail
		err            error
	}{
		{"plain", "a: v1 # c\n", "a", false, "v1", nil},
		{"plain with trailing spaces", "a: v1   \n", "a", false, "v1", nil},
		{"double quoted with escaped quote", "a: \"x\\\"y\" # c\n", "a", false, `"x\"y"`, nil},
		{"single quoted with doubled quote", "a: 'it''s' # c\n", "a", false, "'it''s'", nil},
		{"anchor and tag skipped", "a: &x !!str v1\n", "a", false, "v1", nil},
		{"literal block", "a: |\n  one\n\n  two\nb: 1\n", "a", false, "|\n  one\n\n  two", nil},
		{"folded block with keep", "a: >+\n  one\n\nb: 1\n", "a", false, ">+\n  one", nil},
		{"block at end of file", "a: |-\n  x", "a", false, "|-\n  x", nil},
		{"block with indentation indicator", "a: |2\n    x\n  y\nb: 1\n", "a", false, "|2\n    x\n  y", nil},
		{"block with a header comment", "a: | # c\n  x\nb: 1\n", "a", false, "| # c\n  x", nil},
		{"block with trailing blank lines", "a: |+\n  x\n\n\nb: 1\n", "a", false, "|+\n  x", nil},
		{"block deeper lines", "a: >\n  x\n    y\n  z\nb: 1\n", "a", false, ">\n  x\n    y\n  z", nil},
		{"block in a sequence item", "l:\n- |\n  x\n- y\n", "l[0]", false, "|\n  x", nil},
		{"empty block", "a: |\nb: 1\n", "a", false, "|", nil},
		{"flow item", "a: [x, y]\n", "a[1]", true, "y", nil},
		{"flow mapping value", "a: {k: v, l: w}\n", "a.k", true, "v", nil},
		{"url with colon", "a: http://x:80/y\n", "a", false, "http://x:80/y", nil},
		{"multi-line plain refused", "a: one\n  two\n", "a", false, "", ErrUnsupported},
		{"multi-line double quoted", "a: \"one\n  two\"\n", "a", false, "\"one\n  two\"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := scalarOf(t, tt.src, tt.key)
			tx := newText([]byte(tt.src))
			start, end, err := tx.scalarSpan(n, tt.inFlow)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || tt.src[start:end] != tt.want {
				t.Fatalf("span = %q, %v; want %q", tt.src[start:end], err, tt.want)
			}
		})
	}
}

func TestQuotedSpanErrors(t *testing.T) {
	for _, src := range []string{`"abc`, `'abc`, `"a\"`, `'it''`} {
		tx := newText([]byte(src))
		if _, _, err := tx.quotedSpan(0, src[0], 1); !errors.Is(err, ErrUnsupported) {
			t.Errorf("quotedSpan(%q) err = %v, want ErrUnsupported", src, err)
		}
	}
	if _, _, err := newText([]byte("x")).quotedSpan(0, '"', 1); !errors.Is(err, ErrUnsupported) {
		t.Errorf("no opening quote: %v", err)
	}
}

func TestApplySplices(t *testing.T) {
	src := []byte("0123456789")
	tests := []struct {
		name    string
		splices []splice
		want    string
		err     bool
	}{
		{"none", nil, "0123456789", false},
		{"replace", []splice{{start: 2, end: 4, text: "ab"}}, "01ab456789", false},
		{"out of order", []splice{{start: 8, end: 9, text: "X", seq: 0}, {start: 1, end: 2, text: "Y", seq: 1}}, "0Y234567X9", false},
		{"insertions at one place keep their order", []splice{{start: 5, end: 5, text: "b", seq: 1}, {start: 5, end: 5, text: "a", seq: 0}}, "01234ab56789", false},
		{"insert then replace at the same start", []splice{{start: 3, end: 3, text: "+", seq: 0}, {start: 3, end: 5, text: "R", seq: 1}}, "012+R56789", false},
		{"adjacent", []splice{{start: 0, end: 2, text: "A"}, {start: 2, end: 4, text: "B", seq: 1}}, "AB456789", false},
		{"overlap", []splice{{start: 0, end: 5, text: "A"}, {start: 3, end: 6, text: "B", seq: 1}}, "", true},
		{"delete to end", []splice{{start: 7, end: 10, text: ""}}, "0123456", false},
	}
	for _, tt := range tests {
		got, err := applySplices(src, tt.splices)
		if tt.err {
			if !errors.Is(err, ErrVerify) {
				t.Errorf("%s: err = %v, want ErrVerify", tt.name, err)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if string(src) != "0123456789" {
		t.Fatalf("source modified: %q", src)
	}
}

func TestIndentDetection(t *testing.T) {
	tests := []struct {
		name, src string
		step, seq int
	}{
		{"default", "a: 1\n", 2, 0},
		{"four", "a:\n    b: 1\n", 4, 0},
		{"smallest step wins", "a:\n    b:\n      c: 1\n", 2, 0},
		{"flow mappings ignored", "a: {b: 1}\nc:\n   d: 1\n", 3, 0},
		{"indented sequences", "r:\n  - a\n", 2, 2},
		{"compact sequences", "r:\n- a\ns:\n  - b\n", 2, 0},
		{"flow sequence ignored", "r: [a]\ns:\n    - b\n", 2, 4},
	}
	for _, tt := range tests {
		docs, err := parseDocs([]byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		if got := indentStep(docs); got != tt.step {
			t.Errorf("%s: indentStep = %d, want %d", tt.name, got, tt.step)
		}
		if got := sequenceIndent(docs[0].Content[0]); got != tt.seq {
			t.Errorf("%s: sequenceIndent = %d, want %d", tt.name, got, tt.seq)
		}
	}
}

func TestMappingEnd(t *testing.T) {
	tests := []struct {
		name, src, key string
		want           string // the text before the insertion point
		err            error
	}{
		{"last key", "a:\n  x: 1\n  y: 2\nb: 3\n", "a", "a:\n  x: 1\n  y: 2", nil},
		{"nested block belongs to the last key", "a:\n  x:\n    deep: 1\nb: 3\n", "a", "a:\n  x:\n    deep: 1", nil},
		{"compact sequence under the last key", "a:\n  l:\n  - 1\n  - 2\nb: 3\n", "a", "a:\n  l:\n  - 1\n  - 2", nil},
		{"comments then content", "a:\n  x: |\n    t\n\n    u\nb: 3\n", "a", "a:\n  x: |\n    t\n\n    u", nil},
		{"trailing comment not included", "a:\n  x: 1\n  # end\nb: 3\n", "a", "a:\n  x: 1", nil},
		{"stops at a document marker", "a:\n  x: 1\n---\n  y: 2\n", "a", "a:\n  x: 1", nil},
		{"flow mapping refused", "a: {x: 1}\n", "a", "", ErrUnsupported},
		{"empty mapping refused", "a: {}\n", "a", "", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := newEditor([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			m := e.docs[0].Content[0].Content[mappingValue(e.docs[0].Content[0], tt.key)]
			off, err := e.mappingEnd(m)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || tt.src[:off] != tt.want {
				t.Fatalf("mappingEnd = %q, %v; want %q", tt.src[:off], err, tt.want)
			}
		})
	}
}

func TestEqualNodes(t *testing.T) {
	parse := func(s string) *yaml.Node {
		docs, err := parseDocs([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return docs[0]
	}
	tests := []struct {
		a, b  string
		equal bool
	}{
		{"a: 1\n", "a:   1 # c\n", true},
		{"a: x\n", "a: 'x'\n", true},
		{"a: [x]\n", "a:\n- x\n", true},
		{"a: 1\n", "a: '1'\n", false},
		{"a: 1\n", "a: 2\n", false},
		{"a: &x 1\n", "a: 1\n", false},
		{"a: &x 1\nb: *x\n", "a: &x 1\nb: *x\n", true},
		{"a: &x 1\nb: *x\n", "a: &y 1\nb: *y\n", false},
		{"a: {}\n", "a: []\n", false},
		{"a: 1\nb: 2\n", "b: 2\na: 1\n", false},
		{"a: 1\n", "a: 1\nb: 2\n", false},
		{"a: !!str 1\n", "a: '1'\n", true},
		{"a: !!str 1\n", "a: 1\n", false},
		{"a: !x v\n", "a: v\n", false},
		{"a: ~\n", "a: null\n", false}, // same tag, different text
		{"a: [x, [y]]\n", "a: [x, y]\n", false},
	}
	for _, tt := range tests {
		if got := equalNodes(parse(tt.a), parse(tt.b)); got != tt.equal {
			t.Errorf("equalNodes(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.equal)
		}
	}
	if !equalNodes(nil, nil) || equalNodes(parse("a: 1\n"), nil) {
		t.Error("nil handling")
	}
	if equalDocs([]*yaml.Node{parse("a: 1\n")}, nil) {
		t.Error("documents of different counts are equal")
	}
}

func TestParseKeyErrors(t *testing.T) {
	for _, key := range []string{
		"", ".", "a.", ".a", "a..b", `a\`, `a\x`, "a[", "a[]", "a[-1]", "a[1x]", "a[1234567890]", "a]", "a[0]b", "[0]", "a.[0]", "a[0]]",
	} {
		if segs, err := parseKey(key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("parseKey(%q) = %v, %v; want ErrInvalidKey", key, segs, err)
		}
	}
	for key, want := range map[string][]segment{
		"a[0].b":       {{key: "a"}, {index: 0, isIdx: true}, {key: "b"}},
		`a\[0\]`:       {{key: "a[0]"}},
		`\.hidden`:     {{key: ".hidden"}},
		"a[999999999]": {{key: "a"}, {index: 999999999, isIdx: true}},
		"a b.c-d":      {{key: "a b"}, {key: "c-d"}},
	} {
		if got, err := parseKey(key); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseKey(%q) = %v, %v; want %v", key, got, err, want)
		}
	}
}

// escapeKey writes segments back in the key syntax parseKey reads.
func escapeKey(segs []segment) string {
	var b strings.Builder
	for i, s := range segs {
		switch {
		case s.isIdx:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		default:
			if i > 0 {
				b.WriteString(".")
			}
			for _, c := range []byte(s.key) {
				if strings.IndexByte(`.[]\`, c) >= 0 {
					b.WriteByte('\\')
				}
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"a", "a.b[0].c", `x\.y\[1\]`, "a[1][2]", `a\\b`, "a..b", "[0]", "a[01]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		segs, err := parseKey(key)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("parseKey(%q) error %v does not wrap ErrInvalidKey", key, err)
			}
			return
		}
		if len(segs) == 0 || segs[0].isIdx {
			t.Fatalf("parseKey(%q) = %v: no leading key", key, segs)
		}
		again, err := parseKey(escapeKey(segs))
		if err != nil || !reflect.DeepEqual(again, segs) {
			t.Fatalf("parseKey(%q) = %v, but its escaped form %q reads as %v, %v", key, segs, escapeKey(segs), again, err)
		}
	})
}

func TestSequenceEnd(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // the text before the insertion point
		err       error
	}{
		{"scalars", "l:\n- a\n- b\nx: 1\n", "l:\n- a\n- b", nil},
		{"mappings", "l:\n- name: a\n  tag: 1\n- name: b\n  tag: 2\nx: 1\n", "l:\n- name: a\n  tag: 1\n- name: b\n  tag: 2", nil},
		{"indented with nested list", "l:\n  - name: a\n    ports:\n    - 80\nx: 1\n", "l:\n  - name: a\n    ports:\n    - 80", nil},
		{"blank lines between entries", "l:\n- a\n\n- b\n\nx: 1\n", "l:\n- a\n\n- b", nil},
		{"trailing comment excluded", "l:\n- a\n# more later\nx: 1\n", "l:\n- a", nil},
		{"end of file without a break", "l:\n- a", "l:\n- a", nil},
		{"flow sequence refused", "l: [a]\n", "", ErrUnsupported},
		{"empty flow sequence refused", "l: []\n", "", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := newEditor([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			root := e.docs[0].Content[0]
			off, err := e.sequenceEnd(root.Content[mappingValue(root, "l")])
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || tt.src[:off] != tt.want {
				t.Fatalf("sequenceEnd = %q, %v; want %q", tt.src[:off], err, tt.want)
			}
		})
	}
}
