package writeback

import (
	"github.com/imagepilot/imagepilot/internal/imagespec"
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
	v.Tag, v.Digest = imagespec.SplitTagValue(tagValue)
	return v, true, nil
}
