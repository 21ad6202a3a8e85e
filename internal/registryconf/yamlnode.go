package registryconf

import (
	"regexp"
	"strconv"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// maxAliasDepth bounds alias chains (an alias of an alias ...).
const maxAliasDepth = 16

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; i < maxAliasDepth && n != nil && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	default:
		return "nothing"
	}
}

// yamlLine finds the line yaml.v3 reports in a syntax error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError records a YAML syntax error with its line. yaml.v3 reports
// encoding problems without one; then the first bad byte locates it.
func (p *parser) yamlError(err error, data []byte) {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.fail(max(line, 1), 0, "", "YAML syntax: %s", m[2])
		return
	}
	p.fail(badByteLine(data), 0, "", "YAML syntax: %s", trimYAMLPrefix(err.Error()))
}

func trimYAMLPrefix(s string) string {
	const prefix = "yaml: "
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}

// badByteLine returns the 1-based line of the first byte YAML rejects
// (invalid UTF-8 or a control character), or the last line when none is
// found (the problem is then at the end of the input).
func badByteLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if (r == utf8.RuneError && size <= 1) || isDisallowedControl(r) {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return line
}

func isDisallowedControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f && r != 0x85:
		return true
	case r == 0xfffe || r == 0xffff:
		return true
	}
	return false
}
