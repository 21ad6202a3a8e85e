package registryconf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	yaml "go.yaml.in/yaml/v3"
)

// Config is a parsed registries.conf.
type Config struct {
	// Registries are the configured entries in file order.
	Registries []Registry
}

// defaultFileName names the input of Parse in errors.
const defaultFileName = "registries.conf"

// maxErrors caps how many problems one parse reports.
const maxErrors = 20

// Parse reads registries.conf from data. Errors are [*Error] values (joined
// with errors.Join when there are several) and match [ErrInvalid].
func Parse(data []byte) (*Config, error) {
	return parseNamed(defaultFileName, data)
}

// Load reads and parses the registries.conf file at path; errors name path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading registries configuration: %w", err)
	}
	return parseNamed(path, data)
}

func parseNamed(file string, data []byte) (*Config, error) {
	p := &parser{file: file}
	cfg := p.parse(data)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return cfg, nil
}

// parser collects problems with their positions.
type parser struct {
	file string
	errs []error
}

func (p *parser) fail(line, col int, registry, format string, args ...any) {
	if len(p.errs) >= maxErrors {
		return
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Column: col, Registry: registry, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) failAt(n *yaml.Node, registry, format string, args ...any) {
	p.fail(n.Line, n.Column, registry, format, args...)
}

func (p *parser) parse(data []byte) *Config {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			p.yamlError(err, data)
		}
		return &Config{}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.failAt(&extra, "", "more than one YAML document")
		return nil
	case !errors.Is(err, io.EOF):
		p.yamlError(err, data)
		return nil
	}
	return p.document(&doc)
}

func (p *parser) document(doc *yaml.Node) *Config {
	cfg := &Config{}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return cfg
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return cfg
	}
	if root.Kind != yaml.MappingNode {
		p.failAt(root, "", "want a mapping with the key registries, got %s", kindName(root))
		return cfg
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch {
		case key.Kind != yaml.ScalarNode:
			p.failAt(key, "", "keys must be strings, got %s", kindName(key))
		case seen[key.Value]:
			p.failAt(key, "", "duplicate key %q", key.Value)
		case key.Value != "registries":
			p.failAt(key, "", "unknown key %q (only registries is allowed here)", key.Value)
		default:
			cfg.Registries = p.registries(val)
		}
		seen[key.Value] = true
	}
	return cfg
}

func (p *parser) registries(val *yaml.Node) []Registry {
	val = resolve(val)
	if isNull(val) {
		return nil
	}
	if val.Kind != yaml.SequenceNode {
		p.failAt(val, "", "registries: want a list, got %s", kindName(val))
		return nil
	}
	entries := make([]entry, 0, len(val.Content))
	for i, item := range val.Content {
		if e, ok := p.entry(i, resolve(item)); ok {
			entries = append(entries, e)
		}
	}
	p.crossCheck(entries)
	if len(entries) == 0 {
		return nil
	}
	regs := make([]Registry, len(entries))
	for i, e := range entries {
		regs[i] = e.reg
	}
	return regs
}
