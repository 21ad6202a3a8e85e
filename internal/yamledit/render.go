package yamledit

import (
	"fmt"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// renderScalar presents value as a YAML flow scalar that reads back as the
// string value. The previous style is kept when it can carry the value;
// a plain scalar is used when it is safe; double quotes otherwise.
func renderScalar(value string, oldStyle yaml.Style, inFlow bool) (string, error) {
	if !utf8.ValidString(value) {
		return "", fmt.Errorf("%w: value is not valid UTF-8", ErrInvalidValue)
	}
	switch {
	case oldStyle&yaml.SingleQuotedStyle != 0 && canSingleQuote(value):
		return "'" + strings.ReplaceAll(value, "'", "''") + "'", nil
	case oldStyle&yaml.DoubleQuotedStyle != 0:
		return doubleQuote(value), nil
	case isPlainSafe(value, inFlow):
		return value, nil
	default:
		return doubleQuote(value), nil
	}
}

// isYAMLPrintable reports whether r may appear unescaped in a quoted
// scalar on one line (YAML 1.2 c-printable minus line breaks and the BOM).
func isYAMLPrintable(r rune) bool {
	switch {
	case r == '\t':
		return true
	case r >= 0x20 && r <= 0x7E:
		return true
	case r == 0x2028 || r == 0x2029 || r == 0xFEFF:
		return false
	case r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

func canSingleQuote(value string) bool {
	for _, r := range value {
		if !isYAMLPrintable(r) || r == '\t' {
			return false
		}
	}
	return !strings.HasPrefix(value, " ") && !strings.HasSuffix(value, " ")
}

// doubleQuote escapes value for a YAML double-quoted scalar.
func doubleQuote(value string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range value {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case isYAMLPrintable(r):
			b.WriteRune(r)
		case r <= 0xFF:
			fmt.Fprintf(&b, `\x%02X`, r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// isPlainSafe reports whether value can be written as a plain scalar that
// yaml.v3 reads back as exactly this string.
func isPlainSafe(value string, inFlow bool) bool {
	if value == "" || strings.ContainsAny(value[:1], "-?:,[]{}#&*!|>'\"%@` \t") {
		return false
	}
	for _, r := range value {
		if r == '\t' || !isYAMLPrintable(r) {
			return false
		}
	}
	if strings.HasSuffix(value, " ") || strings.HasSuffix(value, ":") ||
		strings.Contains(value, ": ") || strings.Contains(value, " #") {
		return false
	}
	if inFlow && strings.ContainsAny(value, ",[]{}:") {
		return false
	}
	return readsBackAsString(value)
}

// readsBackAsString parses value as a plain scalar document and checks
// that it resolves to the same string.
func readsBackAsString(value string) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil || len(doc.Content) != 1 {
		return false
	}
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.Style == 0 && n.ShortTag() == "!!str" && n.Value == value
}
