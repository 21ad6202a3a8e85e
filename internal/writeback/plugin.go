package writeback

import (
	"fmt"

	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

// pluginEnvVars are the plugin environment entries an .argocd-source file
// carries for v (the same variables the argocd method sets in
// spec.source.plugin.env).
func pluginEnvVars(t target.Target, v Value) []yamledit.EnvVar {
	var out []yamledit.EnvVar
	for _, e := range pluginEnv(t, v) {
		out = append(out, yamledit.EnvVar{Name: e["name"].(string), Value: e["value"].(string)})
	}
	return out
}

// mergePluginOverride writes a plugin target's variables into the
// .argocd-source file's plugin.env (upstream's layout for plugin
// applications with git write-back).
func mergePluginOverride(t target.Target, data []byte, v Value) ([]byte, bool, error) {
	env := pluginEnvVars(t, v)
	if len(env) == 0 {
		return nil, false, fmt.Errorf("%w: plugin target names no environment variable (set name, tag or spec)", ErrTarget)
	}
	return yamledit.MergePluginOverride(data, env)
}

// readPluginOverride reads a plugin target's version from the
// .argocd-source file's plugin.env.
func readPluginOverride(t target.Target, data []byte) (Value, bool, error) {
	env, err := yamledit.ReadPluginOverride(data)
	if err != nil {
		return Value{}, false, err
	}
	vars := map[string]string{}
	for _, e := range env {
		vars[e.Name] = e.Value
	}
	if t.Manifest.PluginSpec != "" {
		ref, ok := vars[t.Manifest.PluginSpec]
		return splitRef(ref), ok, nil
	}
	tagValue, ok := vars[t.Manifest.PluginTag]
	if !ok || t.Manifest.PluginTag == "" {
		return Value{}, false, nil
	}
	v := Value{Name: vars[t.Manifest.PluginName]}
	v.Tag, v.Digest = ParseTagValue(tagValue)
	return v, true, nil
}
