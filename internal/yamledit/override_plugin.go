package yamledit

import (
	"fmt"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// EnvVar is one entry of plugin.env in an .argocd-source file (what a
// config management plugin application's overrides hold).
type EnvVar struct {
	Name, Value string
}

type pluginOverrideFile struct {
	Plugin *struct {
		Env []EnvVar `yaml:"env"`
	} `yaml:"plugin,omitempty"`
}

// pluginEnvYAML is the layout of a new plugin section.
type pluginEnvYAML struct {
	Plugin struct {
		Env []envVarYAML `yaml:"env"`
	} `yaml:"plugin"`
}

type envVarYAML struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// MergePluginOverride merges plugin environment entries (by name; an
// existing entry keeps its place, a new one is appended) into an
// .argocd-source file, in the layout Argo CD Image Updater writes:
//
//	plugin:
//	  env:
//	  - name: IMAGE
//	    value: registry.example.com/app:1.2.3
//
// Like MergeSourceOverride it keeps everything else the file holds and
// returns changed false (and existing) when nothing changes.
func MergePluginOverride(existing []byte, env []EnvVar) (out []byte, changed bool, err error) {
	return keepLineEnding(existing, func(existing []byte) ([]byte, bool, error) {
		return mergePluginOverride(existing, env)
	})
}

func mergePluginOverride(existing []byte, env []EnvVar) (out []byte, changed bool, err error) {
	for _, e := range env {
		if e.Name == "" || !utf8.ValidString(e.Name) || !utf8.ValidString(e.Value) {
			return nil, false, fmt.Errorf("%w: plugin env entry %q: empty or not valid UTF-8", ErrInvalidValue, e.Name)
		}
	}
	docs, err := parseDocs(existing)
	if err != nil {
		return nil, false, fmt.Errorf("source override: %w", err)
	}
	if len(docs) > 1 {
		return nil, false, fmt.Errorf("%w: source override has %d documents", ErrUnsupported, len(docs))
	}
	if len(env) == 0 {
		return existing, false, nil
	}
	if len(docs) == 0 || len(docs[0].Content) == 0 || isNullNode(docs[0].Content[0]) {
		var f pluginEnvYAML
		for _, e := range dedupEnv(env) {
			f.Plugin.Env = append(f.Plugin.Env, envVarYAML(e))
		}
		out, err := encodeOverride(&f)
		return out, err == nil, err
	}
	return mergeExistingPlugin(existing, docs[0], env)
}

func mergeExistingPlugin(existing []byte, doc *yaml.Node, env []EnvVar) ([]byte, bool, error) {
	before, err := parseDocs(existing)
	if err != nil {
		return nil, false, err
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, false, fmt.Errorf("%w: source override is not a mapping", ErrNotMapping)
	}
	list, err := ensureList(root, "plugin", "env")
	if err != nil {
		return nil, false, err
	}
	for _, e := range dedupEnv(env) {
		item := findParam(list, e.Name)
		if item == nil {
			list.Content = append(list.Content, mapNode(strNode("name"), strNode(e.Name), strNode("value"), strNode(e.Value)))
			continue
		}
		if err := setParamField(item, "value", strNode(e.Value)); err != nil {
			return nil, false, err
		}
	}
	if equalNodes(before[0], doc) {
		return existing, false, nil
	}
	out, err := encodeOverride(doc)
	return out, err == nil, err
}

// dedupEnv keeps the last value per name, in first-seen order.
func dedupEnv(env []EnvVar) []EnvVar {
	var out []EnvVar
	pos := map[string]int{}
	for _, e := range env {
		if i, ok := pos[e.Name]; ok {
			out[i] = e
			continue
		}
		pos[e.Name] = len(out)
		out = append(out, e)
	}
	return out
}

// ReadPluginOverride reads the plugin environment entries of an
// .argocd-source file. An empty file yields none.
func ReadPluginOverride(data []byte) ([]EnvVar, error) {
	var f pluginOverrideFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: source override: %w", ErrParse, err)
	}
	if f.Plugin == nil {
		return nil, nil
	}
	return f.Plugin.Env, nil
}
